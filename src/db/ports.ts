/**
 * The narrow interfaces the rest of the code base reaches the databases through, each
 * implemented once per dialect (src/db/postgres, src/db/sqlite) and checked against both by the
 * conformance suites (test/db.dialect.test.ts, test/db.lifecycle.test.ts). River's driver
 * interface is the model; ours is split by role so each consumer sees only what it uses:
 *
 * - `JobStore`: the worker's and the enqueue's hot path, one statement per batch;
 * - `JobReads`: the API's reads, batched per request by loaders;
 * - `PaceStore`: upstream request slots shared by every process;
 * - `Signals`: wake-ups between processes, and a notification channel the live layer can carry
 *   its events over (src/events), where the database has them;
 * - `StoreCapabilities`: what a caller may rely on (River's `Supports…`), instead of asking which
 *   database it is: nothing outside src/db checks the provider.
 *
 * Every statement run through these is observed (`onStatement`), on both databases.
 */
import type { DatabaseProvider } from '../config/index.js';
import type { FinishRow, LeaseRef, NewJobRow, WrittenJob } from '../domain/index.js';
import type { JobFilter, JobOrder } from './jobFilter.js';
import type { Attempt, Job } from './types.js';

export type { FinishRow, LeaseRef, NewJobRow, WrittenJob } from '../domain/index.js';

export interface ClaimParams {
  workerId: string;
  now: Date;
  leaseMs: number;
  limit: number;
}

/** A job type's controls as stored (JobTypeState). */
export interface JobTypeControl {
  jobType: string;
  paused: boolean;
  /** Most of its jobs RUNNING at once in all processes; null: no limit. */
  concurrency: number | null;
  /** An upstream its jobs need whose circuit is open: they are not claimed (null: none). */
  heldBy: string | null;
  /** Its jobs with a group are claimed group by group (claimGrouped), not by the plain claim. */
  grouped: boolean;
}

/** A handler started: `lastStartedAt` is set, so recovery charges the attempt if the worker dies. */
export interface StartRow extends LeaseRef {
  startedAt: Date;
}

export interface FinishParams {
  /** The lease owner whose attempts these are: a job leased by someone else is left alone. */
  leaseOwner: string;
  rows: FinishRow[];
  /** Recovery of dead workers' jobs: only leases that have expired by `expiredBy` (a renewal in between wins). */
  expiredBy?: Date;
  /** When the statement runs: a retry due by then wakes the other processes' workers. */
  now: Date;
}

export interface ReleaseParams {
  leaseOwner: string;
  jobs: LeaseRef[];
  now: Date;
  expiredBy?: Date;
}

/** One pair's coalescing enqueue: the job it would insert (as owner), and what it absorbs. */
export interface CoalesceRow {
  row: NewJobRow;
  /** The pair: activeKey(jobType, entityId). */
  key: string;
  /** Enqueues of this pair folded into this one (a batch may name a pair many times; the last payload wins). */
  count: number;
  debounceMs: number;
  maxDelayMs: number;
}

/** The job that holds the change now: an existing PENDING one (`coalesced`), or a new owner or follow-up. */
export interface CoalesceResult {
  job: Job;
  coalesced: boolean;
}

/** Who enqueued through the API, written as an AuditEvent row per inserted job, with the insert. */
export interface AuditStamp {
  actor: string;
  role: string | null;
  requestId: string | null;
  action: 'ENQUEUE' | 'REPLAY';
  at: Date;
}

/** An inbound webhook delivery, as stored (WebhookDelivery). */
export interface NewDeliveryRow {
  source: string;
  /** The sender's id of the delivery: unique per source. */
  deliveryId: string;
  eventType: string | null;
  receivedAt: Date;
  requestId: string | null;
  bodyBytes: number;
}

/** What a delivery did to each job: a new one, folded into the pair's pending one, or refused because the pair's active job holds it (REJECT). */
export type DeliveryOutcome = 'CREATED' | 'COALESCED' | 'ACTIVE';

/**
 * A delivery's write: `duplicate` when (source, deliveryId) was stored already (nothing written);
 * otherwise each plain insert's new id or the id of the active job that refused it, and each
 * coalescing change's job.
 */
export type DeliveryWrite = { duplicate: true; id: number } | { duplicate: false; id: number; inserted: ({ id: number } | { holderId: number })[]; coalesced: CoalesceResult[] };

export interface RenewParams {
  workerId: string;
  jobs: LeaseRef[];
  leaseExpiresAt: Date;
}

/** A RUNNING job whose lease has expired (its worker stopped renewing it). */
export interface ExpiredLease {
  id: number;
  leaseOwner: string;
  claimedAt: Date;
  leaseExpiresAt: Date;
  attemptCount: number;
  unchargedAttempts: number;
  maxRetries: number;
  /** Set when its handler started under this lease: the attempt was lost and is charged. */
  startedAt: Date | null;
}

