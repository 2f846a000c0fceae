/**
 * Live fields. Each `subscribe` resolver returns the events' source; `extensions.live` tells the
 * live engine (src/server/live/engine.ts) how a new subscriber starts (its snapshot) and how
 * events are keyed, so one execution can serve every identical subscription.
 */
import { GraphQLError } from 'graphql';
import type { Job } from '../../db/types.js';
import type { JobStatus } from '../../domain/index.js';
import type { QueueMetrics } from '../../queue/reads/metricsRead.js';
import type { LiveFieldExtension } from '../../events/liveField.js';
import type { GraphQLContext } from '../builder.js';
import { builder } from '../builder.js';
import { parseId } from '../ids.js';
import { JobStatusEnum, JobTypeEnum } from './enums.js';
import { JobRef } from './job.js';
import { MetricsRef } from './metrics.js';

builder.subscriptionType({
  description: 'Live updates over WebSocket (graphql-ws) or SSE.',
  authScopes: { viewer: true },
});

function jobIdArg(id: string | number | null | undefined): number | undefined {
  if (id === null || id === undefined) return undefined;
  const parsed = parseId(id);
  if (parsed === undefined) throw new GraphQLError(`Job ${id} does not exist.`, { extensions: { code: 'NOT_FOUND' } });
  return parsed;
}

async function currentJob(id: number, context: GraphQLContext): Promise<Job> {
  const job = await context.loaders.jobs.load(id);
  if (!job) throw new GraphQLError(`Job ${id} does not exist.`, { extensions: { code: 'NOT_FOUND' } });
  return job;
}

/** Two states of one job: the later one by its update time; at the same millisecond, any change counts. */
export function isNewerJob(update: Job, than: Job): boolean {
  const delta = update.updatedAt.getTime() - than.updatedAt.getTime();
  return delta > 0 || (delta === 0 && (update.status !== than.status || update.attemptCount !== than.attemptCount));
}

const jobUpdatedLive: LiveFieldExtension<Job> = {
  snapshot: async (args, context) => {
    const id = jobIdArg(args.id as string | undefined);
    return id === undefined ? null : currentJob(id, context as GraphQLContext);
  },
  key: (job) => job.id,
  newer: isNewerJob,
};

const metricsUpdatedLive: LiveFieldExtension<QueueMetrics> = {
  snapshot: (_args, context) => (context as GraphQLContext).live.metrics.latest(),
  key: () => 'metrics',
};

builder.subscriptionFields((t) => ({
  jobUpdated: t.field({
    type: JobRef,
    description:
      'Job state changes, each as the committed Job. With `id`: that job, starting with its current state, then every change in order. ' +
      'Without: every matching job. A subscriber far behind gets only the latest state of each job it missed (never a stale final state).',
    args: {
      id: t.arg.id({ required: false, description: 'Watch one job.' }),
      status: t.arg({ type: [JobStatusEnum], required: false, description: 'Only updates into any of these statuses.' }),
      jobType: t.arg({ type: JobTypeEnum, required: false, description: 'Only jobs of this type.' }),
    },
    extensions: { live: jobUpdatedLive },
    // The source alone: the live engine (src/server/subscriptions/engine.ts), which serves every
    // subscription, sends each subscriber its snapshot (`extensions.live`) and then the newer events.
    subscribe: (_root, args, context) =>
      context.live.jobs.subscribe({ id: jobIdArg(args.id), statuses: (args.status ?? undefined) as JobStatus[] | undefined, jobType: args.jobType ?? undefined }),
    resolve: (job) => job,
  }),
  metricsUpdated: t.field({
    type: MetricsRef,
    description: 'Queue metrics: the current figures at once, then new figures after changes, at most once per second.',
    extensions: { live: metricsUpdatedLive },
    subscribe: (_root, _args, context) => context.live.metrics.subscribe(),
    resolve: (metrics) => metrics,
  }),
}));
