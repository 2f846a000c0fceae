/**
 * The one SchemaBuilder and all plugin configuration. A new type is a new file under types/ or
 * mutations/, imported by schema.ts.
 */
import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import { deadlinePlugin, type Deadline } from './deadlinePlugin.js';
import type { ProcessRow } from '../queue/maintenance/heartbeat.js';
import type PrismaTypes from '../db/generated/pothos-types.js';
import { getDatamodel } from '../db/generated/pothos-types.js';
import type { Logger } from 'pino';
import type { QueueContext } from '../queue/context.js';
import type { JobUpdateHub } from '../events/jobUpdates.js';
import type { SnapshotFeed } from '../queue/reads/snapshotFeed.js';
import type { QueueMetrics } from '../queue/reads/metricsRead.js';
import type { JobTypeStatus } from '../queue/reads/jobTypesRead.js';
import type { UpstreamPacer } from '../integrations/pace.js';
import type { Redactor } from '../integrations/redaction.js';
import type { AttemptHistory } from '../queue/maintenance/attemptHistory.js';
import type { Loaders } from './loaders.js';
import type { Principal } from '../auth/principal.js';
import type { MutationRateLimiter } from '../auth/rateLimit.js';
import { ForbiddenError, RateLimitedError, UnauthorizedError } from '../auth/errors.js';
import { roleAtLeast, roles, type Role } from '../auth/tokens.js';

import type { UpstreamCircuits } from '../queue/circuits.js';
import type { Alert } from '../db/types.js';
import type { JobGroupStatus } from '../queue/reads/groupsRead.js';

export interface GraphQLContext {
  queue: QueueContext;
  live: {
    jobs: JobUpdateHub;
    metrics: SnapshotFeed<QueueMetrics>;
    jobTypes: SnapshotFeed<JobTypeStatus[]>;
    alerts: SnapshotFeed<Alert[]>;
    groups: SnapshotFeed<JobGroupStatus[]>;
  };
  /** Echoed as the x-request-id response header and logged with every unexpected error. */
  requestId: string;
  /** Batched reads for this request (src/graphql/loaders.ts). */
  loaders: Loaders;
  logger: Logger;
  /** The operation's time limit (queries and mutations); checked before every resolver. */
  deadline?: Deadline;
  /** Who is calling (src/auth/principal.ts). */
  principal: Principal;
  /** The caller's address (rate limits for anonymous callers). */
  remoteAddress?: string;
  mutationLimiter: MutationRateLimiter;
  /** The upstreams' pacing (metrics). */
  upstreams: UpstreamPacer;
  /** URL templates for links out of the dashboard (Config.operatorLinks). */
  operatorLinks: { logSearch: string | undefined; trace: string | undefined };
  /** This process's attempt history not yet written (worker processes). */
  history: AttemptHistory | undefined;
  /** The least role that sees upstream bodies and error stacks (SYNCBRIDGE_FORENSICS_ROLE). */
  forensicsRole: Role;
  /** What is shown of payloads (SYNCBRIDGE_REDACT_KEYS). */
  redactor: Redactor;
  /** The processes sharing the database that beat recently (src/queue/maintenance/heartbeat.ts). */
  readProcesses(): Promise<ProcessRow[]>;
  /** The upstreams' circuit breakers: their state, the types they hold, forcing them. */
  circuits: Pick<UpstreamCircuits, 'status' | 'heldTypes' | 'force'>;
}

/** The least role a failed scope check asked for (the scopes are the role names). */
function requiredRoleOf(failure: unknown): Role {
  const found: Role[] = [];
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    const { scope, failures } = node as { scope?: unknown; failures?: unknown };
    if (typeof scope === 'string' && (roles as readonly string[]).includes(scope)) found.push(scope as Role);
    if (Array.isArray(failures)) failures.forEach(visit);
  };
  visit(failure);
  return found.sort((a, b) => roles.indexOf(a) - roles.indexOf(b))[0] ?? 'admin';
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: { viewer: boolean; operator: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string | number };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
}>({
  // Errors before scope-auth: a refused mutation is a typed UnauthorizedError/ForbiddenError result.
  plugins: [ComplexityPlugin, ErrorsPlugin, ScopeAuthPlugin, PrismaPlugin, RelayPlugin, deadlinePlugin],
  scopeAuth: {
    // A subscription is authorized when it starts, not per event.
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      viewer: roleAtLeast(context.principal.role, 'viewer'),
      operator: roleAtLeast(context.principal.role, 'operator'),
      admin: roleAtLeast(context.principal.role, 'admin'),
    }),
    unauthorizedError: (_parent, context, _info, result) =>
      context.principal.role === undefined ? new UnauthorizedError() : new ForbiddenError(requiredRoleOf(result.failure), context.principal.role),
  },
  defaultFieldNullability: false,
  // Cost model for the operation limits (src/server/operationLimits.ts): every field costs 1, and
  // a list multiplies its selection by its real bound (`first`, a page size). Enforced by the
  // server per request, since variables decide the bounds; not here at resolve time.
  // The plugin's own per-resolver check stays off (the server checks once per operation).
  complexity: { defaultComplexity: 1, defaultListMultiplier: 10, disabled: true },
  prisma: {
    client: (context) => context.queue.db,
    dmmf: getDatamodel(),
    // Relation fields load through the parent query's `include`, so a page costs a fixed number of statements.
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // The connection field carries the page size as its multiplier; its edges count once.
    edgesFieldOptions: { nullable: { list: false, items: false }, description: 'The page, one edge per node.', complexity: { field: 1, multiplier: 1 } },
    nodeFieldOptions: { nullable: false, description: 'The item.' },
    cursorFieldOptions: { description: 'Opaque position of this edge: pass it as after or before.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the whole list.' },
    pageInfoTypeOptions: { description: 'Relay page information.' },
    hasNextPageFieldOptions: { description: 'Whether more items follow (when paging forward).' },
    hasPreviousPageFieldOptions: { description: 'Whether items precede (when paging backward).' },
    startCursorFieldOptions: { description: 'Cursor of the first edge of the page.' },
    endCursorFieldOptions: { description: 'Cursor of the last edge of the page.' },
    firstArgOptions: { description: 'Page forward: at most this many items after `after`.' },
    afterArgOptions: { description: 'Cursor to page forward from.' },
    lastArgOptions: { description: 'Page backward: at most this many items before `before`.' },
    beforeArgOptions: { description: 'Cursor to page backward from.' },
  },
  errors: {
    // Every mutation's result union can say who may not, and when to come back.
    defaultTypes: [UnauthorizedError, ForbiddenError, RateLimitedError],
  },
});
