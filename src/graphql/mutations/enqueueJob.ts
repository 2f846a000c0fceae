import { DuplicateActiveJobError, InputError } from '../../queue/errors.js';
import { jobEnqueueResult, jobsEnqueue, enqueueLimits, type EnqueueInput } from '../../queue/services/jobsEnqueue.js';
import { builder } from '../builder.js';
import { maxPayloadBytes } from '../../queue/jobTypes.js';
import { IfActiveEnum, JobPriorityEnum, JobTypeEnum } from '../types/enums.js';
import { actingCaller } from './results.js';
import { JobRef } from '../types/job.js';
import type { Job } from '../../db/types.js';
import { errorAsItem, itemErrorType } from '../types/errors.js';

export const EnqueueJobInput = builder.inputType('EnqueueJobInput', {
  description: 'A job to enqueue. A (jobType, entityId) has at most one RUNNING and one PENDING job; ifActive says what happens when it has an active one.',
  fields: (t) => ({
    jobType: t.field({ type: JobTypeEnum, required: true, description: 'What to sync.' }),
    entityId: t.string({
      required: true,
      description: `The source record id, e.g. "c_1001": 1–${enqueueLimits.entityIdMaxLength} characters, letters, digits and . _ : @ -.`,
    }),
    maxRetries: t.int({
      required: false,
      description: `Retries after the first attempt for retryable failures, ${enqueueLimits.maxRetries.min}–${enqueueLimits.maxRetries.max} (default: the type's retry.maxRetries, else SYNCBRIDGE_JOB_MAX_RETRIES_DEFAULT, 3).`,
    }),
    priority: t.field({ type: JobPriorityEnum, required: false, description: 'Claim priority (default NORMAL).' }),
    scheduledAt: t.field({ type: 'DateTime', required: false, description: `Do not run before this time (at most ${enqueueLimits.scheduleHorizonDays} days ahead).` }),
    payloadVersion: t.int({ required: false, description: "The payload's version: which of the type's handlers runs it (default: the newest)." }),
    payload: t.field({
      type: 'JSON',
      required: false,
      description: `What the job carries, checked by the type's payload schema (jobTypes → payloadSchema); a mismatch is an InputError whose field is the path, e.g. payload.email. At most ${maxPayloadBytes / 1024} KiB of JSON.`,
    }),
    ifActive: t.field({ type: IfActiveEnum, required: false, description: "While the pair has an active job (default: the job type's, jobTypes → ifActive)." }),
    groupKey: t.string({
      required: false,
      description: `The group the job belongs to (a tenant, an account), the same rules as entityId (default: what the job type's group function derives from the payload, else none). A coalesced change keeps the group of the job that takes it.`,
    }),
  }),
});

const EnqueueJobSuccess = builder.objectRef<{ job: Job; coalesced: boolean }>('EnqueueJobSuccess').implement({
  description: "The change is in a job: a new one, or (coalesced) the pair's PENDING job.",
  fields: (t) => ({
    job: t.field({ type: JobRef, description: 'The job as committed: the new job, or the PENDING job that took the change.', resolve: (result) => result.job }),
    coalesced: t.exposeBoolean('coalesced', {
      description: "True when the pair's PENDING job (or an earlier item of the same batch) took this enqueue: no new job (ifActive COALESCE).",
    }),
  }),
});

const toServiceInput = (input: typeof EnqueueJobInput.$inferInput): EnqueueInput => ({
  jobType: input.jobType,
  entityId: input.entityId,
  maxRetries: input.maxRetries,
  priority: input.priority,
  scheduledAt: input.scheduledAt,
  payloadVersion: input.payloadVersion,
  payload: input.payload,
  ifActive: input.ifActive,
  groupKey: input.groupKey,
});

const EnqueueJobsItemResult = builder.unionType('EnqueueJobsItemResult', {
  description: 'The outcome of one item of enqueueJobs.',
  types: [EnqueueJobSuccess, DuplicateActiveJobError, InputError],
  resolveType: (value) => itemErrorType(value) ?? 'EnqueueJobSuccess',
});

builder.mutationFields((t) => ({
  enqueueJob: t.field({
    type: EnqueueJobSuccess,
    description:
      'Enqueue one job. Idempotent per (jobType, entityId) while a job for it is active: REJECT answers DuplicateActiveJobError, COALESCE folds the change into the active pair.',
    errors: { types: [DuplicateActiveJobError, InputError], directResult: true, union: { name: 'EnqueueJobResult', description: 'The outcome of enqueueJob.' } },
    args: { input: t.arg({ type: EnqueueJobInput, required: true, description: 'The job to enqueue.' }) },
    resolve: async (_root, { input }, context) => jobEnqueueResult(context.queue, toServiceInput(input), await actingCaller(context)),
  }),
  enqueueJobs: t.field({
    type: [EnqueueJobsItemResult],
    description: `Enqueue up to ${enqueueLimits.batchSize} jobs in one database round trip; each item succeeds or fails on its own, results in input order.`,
    args: { inputs: t.arg({ type: [EnqueueJobInput], required: true, description: 'The jobs to enqueue.' }) },
    resolve: async (_root, { inputs }, context) => {
      const actor = await actingCaller(context);
      if (inputs.length > enqueueLimits.batchSize) {
        return inputs.map(() => errorAsItem(new InputError(`A batch may hold at most ${enqueueLimits.batchSize} jobs; split it.`, 'inputs')));
      }
      const results = await jobsEnqueue(context.queue, inputs.map(toServiceInput), actor);
      return results.map((result) => (result.ok ? { job: result.job, coalesced: result.coalesced } : errorAsItem(result.error)));
    },
  }),
}));
