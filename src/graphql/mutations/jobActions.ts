/** retryJob, cancelJob, replayJob: thin calls into the queue services, typed results. */
import { DuplicateActiveJobError, InputError, InvalidStateError, NotFoundError } from '../../queue/errors.js';
import { jobCancel } from '../../queue/services/jobCancel.js';
import { jobReplay } from '../../queue/services/jobReplay.js';
import { jobRetry } from '../../queue/services/jobRetry.js';
import { jobRunNow } from '../../queue/services/jobRunNow.js';
import { builder } from '../builder.js';
import { parseId } from '../ids.js';
import { actingCaller, audited, successType } from './results.js';

const RetryJobSuccess = successType('RetryJobSuccess', 'The FAILED job is PENDING again, due now.');
const CancelJobSuccess = successType('CancelJobSuccess', 'The job is CANCELED.');
const ReplayJobSuccess = successType('ReplayJobSuccess', 'A new job replays the failed attempt; `job` is the new job.');
const RunJobNowSuccess = successType('RunJobNowSuccess', 'The PENDING job is due now.');

function jobId(id: string | number): number {
  const parsed = parseId(id);
  if (parsed === undefined) throw new NotFoundError('Job', id);
  return parsed;
}

const idOrNull = (id: string | number) => parseId(id) ?? null;

builder.mutationFields((t) => ({
  retryJob: t.field({
    type: RetryJobSuccess,
    description: 'Put a FAILED job back in the queue (due now). Its attempts are kept and attemptCount keeps counting.',
    errors: { types: [NotFoundError, InvalidStateError, DuplicateActiveJobError], directResult: true, union: { name: 'RetryJobResult', description: 'The outcome of retryJob.' } },
    args: { id: t.arg.id({ required: true, description: 'The job.' }) },
    resolve: async (_root, args, context) => {
      const actor = await actingCaller(context);
      return audited(context, actor, 'RETRY', idOrNull(args.id), async () => ({ job: await jobRetry(context.queue, jobId(args.id), actor) }));
    },
  }),
  cancelJob: t.field({
    type: CancelJobSuccess,
    description: 'Cancel a PENDING or RUNNING job. A running handler is told to stop; its late result cannot undo the cancel.',
    errors: { types: [NotFoundError, InvalidStateError], directResult: true, union: { name: 'CancelJobResult', description: 'The outcome of cancelJob.' } },
    args: { id: t.arg.id({ required: true, description: 'The job.' }) },
    resolve: async (_root, args, context) => {
      const actor = await actingCaller(context);
      return audited(context, actor, 'CANCEL', idOrNull(args.id), async () => ({ job: await jobCancel(context.queue, jobId(args.id), actor) }));
    },
  }),
  runJobNow: t.field({
    type: RunJobNowSuccess,
    description:
      "Make a PENDING job that waits for its time (scheduled, a retry's backoff, a debounce) due now; idle workers are woken. A job already due is answered as it is. A follow-up still waits for its entity's running job (InputError).",
    errors: { types: [NotFoundError, InvalidStateError, InputError], directResult: true, union: { name: 'RunJobNowResult', description: 'The outcome of runJobNow.' } },
    args: { id: t.arg.id({ required: true, description: 'The job.' }) },
    resolve: async (_root, args, context) => {
      const actor = await actingCaller(context);
      return audited(context, actor, 'RUN_NOW', idOrNull(args.id), async () => ({ job: await jobRunNow(context.queue, jobId(args.id), actor) }));
    },
  }),
  replayJob: t.field({
    type: ReplayJobSuccess,
    description: 'Create a new PENDING job that replays a failed attempt (default: the latest). The original is untouched.',
    errors: { types: [NotFoundError, InputError, DuplicateActiveJobError], directResult: true, union: { name: 'ReplayJobResult', description: 'The outcome of replayJob.' } },
    args: {
      id: t.arg.id({ required: true, description: 'The job to replay.' }),
      attemptId: t.arg.id({ required: false, description: 'A failed attempt of that job (default: its latest attempt).' }),
    },
    resolve: async (_root, args, context) => {
      const actor = await actingCaller(context);
      return audited(context, actor, 'REPLAY', idOrNull(args.id), async () => {
        let attemptId: number | undefined;
        if (args.attemptId !== undefined && args.attemptId !== null) {
          attemptId = parseId(args.attemptId);
          if (attemptId === undefined) throw new NotFoundError('Attempt', args.attemptId);
        }
        return { job: await jobReplay(context.queue, jobId(args.id), attemptId, actor) };
      });
    },
  }),
}));
