/** pruneJobs: retention on demand, for admins. */
import { finalStatuses, type JobStatus } from '../../domain/index.js';
import { InputError } from '../../queue/errors.js';
import { jobsPrune } from '../../queue/services/jobsPrune.js';
import { builder } from '../builder.js';
import { JobStatusEnum } from '../types/enums.js';
import { actingCaller, refused } from './results.js';

const PruneJobsSuccess = builder.objectRef<{ deleted: number }>('PruneJobsSuccess').implement({
  description: 'How many jobs were deleted, with their attempts.',
  fields: (t) => ({ deleted: t.exposeInt('deleted', { description: 'Jobs deleted.' }) }),
});

builder.mutationField('pruneJobs', (t) =>
  t.field({
    type: PruneJobsSuccess,
    authScopes: { admin: true },
    description:
      'Delete finished jobs (with their attempts) whose last change is older than olderThan, in small batches. Replays of a deleted job keep running but lose their replayOf link. Admins only; the same runs on its own per SYNCBRIDGE_RETENTION_SUCCEEDED / SYNCBRIDGE_RETENTION_FAILED.',
    errors: { types: [InputError], directResult: true, union: { name: 'PruneJobsResult', description: 'The outcome of pruneJobs.' } },
    args: {
      olderThan: t.arg({ type: 'DateTime', required: true, description: 'Jobs last changed before this time.' }),
      statuses: t.arg({ type: [JobStatusEnum], required: false, description: 'Final statuses to prune (default: SUCCEEDED and CANCELED).' }),
    },
    resolve: async (_root, args, context) => {
      const actor = await actingCaller(context);
      const statuses = (args.statuses?.length ? args.statuses : ['SUCCEEDED', 'CANCELED']) as JobStatus[];
      const active = statuses.filter((status) => !(finalStatuses as readonly string[]).includes(status));
      if (active.length)
        throw await refused(
          context,
          actor,
          'PRUNE',
          new InputError(`Only finished jobs can be pruned; ${active.join(', ')} ${active.length === 1 ? 'is' : 'are'} not a final status.`, 'statuses'),
        );
      if (Number.isNaN(args.olderThan.getTime()) || args.olderThan.getTime() > context.queue.now().getTime()) {
        throw await refused(context, actor, 'PRUNE', new InputError('olderThan must be a valid time in the past.', 'olderThan'));
      }
      return { deleted: await jobsPrune(context.queue, { statuses, olderThan: args.olderThan }, { actor }) };
    },
  }),
);
