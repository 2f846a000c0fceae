/**
 * The job lifecycle (SPEC → Lifecycle), in one place: which actions a status allows, what each
 * transition makes of a job, and the decision after an attempt. Every writer takes its changes
 * from here (the Prisma writes of cancel and retry), every TypeScript mirror of a SQL statement
 * is here (the rows published after a claim, finish or release, without reading them back), and
 * the bulk dry run asks the same questions. test/db.lifecycle.test.ts runs each statement on both
 * databases and compares the row it left with the mirror, so the SQL and these rules cannot drift.
 *
 * A new status or phase is one change here (and in words.ts), plus the SQL it forces.
 * Pure: no I/O, no clock of its own; callers pass `now`.
 */
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import { activeKey, systemErrorTypes, type JobPhase, type JobStatus } from './words.js';
import { supersededError } from './coalescing.js';

/** The columns of a job the lifecycle reads and writes (a stored Job row has them all). */
export interface JobState {
  id: number;
  jobType: string;
  entityId: string;
  status: string;
  activeKey: string | null;
  followUpKey: string | null;
  coalescedCount: number;
  attemptCount: number;
  unchargedAttempts: number;
  maxRetries: number;
  nextRunAt: Date;
  leaseOwner: string | null;
  leaseAcquiredAt: Date | null;
  leaseExpiresAt: Date | null;
  lastStartedAt: Date | null;
  lastFinishedAt: Date | null;
  lastDurationMs: number | null;
  lastError: string | null;
  lastErrorType: string | null;
  canceledAt: Date | null;
  deadAt: Date | null;
  deadError: string | null;
  deadErrorType: string | null;
  updatedAt: Date;
}

// ---- what a status allows ----------------------------------------------------------------------

/** A job in one of these holds its (jobType, entityId): no other active job for the pair. */
export const activeStatuses = ['PENDING', 'RUNNING'] as const satisfies readonly JobStatus[];

export function isActive(status: string): boolean {
  return status === 'PENDING' || status === 'RUNNING';
}

/** cancelJob: a job not yet finished. */
export const cancelableStatuses = activeStatuses;
export function canCancel(status: string): boolean {
  return isActive(status);
}

/** retryJob: a job that failed for good (not DEAD: its budget is spent; replay it). */
export const retryableStatuses = ['FAILED'] as const satisfies readonly JobStatus[];
export function canRetry(status: string): boolean {
  return status === 'FAILED';
}

/** Why an attempt cannot be replayed (undefined: it can): there is none, or it succeeded. */
export function replayRefusal(attempt: { success: boolean } | undefined): 'no-attempt' | 'succeeded' | undefined {
  if (!attempt) return 'no-attempt';
  return attempt.success ? 'succeeded' : undefined;
}

/** The operator's phase: finer than the status (the filter's SQL side is src/db/jobFilter.ts). */
export function phaseOf(
  job: Pick<JobState, 'status' | 'nextRunAt' | 'attemptCount' | 'leaseExpiresAt' | 'followUpKey'> & { jobType?: string },
  now: Date,
  /** Types whose jobs wait for an upstream whose circuit is open. */
  held?: { has(jobType: string): boolean },
): JobPhase {
  switch (job.status) {
    case 'PENDING':
      // Behind its pair's owner until that one finishes (the claim then takes it).
      if (job.followUpKey !== null) return 'BLOCKED';
      if (held && job.jobType !== undefined && held.has(job.jobType)) return 'UPSTREAM_OPEN';
      if (job.nextRunAt <= now) return 'QUEUED';
      return job.attemptCount > 0 ? 'RETRY_SCHEDULED' : 'SCHEDULED';
    case 'RUNNING':
      return job.leaseExpiresAt && job.leaseExpiresAt < now ? 'LEASE_EXPIRED' : 'RUNNING';
    default:
      return 'FINISHED';
  }
}

// ---- a new job ---------------------------------------------------------------------------------

