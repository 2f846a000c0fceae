/** retryJobs, cancelJobs, replayJobs: one filter, the single-job rules for every match, counts back. */
import { InputError } from '../../queue/errors.js';
import { jobsBulk, type BulkAction, type BulkResult } from '../../queue/services/jobsBulk.js';
import { jobsDelete } from '../../queue/services/jobsDelete.js';
import { builder } from '../builder.js';
import { JobRef } from '../types/job.js';
import { JobFilterInput, toJobFilter } from '../types/jobFilter.js';
import { actingCaller } from './results.js';

type BulkOutcome = BulkResult & { dryRun: boolean };

const SkipCount = builder.objectRef<{ reason: string; count: number }>('BulkSkipCount').implement({
  description: 'How many matched jobs were skipped for one reason.',
  fields: (t) => ({
    reason: t.exposeString('reason', { description: 'The error the single-job action gives, e.g. InvalidStateError or DuplicateActiveJobError.' }),
    count: t.exposeInt('count', { description: 'How many jobs.' }),
  }),
});

const BulkActionResult = builder.objectRef<BulkOutcome>('BulkActionResult').implement({
  description: 'The outcome of a bulk action: every match was handled by the single-job rules.',
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun', { description: 'Whether nothing was changed (the counts say what would be).' }),
    matched: t.exposeInt('matched', { description: 'Jobs the filter matched.' }),
    affected: t.exposeInt('affected', { description: 'Jobs changed (or that would be): retried, canceled, or replayed by a new job.' }),
    skipped: t.exposeInt('skipped', { description: 'Matched jobs the rules refused; nothing changed for them.' }),
    skippedBy: t.field({
      type: [SkipCount],
      description: 'The skipped jobs by reason.',
      resolve: (result) => Object.entries(result.skippedBy).map(([reason, count]) => ({ reason, count })),
    }),
    jobs: t.field({
      type: [JobRef],
      description: 'The first affected jobs (for a replay, the new jobs), at most 200; none for a dry run.',
      args: { first: t.arg.int({ required: false, description: 'At most this many (default 20, up to 200).' }) },
      complexity: (args) => ({ field: 1, multiplier: Math.min(200, Math.max(0, args.first ?? 20)) }),
      resolve: async (result, args, context) => {
        const ids = result.jobIds.slice(0, Math.min(200, Math.max(0, args.first ?? 20)));
        const byId = new Map((await context.queue.reads.byIds(ids)).map((job) => [job.id, job]));
        return ids.flatMap((id) => byId.get(id) ?? []);
      },
    }),
  }),
});

const descriptions: Record<BulkAction, string> = {
  retry: 'Put every FAILED job the filter matches back in the queue (as retryJob does each).',
  cancel: 'Cancel every PENDING or RUNNING job the filter matches (as cancelJob does each).',
  replay: 'Replay the latest failed attempt of every job the filter matches, one new job per eligible pair (as replayJob does each).',
};

function bulkField(action: BulkAction, name: string) {
  builder.mutationField(name, (t) =>
    t.field({
      type: BulkActionResult,
      description: `${descriptions[action]} Jobs the rules refuse are skipped and counted. Works through the matches in pages, each change committed on its own and published live; runs to the end (SYNCBRIDGE_GRAPHQL_TIMEOUT_SECONDS does not apply).`,
      errors: { types: [InputError], directResult: true, union: { name: `${name[0]!.toUpperCase()}${name.slice(1)}Result`, description: `The outcome of ${name}.` } },
      args: {
        filter: t.arg({
          type: JobFilterInput,
          required: true,
          description: 'Which jobs. At least one condition: an empty filter is refused (say status: [...] to mean all of a status).',
        }),
        dryRun: t.arg.boolean({ required: false, description: 'Count what would happen; change nothing.' }),
      },
      resolve: async (_root, args, context) => {
        // A bulk action runs to the end: it works in pages, each change its own short write, so
        // the operation time limit (meant for runaway reads) would only cut it off half done.
        context.deadline = undefined;
        const actor = await actingCaller(context);
        const filter = toJobFilter(args.filter);
        if (!Object.values(filter).some((value) => value !== undefined)) throw new InputError('The filter must hold at least one condition.', 'filter');
        const dryRun = args.dryRun ?? false;
        return { ...(await jobsBulk(context.queue, action, filter, { dryRun, actor })), dryRun };
      },
    }),
  );
}

builder.mutationField('deleteJobs', (t) =>
  t.field({
    type: BulkActionResult,
    authScopes: { admin: true },
    description:
      'Delete every finished job (SUCCEEDED, FAILED, DEAD, CANCELED) the filter matches, with its attempts, a page at a time, each deletion audited. Active jobs are skipped and counted (InvalidStateError): cancel them first. Jobs that replay a deleted one keep running and lose only their link. Admins only; not published live (refetch a list after it).',
    errors: { types: [InputError], directResult: true, union: { name: 'DeleteJobsResult', description: 'The outcome of deleteJobs.' } },
    args: {
      filter: t.arg({ type: JobFilterInput, required: true, description: 'Which jobs. At least one condition: an empty filter is refused.' }),
      dryRun: t.arg.boolean({ required: false, description: 'Count what would be deleted; delete nothing.' }),
    },
    resolve: async (_root, args, context) => {
      context.deadline = undefined; // like the other bulk actions: it runs to the end, a page at a time
      const actor = await actingCaller(context);
      const filter = toJobFilter(args.filter);
      if (!Object.values(filter).some((value) => value !== undefined)) throw new InputError('The filter must hold at least one condition.', 'filter');
      const dryRun = args.dryRun ?? false;
      return { ...(await jobsDelete(context.queue, filter, { dryRun, actor })), dryRun };
    },
  }),
);

bulkField('retry', 'retryJobs');
bulkField('cancel', 'cancelJobs');
bulkField('replay', 'replayJobs');
