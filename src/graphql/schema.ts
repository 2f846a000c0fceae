import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './types/scalars.js';
import './types/enums.js';
import './types/job.js';
import './types/attempt.js';
import './types/errors.js';
import './types/metrics.js';
import './types/audit.js';
import './types/caller.js';
import './types/jobTypes.js';
import './types/schedules.js';
import './mutations/enqueueJob.js';
import './mutations/jobActions.js';
import './mutations/bulkActions.js';
import './mutations/pruneJobs.js';
import './types/subscriptions.js';

// Roles (src/auth/tokens.ts): viewer reads and subscribes, operator also changes jobs. Queries are
// checked once per operation (src/server/queryAuthorization.ts), the rest here.
builder.queryType({ description: 'Read jobs, their attempts and queue metrics.' });
builder.mutationType({ description: 'Change jobs. Expected failures are typed results implementing Error.', authScopes: { operator: true } });

export const schema: GraphQLSchema = builder.toSchema();

/** The SDL committed as schema.graphql (sorted, so diffs show real changes only). */
export function printedSchema(): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