/** What an enqueue, replay or schedule tick inserts (the store adds the constants of a new row). */
export interface NewJobRow {
  jobType: string;
  sourceSystem: string;
  targetSystem: string;
  entityType: string;
  entityId: string;
  priority: number;
  scheduledAt: Date | null;
  maxRetries: number;
  payloadVersion: number;
  correlationId: string;
  /** Set when the job owns its pair (the usual case)… */
  activeKey: string | null;
  /** …or when it is the pair's follow-up, waiting for the owner to finish (ifActive COALESCE). */
  followUpKey: string | null;
  /** Enqueues it absorbs from the start (a batch naming its pair several times); 0 when absent. */
  coalescedCount?: number;
  createdAt: Date;
  nextRunAt: Date;
  isReplay: boolean;
  replayOfId: number | null;
  replayOfAttemptId: number | null;
  /** The payload as validated JSON text (null: none). */
  payload: string | null;
  /** The group it belongs to (null: none). */
  groupKey: string | null;
}

/** When a new job is due: at `scheduledAt` when that is later than now, else now. */
export function firstDueAt(scheduledAt: Date | null, now: Date): Date {
  return scheduledAt && scheduledAt > now ? scheduledAt : now;
}

/** The key a new job holds while active. */
export { activeKey };

/** The row the insert commits (PENDING, nothing run yet), without reading it back. */
export function insertedJob(id: number, row: NewJobRow) {
  return {
    id,
    jobType: row.jobType,
    sourceSystem: row.sourceSystem,
    targetSystem: row.targetSystem,
    entityType: row.entityType,
    entityId: row.entityId,
    status: 'PENDING',
    priority: row.priority,
    scheduledAt: row.scheduledAt,
    maxRetries: row.maxRetries,
    attemptCount: 0,
    payloadVersion: row.payloadVersion,
    correlationId: row.correlationId,
    activeKey: row.activeKey,
    followUpKey: row.followUpKey,
    coalescedCount: row.coalescedCount ?? 0,
    leaseOwner: null,
    leaseAcquiredAt: null,
    leaseExpiresAt: null,
    createdAt: row.createdAt,
    updatedAt: row.createdAt,
    nextRunAt: row.nextRunAt,
    lastStartedAt: null,
    lastFinishedAt: null,
    lastError: null,
    lastErrorType: null,
    lastDurationMs: null,
    canceledAt: null,
    deadAt: null,
    deadError: null,
    deadErrorType: null,
    isReplay: row.isReplay,
    replayOfId: row.replayOfId,
    replayOfAttemptId: row.replayOfAttemptId,
    unchargedAttempts: 0,
    payload: row.payload,
    groupKey: row.groupKey,
  };
}

// ---- operator actions (the changes their writes make) -------------------------------------------

/**
 * cancelJob: CANCELED now; the pair is free again (a follow-up waiting behind it may run). A
 * running attempt's late outcome keeps it CANCELED.
 */
export function cancelChanges(now: Date) {
  return { status: 'CANCELED', canceledAt: now, activeKey: null, followUpKey: null, updatedAt: now } as const;
}

/** retryJob: PENDING, due now, the last error cleared, the attempts kept (attemptCount keeps counting). */
export function retryChanges(job: Pick<JobState, 'jobType' | 'entityId'>, now: Date) {
  return { status: 'PENDING', activeKey: activeKey(job.jobType, job.entityId), nextRunAt: now, lastError: null, lastErrorType: null, updatedAt: now } as const;
}

/** retryJob on a coalescing type while the pair's job RUNNING: the job waits behind it as the pair's follow-up. */
export function followUpRetryChanges(job: Pick<JobState, 'jobType' | 'entityId'>, now: Date) {
  return { ...retryChanges(job, now), activeKey: null, followUpKey: activeKey(job.jobType, job.entityId) } as const;
}

// ---- the worker's writes -----------------------------------------------------------------------