/** The worker's and the enqueue's statements: each one statement per batch, on the driver. */
export interface JobStore {
  /**
   * Inserts PENDING jobs in one statement. A row whose activeKey is already held (an active job
   * for the same pair, possibly earlier in the same batch) is skipped, not an error: the unique
   * index decides, so concurrent enqueues in any number of processes are safe. Wakes idle
   * workers in every process at commit (where the database can). With `audit`, each inserted job
   * gets its audit row in the same statement (or transaction).
   */
  insert(rows: NewJobRow[], audit?: AuditStamp): Promise<{ id: number; activeKey: string }[]>;
  /** The active jobs holding these keys (owners and follow-ups; an owner is listed after its pair's follow-up). */
  activeHolders(keys: readonly string[]): Promise<{ id: number; activeKey: string }[]>;
  /**
   * Coalescing enqueues (ifActive COALESCE), one per pair, atomically: the pair's PENDING job
   * absorbs each (payload last-writer-wins when given, count, debounce), or a follow-up is inserted
   * behind a RUNNING owner, or a new owner. Concurrent calls for one pair take turns (a
   * transaction-scoped lock per pair on PostgreSQL; SQLite has one writer).
   */
  coalesce(rows: CoalesceRow[], audit?: AuditStamp): Promise<CoalesceResult[]>;
  /**
   * A webhook delivery and the enqueues it maps to, in one transaction, so a delivery is stored
   * if and only if its jobs are: the delivery's row, the plain inserts (as `insert`), the
   * coalescing changes (as `coalesce`), and a WebhookDeliveryJob row for each job. A delivery
   * whose (source, deliveryId) is stored already writes nothing.
   */
  receiveDelivery(delivery: NewDeliveryRow, writes: { inserts: NewJobRow[]; coalesces: CoalesceRow[] }, audit: AuditStamp): Promise<DeliveryWrite>;
  /**
   * Leases up to `limit` due PENDING jobs (priority, then due time, then id) in one statement:
   * RUNNING, lease owner and times, the attempt counted (lifecycle `afterClaim`). Skips paused
   * types and types with a concurrency limit (claimed by `claimOfType`), as stored when it runs.
   */
  claim(params: ClaimParams): Promise<Job[]>;
  /**
   * Leases due jobs of one type that has a concurrency limit: at most `limit`, and never so many
   * that more than the limit of its jobs are RUNNING in all processes. Claims of one type take
   * turns across processes (a row lock on PostgreSQL; SQLite has one writer).
   */
  claimOfType(params: ClaimParams & { jobType: string }): Promise<Job[]>;
  /**
   * Leases due jobs with a group of one grouped type, the groups taking turns: the groups with
   * PENDING jobs after `after` in key order (at most `limit` × 4 of them, paused ones and ones at
   * their concurrency limit skipped), the first job of each (priority, due time, id), then the
   * second of each, and so on, at most `limit`, and within the type's own concurrency limit.
   * `lastGroup`: the last group the claim reached, where the next claim starts after (the turn).
   * Claims of one type take turns across processes (a row lock on PostgreSQL; SQLite has one writer).
   */
  claimGrouped(params: ClaimParams & { jobType: string; after: string }): Promise<{ jobs: Job[]; lastGroup: string | undefined }>;
  /** Marks types grouped (before a job of theirs with a group is written): the plain claim leaves their grouped jobs alone from then on. */
  markGrouped(jobTypes: readonly string[]): Promise<void>;
  /** A circuit breaker's probe: leases one due job of these (held) types, paused ones aside. */
  claimProbe(params: Omit<ClaimParams, 'limit'> & { jobTypes: readonly string[] }): Promise<Job[]>;
  /** Records that handlers started (lastStartedAt), for jobs still held under those leases. */
  start(params: { leaseOwner: string; rows: StartRow[] }): Promise<void>;
  /**
   * Writes many attempt outcomes atomically (lifecycle `afterFinish`): each job's new state and
   * its Attempt row, for the jobs this owner still holds under that lease (others are left alone,
   * their attempt not written). A CANCELED job stays CANCELED; its attempt is written.
   */
  finish(params: FinishParams): Promise<WrittenJob[]>;
  /** Puts claimed jobs that never started back (lifecycle `afterRelease`). */
  release(params: ReleaseParams): Promise<WrittenJob[]>;
  /** Extends the leases of jobs this worker still holds; returns the ids it still holds. */
  renew(params: RenewParams): Promise<number[]>;
  /** RUNNING jobs whose lease expired before `now`, oldest first. */
  expired(params: { now: Date; limit: number }): Promise<ExpiredLease[]>;
  /** RUNNING jobs leased to this owner (to find claims whose answer was lost in transit). */
  leasedTo(leaseOwner: string): Promise<LeaseRef[]>;
  /** The current status of these jobs (absent ids are absent). */
  statuses(ids: readonly number[]): Promise<{ id: number; status: string }[]>;
  /** Every stored job type control. */
  controls(): Promise<JobTypeControl[]>;
  /** The groups an operator paused (pauseGroup): their jobs claimed ahead go back unstarted. */
  pausedGroups(): Promise<{ jobType: string; groupKey: string }[]>;
  /** Whether an error may pass by itself (the database away, a lock): retry, rather than blame the data. */
  isTransient(error: unknown): boolean;
}

