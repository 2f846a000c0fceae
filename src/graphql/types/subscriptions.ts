import { GraphQLError } from 'graphql';
import type { JobStatus } from '../../live/events.js';
import { builder } from '../builder.js';
import { parseId } from '../ids.js';
import { JobStatusEnum, JobTypeEnum } from './enums.js';
import { JobRef } from './job.js';
import { MetricsRef } from './metrics.js';

builder.subscriptionType({
  description: 'Live updates over WebSocket (graphql-ws) or SSE.',
});

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
    subscribe: async (_root, args, context) => {
      const id = args.id === null || args.id === undefined ? undefined : parseId(args.id);
      if (args.id !== null && args.id !== undefined && id === undefined) {
        throw new GraphQLError(`Job ${args.id} does not exist.`, { extensions: { code: 'NOT_FOUND' } });
      }
      // Subscribe before reading, so no change between the read and the first event is lost.
      const subscription = context.live.jobs.subscribe({ id, statuses: (args.status ?? undefined) as JobStatus[] | undefined, jobType: args.jobType ?? undefined });
      if (id !== undefined) {
        const job = await context.queue.db.job.findUnique({ where: { id } });
        if (!job) {
          await subscription.return();
          throw new GraphQLError(`Job ${args.id} does not exist.`, { extensions: { code: 'NOT_FOUND' } });
        }
        if (subscription.matches(job)) subscription.startWith(job);
      }
      return subscription;
    },
    resolve: (job) => job,
  }),
  metricsUpdated: t.field({
    type: MetricsRef,
    description: 'Queue metrics: the current figures at once, then new figures after changes, at most once per second.',
    subscribe: (_root, _args, context) => context.live.metrics.subscribe(),
    resolve: (metrics) => metrics,
  }),
}));