/** A lease: its owner's claim, identified by the time it was taken (leaseAcquiredAt). */
export interface LeaseRef {
  id: number;
  claimedAt: Date;
}

/**
 * The claim's changes to a due PENDING job (the SQL of both claims in each dialect). A follow-up is
 * claimable only once no job owns its pair; claimed, it owns the pair.
 */
export function afterClaim<J extends JobState>(before: J, lease: { workerId: string; now: Date; leaseMs: number }): J {
  return {
    ...before,
    status: 'RUNNING',
    activeKey: before.activeKey ?? before.followUpKey,
    followUpKey: null,
    leaseOwner: lease.workerId,
    leaseAcquiredAt: lease.now,
    leaseExpiresAt: new Date(lease.now.getTime() + lease.leaseMs),
    attemptCount: before.attemptCount + 1,
    updatedAt: lease.now,
  };
}

/** How an attempt went, as the executor reports it. */
export type AttemptOutcome =
  | { success: true; details?: string | null }
  | {
      success: false;
      /** Forensics from the runner (upstream calls, a stack), as stored. */
      details?: string | null;
      errorType: string;
      message: string;
      retryable: boolean;
      retryAfterMs?: number;
      /** Due again at once: the attempt was lost to the system (lease expiry, shutdown), not to the upstream. */
      immediate?: boolean;
      /** Not counted against maxRetries: lost to the system (a shutdown, no file descriptors left), not to the upstream. */
      uncharged?: boolean;
    };

/** The attempt that ended: which job, which lease, which attempt of how many allowed. */
export interface EndedAttempt extends LeaseRef {
  attemptNumber: number;
  /** Attempts before this one that were not charged (Job.unchargedAttempts). */
  unchargedAttempts: number;
  maxRetries: number;
  startedAt: Date;
}

/** The outcome of one attempt, as the finish statement writes it to its job and its Attempt row. */
export interface FinishRow extends LeaseRef {
  /** The attempt: attemptCount becomes this; the Attempt row gets it. */
  attemptNumber: number;
  startedAt: Date;
  success: boolean;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'DEAD';
  finishedAt: Date;
  durationMs: number;
  nextRunAt: Date | null;
  lastError: string | null;
  lastErrorType: string | null;
  deadAt: Date | null;
  /** The attempt's forensics (Attempt.details): JSON, size-capped; null when there is nothing to tell. */
  details: string | null;
  /** Not counted against maxRetries (the job's unchargedAttempts goes up by one). */
  uncharged: boolean;
}

export const errorSummaryLimit = 1024;

export function summarize(message: string): string {
  return message.length <= errorSummaryLimit ? message : `${message.slice(0, errorSummaryLimit - 1)}…`;
}

/**
 * The decision after an attempt: success → SUCCEEDED; a non-retryable failure → FAILED; a
 * retryable one → PENDING after the backoff while the budget lasts (charged attempts ≤
 * maxRetries, so maxRetries 3 means four attempts), else DEAD. An uncharged attempt (lost to the
 * system) never spends the budget; a lost one is due again at once.
 */
export function decideAfterAttempt(attempt: EndedAttempt, outcome: AttemptOutcome, timing: { finishedAt: Date; durationMs: number }, backoff: BackoffPolicy): FinishRow {
  // One literal shape for every outcome (spreads of varying shapes showed in the drain's profile).
  let status: FinishRow['status'] = 'SUCCEEDED';
  let nextRunAt: Date | null = null;
  let deadAt: Date | null = null;
  let lastError: string | null = null;
  let lastErrorType: string | null = null;
  if (!outcome.success) {
    lastError = summarize(outcome.message);
    lastErrorType = outcome.errorType;
    // The retry budget counts charged attempts only: this one, unless it is uncharged, and those before that were.
    const charged = attempt.attemptNumber - attempt.unchargedAttempts;
    if (!outcome.retryable) status = 'FAILED';
    else if (outcome.uncharged || charged <= attempt.maxRetries) {
      const delay = outcome.immediate ? 0 : backoffDelayMs(outcome.uncharged ? 1 : charged, backoff, outcome.retryAfterMs);
      status = 'PENDING';
      nextRunAt = new Date(timing.finishedAt.getTime() + delay);
    } else {
      status = 'DEAD';
      deadAt = timing.finishedAt;
    }
  }
  return {
    id: attempt.id,
    claimedAt: attempt.claimedAt,
    attemptNumber: attempt.attemptNumber,
    startedAt: attempt.startedAt,
    success: outcome.success,
    finishedAt: timing.finishedAt,
    durationMs: timing.durationMs,
    status,
    nextRunAt,
    lastError,
    lastErrorType,
    deadAt,
    details: outcome.details ?? null,
    uncharged: !outcome.success && Boolean(outcome.uncharged),
  };
}

