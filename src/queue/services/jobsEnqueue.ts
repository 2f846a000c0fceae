/**
 * Enqueue: validates each input (its job type's payload schema included), then inserts the valid
 * ones in one statement. Each item succeeds or fails on its own; a failed item changes nothing.
 */
import type { Job } from '../../db/client.js';
import type { QueueContext } from '../context.js';
import { DuplicateActiveJobError, InputError, type QueueError } from '../errors.js';
import { jobsInsert, type NewJob } from './jobsInsert.js';
import { jobsCoalesce } from './jobsCoalesce.js';
import { auditFailures, auditStamp, logAudited, type Actor } from './audit.js';
import { ifActivePolicies, priorities, type IfActive, type Priority } from '../../domain/index.js';
import type { JobTypeInfo, PayloadCheck } from '../jobTypes.js';

export interface EnqueueInput {
  jobType: string;
  entityId: string;
  maxRetries?: number | null;
  priority?: Priority | null;
  scheduledAt?: Date | null;
  payloadVersion?: number | null;
  /** Checked by the job type's payload schema (for the given payload version). */
  payload?: unknown;
  /** While the pair has an active job: refuse (REJECT) or fold in (COALESCE); default the job type's. */
  ifActive?: IfActive | null;
}

export const enqueueLimits = {
  entityIdMaxLength: 128,
  entityIdPattern: /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/,
  maxRetries: { min: 0, max: 25 },
  payloadVersion: { min: 1, max: 1000 },
  /** How far ahead scheduledAt may be. */
  scheduleHorizonDays: 366,
  batchSize: 10_000,
} as const;

/** `coalesced`: an active job of the pair took the change (ifActive COALESCE), no new job. */
export type EnqueueResult = { ok: true; job: Job; coalesced: boolean } | { ok: false; error: QueueError };

/** The policy an input asks for, or its job type's. */
export function policyOf(input: EnqueueInput, type: { ifActive: IfActive } | undefined): IfActive {
  const asked = input.ifActive ?? type?.ifActive ?? 'REJECT';
  if (!ifActivePolicies.includes(asked)) throw new InputError('ifActive must be REJECT or COALESCE.', 'ifActive');
  return asked;
}

/** The job type an input names (by its registered name, any case), or an InputError listing the known ones; SyncBridge's internal types only when `internal`. */
export function jobTypeOf(context: Pick<QueueContext, 'jobTypes'>, name: string, internal = false): JobTypeInfo {
  // As registered first (the API's enum and the library pass that); any case otherwise.
  const type = typeof name === 'string' ? (context.jobTypes.get(name) ?? context.jobTypes.get(name.toLowerCase())) : undefined;
  if (type?.internal && !internal) throw new InputError(`${type.name} is SyncBridge's own: its jobs are made by SyncBridge, not enqueued.`, 'jobType');
  if (!type)
    throw new InputError(
      `Unknown jobType "${name}"; use one of ${context.jobTypes
        .list()
        .map((known) => known.name)
        .join(', ')}.`,
      'jobType',
    );
  return type;
}

/** An input's job, every field checked but its payload (null here). */
function checkedFields(input: EnqueueInput, type: JobTypeInfo, context: Pick<QueueContext, 'settings' | 'now'>) {
  const entityId = typeof input.entityId === 'string' ? input.entityId.trim() : '';
  if (!entityId) throw new InputError('entityId must not be empty.', 'entityId');
  if (entityId.length > enqueueLimits.entityIdMaxLength) {
    throw new InputError(`entityId must be at most ${enqueueLimits.entityIdMaxLength} characters.`, 'entityId');
  }
  if (!enqueueLimits.entityIdPattern.test(entityId)) {
    throw new InputError('entityId may contain only letters, digits and . _ : @ - (and must start with a letter or digit).', 'entityId');
  }
  const maxRetries = input.maxRetries ?? type.maxRetries ?? context.settings.maxRetriesDefault;
  const { min, max } = enqueueLimits.maxRetries;
  if (!Number.isInteger(maxRetries) || maxRetries < min || maxRetries > max) {
    throw new InputError(`maxRetries must be an integer from ${min} to ${max}.`, 'maxRetries');
  }
  // The newest version unless the caller names one (a producer pinned to an older payload shape).
  const payloadVersion = input.payloadVersion ?? type.versions.at(-1)!;
  if (!Number.isInteger(payloadVersion) || payloadVersion < enqueueLimits.payloadVersion.min || payloadVersion > enqueueLimits.payloadVersion.max) {
    throw new InputError(`payloadVersion must be an integer from ${enqueueLimits.payloadVersion.min} to ${enqueueLimits.payloadVersion.max}.`, 'payloadVersion');
  }
  if (!type.versions.includes(payloadVersion)) throw new InputError(`${type.name} has no payload version ${payloadVersion}; it has ${type.versions.join(', ')}.`, 'payloadVersion');
  const scheduledAt = input.scheduledAt ?? null;
  if (scheduledAt !== null) {
    if (!(scheduledAt instanceof Date) || Number.isNaN(scheduledAt.getTime())) {
      throw new InputError('scheduledAt must be a valid ISO-8601 date-time.', 'scheduledAt');
    }
    const horizon = context.now().getTime() + enqueueLimits.scheduleHorizonDays * 86_400_000;
    if (scheduledAt.getTime() > horizon) {
      throw new InputError(`scheduledAt must be within ${enqueueLimits.scheduleHorizonDays} days from now.`, 'scheduledAt');
    }
  }
  const priority = input.priority ?? 'NORMAL';
  if (!(priority in priorities)) throw new InputError('priority must be LOW, NORMAL or HIGH.', 'priority');
  // The job to insert, its payload filled in by the caller (one object per job: a batch is 10,000).
  const job: NewJob = { jobType: type.name, entityId, maxRetries, payloadVersion, scheduledAt, priority: priorities[priority], payload: null };
  return job;
}