/** A page of jobs in `order` (newest first by default): after a cursor row, or before one (read in the reverse order). */
export interface JobsPageParams {
  filter: JobFilter;
  now: Date;
  limit: number;
  afterId?: number;
  beforeId?: number;
  /** The cursor row's sort key (jobFilter `orderKeyOf`) when the order is not by id. */
  afterKey?: number;
  beforeKey?: number;
  /** The end of the list (the order reversed): `last` without, or with, `before`. */
  backward?: boolean;
  /** Default: newest first (by id). */
  order?: JobOrder;
}

/**
 * The API's most frequent reads, one statement each on the driver: Prisma's client cost ~290 µs
 * per query in the read benchmark's profile (the database's own work: 7 µs).
 */
export interface JobReads {
  /** Jobs by id, in no particular order (absent ids are absent). */
  byIds(ids: readonly number[]): Promise<Job[]>;
  /** A page of jobs matching the filter, newest first (oldest first with `backward`). */
  page(params: JobsPageParams): Promise<Job[]>;
  count(filter: JobFilter, now: Date): Promise<number>;
  attemptsByIds(ids: readonly number[]): Promise<Attempt[]>;
  /** Each job's attempts, newest first, at most `perJob` each. */
  attemptsByJobIds(jobIds: readonly number[], perJob: number): Promise<Attempt[]>;
  /** Replays of each job (or of each attempt), newest first, at most `perParent` each. */
  replaysByParents(parent: 'replayOfId' | 'replayOfAttemptId', parentIds: readonly number[], perParent: number): Promise<Job[]>;
}

/** Upstream request slots shared by every process, by the database's clock. */
export interface PaceStore {
  /** Reserves the next request slot (one every `intervalMs`, none while paused): how long to wait for it, in ms. */
  reserve(target: string, intervalMs: number): Promise<number>;
  /** Pauses requests to an upstream for `pauseMs` from now (a Retry-After), unless it is paused longer already. */
  pause(target: string, pauseMs: number): Promise<void>;
  /** How much is left of each upstream's pause, in ms (≤ 0: none). */
  pausesLeft(targets: readonly string[]): Promise<Map<string, number>>;
}

/**
 * A channel of string messages between the processes sharing the database (PostgreSQL NOTIFY;
 * the live layer's EventTransport, which Redis pub/sub implements too).
 */
export interface NotificationChannel {
  readonly name: string;
  /** Largest message it carries, in bytes. */
  readonly maxPayloadBytes: number;
  /** Sends the messages in order, in one round trip where the transport allows. */
  publish(payloads: string[]): Promise<void>;
  /** Delivers every message published from now on; after a lost subscription is back, `onResubscribed` says since when some may be missing. */
  subscribe(onMessage: (payload: string) => void, onResubscribed?: (lostAt: Date) => void): Promise<void>;
  /** Subscribed and able to publish (for /readyz). */
  healthy(): boolean;
  close(): Promise<void>;
}

export interface Signals {
  /** Calls `onWake` when jobs became due in another process; returns a stop function. Absent: no such signal (SQLite: one machine, the poll). */
  wakeListen?(onWake: () => void): Promise<() => Promise<void>>;
  /** Tells workers in other processes that jobs became due. */
  wakeNotify?(): Promise<void>;
  /** Calls `onJob` with the id of each job enqueued in SQL (syncbridge_enqueue), at its commit; returns a stop function. */
  sqlEnqueuedListen?(onJob: (id: number) => void): Promise<() => Promise<void>>;
  /** A channel for the live layer's events, where the database has one. */
  notifications?(onError: (error: Error) => void): Promise<NotificationChannel>;
  /** Health of the connections beyond queries (the LISTEN session), for /readyz. */
  health(): Record<string, boolean>;
}

export interface StoreCapabilities {
  /** For logs and /readyz; never to branch on. */
  readonly provider: DatabaseProvider;
  /** Writes worth having in flight at once: 1 where the database takes one writer (SQLite). */
  readonly concurrentWrites: number;
  /** Whether a caller's own transaction can enqueue (PostgreSQL's syncbridge_enqueue); SQLite has no transaction another connection could share. */
  readonly enqueueInCallerTransaction: boolean;
  /** Single-job actions of a bulk action worth running at once. */
  readonly bulkConcurrency: number;
  /**
   * A query that takes a transaction-scoped exclusive turn named `id` without waiting, answering
   * one row `{ locked: boolean }` (PostgreSQL: an advisory lock); undefined where the database lets
   * one writer in at a time anyway (SQLite).
   */
  exclusiveTurnSql?(id: number): string;
  /** Calls `listener` with the name of every statement the ports run (tests and benchmarks count them). */
  onStatement(listener: (name: string) => void): () => void;
}