/** What a finish or release wrote, for what the caller cannot know itself. */
export interface WrittenJob {
  id: number;
  /** The status left: the outcome's, or CANCELED when a cancel came first (it is kept) or a follow-up superseded it. */
  status: string;
  canceledAt: Date | null;
  /**
   * The pair's follow-up that superseded this job: it would have gone back to PENDING (a retry, a
   * lost lease, a release) while a newer change waited behind it, so it ended and that one runs.
   */
  supersededBy: number | null;
  /** A follow-up that may run now: this job left its pair (finished, or superseded). */
  freedFollowUp: number | null;
}

/**
 * The row as the finish statement leaves it (each dialect's `finish`): the outcome's status,
 * unless a cancel came first (kept CANCELED, the attempt recorded); the lease let go.
 */
export function afterFinish<J extends JobState>(before: J, row: FinishRow, written: WrittenJob): J {
  const superseded = written.supersededBy !== null;
  const canceled = written.status === 'CANCELED' && !superseded;
  const retrying = !canceled && !superseded && row.status === 'PENDING';
  return {
    ...before,
    status: written.status,
    activeKey: retrying ? before.activeKey : null,
    nextRunAt: retrying ? row.nextRunAt! : before.nextRunAt,
    deadAt: canceled ? null : row.deadAt,
    deadError: !canceled && row.status === 'DEAD' ? row.lastError : null,
    deadErrorType: !canceled && row.status === 'DEAD' ? row.lastErrorType : null,
    canceledAt: written.status === 'CANCELED' ? written.canceledAt : before.canceledAt,
    leaseOwner: null,
    leaseAcquiredAt: null,
    leaseExpiresAt: null,
    attemptCount: row.attemptNumber,
    unchargedAttempts: before.unchargedAttempts + (row.uncharged ? 1 : 0),
    lastStartedAt: row.startedAt,
    lastFinishedAt: row.finishedAt,
    lastDurationMs: row.durationMs,
    lastError: superseded ? supersededError(written.supersededBy!) : row.lastError,
    lastErrorType: superseded ? systemErrorTypes.superseded : row.lastErrorType,
    updatedAt: row.finishedAt,
  };
}

/**
 * The row as the release statement leaves it: a claimed job that never started goes back to
 * PENDING, due now, its claim's attempt given back (a canceled one stays CANCELED; one whose pair
 * has a follow-up is superseded by it).
 */
export function afterRelease<J extends JobState>(before: J, written: WrittenJob, now: Date): J {
  const superseded = written.supersededBy !== null;
  const ended = written.status === 'CANCELED';
  return {
    ...before,
    status: written.status,
    nextRunAt: ended ? before.nextRunAt : now,
    activeKey: ended ? null : before.activeKey,
    attemptCount: before.attemptCount - 1,
    canceledAt: ended ? written.canceledAt : before.canceledAt,
    lastError: superseded ? supersededError(written.supersededBy!) : before.lastError,
    lastErrorType: superseded ? systemErrorTypes.superseded : before.lastErrorType,
    leaseOwner: null,
    leaseAcquiredAt: null,
    leaseExpiresAt: null,
    updatedAt: now,
  };
}
