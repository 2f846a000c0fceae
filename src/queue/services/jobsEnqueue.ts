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
  /** The group the job belongs to (the same rules as entityId); default: what the job type's `group` derives, else none. */
  groupKey?: string | null;
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

/** An entity id or group key, trimmed, or an InputError on `field` (`origin` says where a derived one came from). */
export function checkedKey(value: unknown, field: 'entityId' | 'groupKey', origin = ''): string {
  const key = typeof value === 'string' ? value.trim() : '';
  if (!key) throw new InputError(`${field}${origin} must not be empty.`, field);
  if (key.length > enqueueLimits.entityIdMaxLength) {
    throw new InputError(`${field}${origin} must be at most ${enqueueLimits.entityIdMaxLength} characters.`, field);
  }
  if (!enqueueLimits.entityIdPattern.test(key)) {
    throw new InputError(`${field}${origin} may contain only letters, digits and . _ : @ - (and must start with a letter or digit).`, field);
  }
  return key;
}

/** The group an input names, else the one its job type derives from the validated payload, else null. */
function groupKeyOf(input: EnqueueInput, type: JobTypeInfo, job: NewJob, payloadValue: unknown): string | null {
  if (input.groupKey !== undefined && input.groupKey !== null) return checkedKey(input.groupKey, 'groupKey');
  let derived: unknown;
  try {
    derived = type.groupOf(job.payloadVersion, payloadValue, job.entityId);
  } catch (error) {
    throw new InputError(`groupKey: ${type.name}'s group function failed: ${error instanceof Error ? error.message : String(error)}`, 'groupKey');
  }
  return derived === undefined || derived === null ? null : checkedKey(derived, 'groupKey', ` (from ${type.name}'s group function)`);
}

/**
 * The group a stored job's type derives for it (a schedule's tick): its payload checked again for
 * the schema's value; null when the type derives none, or (logged by the caller) cannot now.
 */
export async function derivedGroupKey(type: JobTypeInfo, job: Pick<NewJob, 'payloadVersion' | 'entityId' | 'payload'>): Promise<string | null> {
  const check = await type.checkPayload(job.payloadVersion, job.payload === null ? undefined : JSON.parse(job.payload));
  if (!check.ok) throw new InputError(check.message, check.field);
  return groupKeyOf({ jobType: type.name, entityId: job.entityId }, type, job as NewJob, check.value);
}

/** An input's job, every field checked but its payload and group (null here). */
function checkedFields(input: EnqueueInput, type: JobTypeInfo, context: Pick<QueueContext, 'settings' | 'now'>) {
  const entityId = checkedKey(input.entityId, 'entityId');
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
  const job: NewJob = { jobType: type.name, entityId, maxRetries, payloadVersion, scheduledAt, priority: priorities[priority], payload: null, groupKey: null };
  return job;
}

/** The job with its payload as its schema accepts it (JSON to store) and its group, or an InputError naming the field at fault. */
function completed(job: NewJob, check: PayloadCheck, input: EnqueueInput, type: JobTypeInfo): NewJob {
  if (!check.ok) throw new InputError(check.message, check.field);
  job.payload = check.json;
  job.groupKey = groupKeyOf(input, type, job, check.value);
  return job;
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
  return check instanceof Promise ? check.then((settled) => completed(job, settled, input, type)) : completed(job, check, input, type);
}

/** Per store, the types this process knows are grouped (marked, or defined so). */
const groupedTypes = new WeakMap<object, Set<string>>();

/**
 * Before jobs with a group are written: their types marked grouped (once per type and process),
 * so no claim takes such a job out of its group's turn.
 */
export async function markGroupedTypes(context: Pick<QueueContext, 'jobs' | 'jobTypes'>, items: readonly { job: Pick<NewJob, 'jobType' | 'groupKey'> }[]): Promise<void> {
  let known = groupedTypes.get(context.jobs);
  if (!known) groupedTypes.set(context.jobs, (known = new Set()));
  const fresh = new Set<string>();
  for (const { job } of items) if (job.groupKey !== null && !known.has(job.jobType) && !context.jobTypes.get(job.jobType)?.grouped) fresh.add(job.jobType);
  if (!fresh.size) return;
  await context.jobs.markGrouped([...fresh]);
  for (const jobType of fresh) known.add(jobType);
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
  await markGroupedTypes(context, [...valid, ...coalescing]);
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