/** The payload as its schema accepts it (JSON to store), or an InputError naming the field at fault. */
function storedPayload(check: PayloadCheck): string | null {
  if (!check.ok) throw new InputError(check.message, check.field);
  return check.json;
}

/**
 * One input, checked: the job to insert, or an InputError naming the field at fault. Returns
 * synchronously unless the payload's schema validates asynchronously (a batch then awaits only
 * those).
 */
export function validateEnqueueInput(input: EnqueueInput, context: Pick<QueueContext, 'settings' | 'now' | 'jobTypes'>, internal = false): NewJob | Promise<NewJob> {
  const type = jobTypeOf(context, input.jobType, internal);
  const job = checkedFields(input, type, context);
  const check = type.checkPayload(job.payloadVersion, input.payload);
  if (check instanceof Promise) {
    return check.then((settled) => {
      job.payload = storedPayload(settled);
      return job;
    });
  }
  job.payload = storedPayload(check);
  return job;
}

/** `actor`: enqueued through the API by this caller (audited: a row per job, with the insert). `internal`: SyncBridge's own types allowed. */
export async function jobsEnqueue(context: QueueContext, inputs: EnqueueInput[], actor?: Actor, options: { internal?: boolean } = {}): Promise<EnqueueResult[]> {
  if (inputs.length > enqueueLimits.batchSize) {
    throw new InputError(`A batch may hold at most ${enqueueLimits.batchSize} jobs; split it.`, 'inputs');
  }
  const results: EnqueueResult[] = new Array(inputs.length);
  const valid: { index: number; job: NewJob }[] = [];
  const coalescing: { index: number; job: NewJob }[] = [];
  for (const [index, input] of inputs.entries()) {
    try {
      const job = validateEnqueueInput(input, context, options.internal);
      const checked = job instanceof Promise ? await job : job;
      (policyOf(input, context.jobTypes.get(checked.jobType)) === 'COALESCE' ? coalescing : valid).push({ index, job: checked });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      results[index] = { ok: false, error };
    }
  }
  const stamp = actor && auditStamp(actor, 'ENQUEUE', context.now());
  if (valid.length) {
    const inserted = await jobsInsert(
      context,
      valid.map((item) => item.job),
      stamp,
    );
    inserted.forEach((result, position) => {
      results[valid[position]!.index] = result instanceof Error ? { ok: false, error: result } : { ok: true, job: result, coalesced: false };
    });
  }
  if (coalescing.length) {
    const written = await jobsCoalesce(
      context,
      coalescing.map((item) => item.job),
      stamp,
    );
    written.forEach((result, position) => (results[coalescing[position]!.index] = { ok: true, ...result }));
  }
  if (actor) {
    logAudited(context, actor, 'ENQUEUE', [...new Set(results.flatMap((result) => (result.ok ? [result.job.id] : [])))]);
    await auditFailures(
      context,
      actor,
      'ENQUEUE',
      results.flatMap((result, index) => {
        if (result.ok) return [];
        const jobId = result.error instanceof DuplicateActiveJobError ? result.error.existingJobId || null : null;
        return [{ jobId, error: result.error, detail: `${inputs[index]?.jobType}:${String(inputs[index]?.entityId).slice(0, 128)}: ${result.error.message}`.slice(0, 500) }];
      }),
    );
  }
  return results;
}

/** One job, and whether an active one of its pair took it (COALESCE); throws the item's QueueError. */
export async function jobEnqueueResult(context: QueueContext, input: EnqueueInput, actor?: Actor): Promise<{ job: Job; coalesced: boolean }> {
  const [result] = await jobsEnqueue(context, [input], actor);
  if (!result!.ok) throw result!.error;
  return { job: result!.job, coalesced: result!.coalesced };
}

/** One job (the new one, or the active one that took the change); throws the item's QueueError. */
export async function jobEnqueue(context: QueueContext, input: EnqueueInput, actor?: Actor): Promise<Job> {
  return (await jobEnqueueResult(context, input, actor)).job;
}
