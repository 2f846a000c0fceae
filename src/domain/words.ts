/**
 * The domain's words, in one bottom-layer module that imports nothing: statuses, priorities, the
 * kinds of transition, and the error types the system itself records. Every layer (and, through
 * the schema's enums, the dashboard) uses these. Job types are the users' own (src/platform).
 */

export const jobStatuses = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELED'] as const;
export type JobStatus = (typeof jobStatuses)[number];
/** Nothing happens to a job in one of these unless an operator acts. */
export const finalStatuses = ['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELED'] as const satisfies readonly JobStatus[];
/** Counted as finished by the metrics (a canceled job never finished its work). */
export const finishedStatuses = ['SUCCEEDED', 'FAILED', 'DEAD'] as const satisfies readonly JobStatus[];

export function isFinalStatus(status: string): boolean {
  return (finalStatuses as readonly string[]).includes(status);
}

/** The operator's view of where a job is, finer than its status. */
export const jobPhases = ['QUEUED', 'SCHEDULED', 'RETRY_SCHEDULED', 'BLOCKED', 'UPSTREAM_OPEN', 'RUNNING', 'LEASE_EXPIRED', 'FINISHED'] as const;
export type JobPhase = (typeof jobPhases)[number];

export const priorities = { LOW: 0, NORMAL: 1, HIGH: 2 } as const;
export type Priority = keyof typeof priorities;

export function priorityName(value: number): Priority {
  return value >= 2 ? 'HIGH' : value <= 0 ? 'LOW' : 'NORMAL';
}

/** Why a job changed state; one value per edge of the lifecycle. */
export const transitionKinds = [
  'enqueued',
  'claimed',
  'succeeded',
  'retry_scheduled',
  'dead',
  'failed',
  'canceled',
  'retried',
  'replayed',
  /** An attempt of a CANCELED job ended (the job stays CANCELED). */
  'attempt_finished',
  /** A started attempt was lost with its worker's lease. */
  'lease_expired',
  /** An enqueue (COALESCE) was absorbed by the pair's PENDING job: its payload, count or due time changed, not its status. */
  'coalesced',
  /**
   * The job would have gone back to PENDING (a retry, a lost lease, a release) while its pair has a
   * follow-up holding a newer change: it ends CANCELED and the follow-up runs instead.
   */
  'superseded',
  /** runJobNow: a PENDING job waiting for its time (scheduled, a retry's backoff, a debounce) made due at once. */
  'promoted',
  /** Back to PENDING without counting against the budget: shutdown, or a lease that expired before the job started. */
  'released',
  /**
   * Not a change: the job's committed state read again after this process's cross-process live
   * channel was interrupted, so that its subscribers see what they may have missed meanwhile.
   */
  'resynced',
] as const;
export type TransitionKind = (typeof transitionKinds)[number];

/** Error types of upstream failures (SPEC → Error classification). */
export const upstreamErrorTypes = ['UpstreamTimeout', 'UpstreamRateLimited', 'NotFound', 'ValidationError'] as const;
export type UpstreamErrorType = (typeof upstreamErrorTypes)[number];

/** Error types the system records for attempts it ended itself. */
export const systemErrorTypes = {
  /** The worker holding the job stopped renewing its lease (presumed dead). */
  leaseExpired: 'LeaseExpired',
  /** This worker found its lease taken over while the handler ran. */
  leaseLost: 'LeaseLost',
  /** The worker shut down under the job (not counted against maxRetries). */
  workerShutdown: 'WorkerShutdown',
  /** An operator canceled the job while its attempt ran. */
  canceled: 'Canceled',
  /** The handler ran past its time limit. */
  handlerTimeout: 'HandlerTimeout',
  /** The process ran out of file descriptors or sockets for an upstream call (not charged). */
  localResources: 'LocalResourcesExhausted',
  /** Ended instead of going back to PENDING: the pair's follow-up holds a newer change and runs instead. */
  superseded: 'Superseded',
  /** A call to an upstream whose circuit breaker is open was not made (not charged). */
  upstreamOpen: 'UpstreamOpen',
} as const;

/**
 * What an enqueue does when its (jobType, entityId) already has an active job. REJECT: refuse it
 * (DuplicateActiveJobError). COALESCE: a PENDING job absorbs it (the newer payload wins); behind a
 * RUNNING one, one follow-up job waits and absorbs the rest. A pair has at most one RUNNING and
 * one PENDING job either way.
 */
export const ifActivePolicies = ['REJECT', 'COALESCE'] as const;
export type IfActive = (typeof ifActivePolicies)[number];

/** The value of Job.activeKey while a job owns its pair, and of Job.followUpKey while it waits behind that one. */
export function activeKey(jobType: string, entityId: string): string {
  return `${jobType}:${entityId}`;
}

const durationUnits = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** A duration like 90s, 30m, 12h or 7d, in seconds; undefined when it is not one. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim().toLowerCase());
  return match ? Number(match[1]) * durationUnits[match[2] as keyof typeof durationUnits] : undefined;
}

/** An upstream's circuit breaker: CLOSED (calls go), OPEN (the jobs that need it wait), HALF_OPEN (one probe job is trying it). */
export const circuitStates = ['CLOSED', 'OPEN', 'HALF_OPEN'] as const;
export type CircuitState = (typeof circuitStates)[number];

/** What an alert rule watches: jobs gone DEAD, the failed share of attempts, the oldest due job's wait, an upstream's open circuit. */
export const alertKinds = ['JOB_DEAD', 'FAILURE_RATE', 'QUEUE_AGE', 'UPSTREAM_OPEN'] as const;
export type AlertKind = (typeof alertKinds)[number];

/** Where an alert rule's notifications go. */
export const alertChannelKinds = ['WEBHOOK', 'SLACK', 'EMAIL'] as const;
export type AlertChannelKind = (typeof alertChannelKinds)[number];
