/**
 * The dialect seam: the operations whose SQL differs between SQLite and PostgreSQL, which are
 * also the statements that run per job (insert, claim, start, finish, release, lease renewal)
 * and the cross-process signals (wake-ups, live events). They run on the database driver itself
 * (better-sqlite3 statements prepared once; pg named statements on a small pool of their own),
 * one statement per batch; Prisma keeps the schema, the migrations, the generated types and
 * everything else. No provider checks outside this folder.
 *
 * Why the driver and not Prisma for these: a profile of the drain showed Prisma's client and the
 * SQLite adapter (which prepares every statement anew) taking a fifth of the time, and rows
 * returned in full and parsed column by column taking half a core on PostgreSQL. Here a claim
 * returns each row as one compact array, and a finish returns only what the caller cannot know
 * (the status it left, a cancel that raced it): the caller rebuilds the rows it publishes.
 */
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseProvider } from '../../config/index.js';
import type { Attempt, Db, Job } from '../types.js';
import type { JobFilter } from '../jobFilter.js';

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
}

/** A lease is identified by its owner and the time it was taken (leaseAcquiredAt). */
export interface LeaseRef {
  id: number;
  claimedAt: Date;
}

/** A handler started: `lastStartedAt` is set, so recovery charges the attempt if the worker dies. */
export interface StartRow extends LeaseRef {
  startedAt: Date;
}

/** The outcome of one attempt, written to its job and to its Attempt row by `jobsFinish`. */
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

export interface FinishParams {
  /** The lease owner whose attempts these are: a job leased by someone else is left alone. */
  leaseOwner: string;
  rows: FinishRow[];
  /** Recovery of dead workers' jobs: only leases that have expired by `now` (a renewal in between wins). */
  expiredBy?: Date;
}

/** What a finish or release wrote, for what the caller cannot know itself. */
export interface WrittenJob {
  id: number;
  /** The status left: the outcome's, or CANCELED when a cancel came first (it is kept). */
  status: string;
  canceledAt: Date | null;
}

export interface ReleaseParams {
  leaseOwner: string;
  jobs: LeaseRef[];
  now: Date;
  expiredBy?: Date;
}

/** A job to insert; `activeKey` must be set (new jobs are PENDING). */
/** Who enqueued through the API, written as an AuditEvent row per inserted job. */
export interface AuditStamp {
  actor: string;
  role: string | null;
  requestId: string | null;
  action: 'ENQUEUE' | 'REPLAY';
  at: Date;
}

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
  activeKey: string;
  createdAt: Date;
  nextRunAt: Date;
  isReplay: boolean;
  replayOfId: number | null;
  replayOfAttemptId: number | null;
}

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

/** A page of jobs, newest first: after `afterId` (older), or before `beforeId` (newer, read oldest first). */
export interface JobsPageParams {
  filter: JobFilter;
  now: Date;
  limit: number;
  afterId?: number;
  beforeId?: number;
  /** The end of the list (oldest first): `last` without, or with, `before`. */
  backward?: boolean;
}

/** A cross-process channel for live events (PostgreSQL LISTEN/NOTIFY here; Redis in src/live). */
export interface EventTransport {
  readonly name: string;
  /** Largest payload it carries, in bytes. */
  readonly maxPayloadBytes: number;
  /** Sends the payloads in order, in one round trip where the transport allows. */
  publish(payloads: string[]): Promise<void>;
  /**
   * Delivers every payload published from now on. When the subscription was lost and is back,
   * `onResubscribed` is told since when messages may have been missed.
   */
  subscribe(onMessage: (payload: string) => void, onResubscribed?: (lostAt: Date) => void): Promise<void>;
  /** Subscribed and able to publish (for /readyz). */
  healthy(): boolean;
  close(): Promise<void>;
}

/** An open database's hot path. */
export interface Dialect {
  readonly provider: DatabaseProvider;
  /** Writes worth having in flight at once: 1 where the database takes one writer (SQLite). */
  readonly concurrentWrites: number;
  /** Whether an error may pass by itself (the database away, a lock): retry, rather than blame the data. */
  isTransient(error: unknown): boolean;
  /** Health of the connections a process needs beyond queries (the LISTEN session), for /readyz. */
  health(): Record<string, boolean>;
  /**
   * A query that takes a transaction-scoped exclusive turn named `id` without waiting, answering
   * one row `{ locked: boolean }` (PostgreSQL: an advisory lock); undefined where the database lets
   * one writer in at a time anyway (SQLite).
   */
  exclusiveTurnSql?: (id: number) => string;
  /** Calls `listener` with the name of every statement this seam runs (tests and benchmarks count them). */
  onStatement(listener: (name: string) => void): () => void;
  /**
   * Inserts PENDING jobs in one statement. A row whose activeKey is already held (an active job
   * for the same pair, possibly earlier in the same batch) is skipped, not an error: the unique
   * index decides, so concurrent enqueues in any number of processes are safe. Wakes idle
   * workers in every process in the same round trip (where the database can). With `audit`,
   * each inserted job gets its audit row in the same statement (or transaction).
   */
  jobsInsert(rows: NewJobRow[], audit?: AuditStamp): Promise<{ id: number; activeKey: string }[]>;
  /**
   * Leases up to `limit` due PENDING jobs (priority, then due time, then id) in one statement:
   * RUNNING, lease owner and times, the attempt counted. Its start is recorded later
   * (`jobsStart`, or the finish): a job whose worker dies before it started is released with
   * its count given back, not charged. Skips paused types and types with a concurrency limit
   * (those are claimed by `jobsClaimOfType`), as stored when the statement runs.
   */
  jobsClaim(params: ClaimParams): Promise<Job[]>;
  /**
   * Leases due jobs of one type that has a concurrency limit: at most `limit`, and never so many
   * that more than the limit of its jobs are RUNNING in all processes. Claims of one type are
   * serialized across processes (a row lock on PostgreSQL; SQLite has one writer), so the count
   * they read is the count they leave. A type paused or no longer limited gets nothing here.
   */
  jobsClaimOfType(params: ClaimParams & { jobType: string }): Promise<Job[]>;
  /** Records that handlers started (lastStartedAt), for jobs still held under those leases. */
  jobsStart(params: { leaseOwner: string; rows: StartRow[] }): Promise<void>;
  /**
   * Writes many attempt outcomes atomically: each job's new state and its Attempt row, for the
   * jobs this owner still holds under that lease (others are left alone, their attempt not
   * written). A CANCELED job stays CANCELED; its attempt is written.
   */
  jobsFinish(params: FinishParams): Promise<WrittenJob[]>;
  /** Puts claimed jobs that never started back to PENDING, due now, their attempt count given back. */
  jobsRelease(params: ReleaseParams): Promise<WrittenJob[]>;
  /** Extends the leases of jobs this worker still holds; returns the ids it still holds. */
  leasesRenew(params: RenewParams): Promise<number[]>;
  /** RUNNING jobs whose lease expired before `now`, oldest first. */
  leasesExpired(params: { now: Date; limit: number }): Promise<ExpiredLease[]>;
  /*
   * Reads for the API, one statement each, on the driver: Prisma's client cost ~290 µs per query
   * in the read benchmark's profile (the database's own work: 7 µs), so the GraphQL reads that
   * run most go through these, batched per request by loaders (src/graphql/loaders.ts).
   */
  /** Every stored job type control (the worker's refresh; the claims themselves read the table too). */
  jobTypeControls(): Promise<JobTypeControl[]>;
  /**
   * Reserves the next request slot of an upstream shared by every process (one request every
   * `intervalMs`, none while paused): answers how long to wait for it, in ms, by the database's
   * clock, so the processes' own clocks never matter.
   */
  upstreamSlotReserve(target: string, intervalMs: number): Promise<number>;
  /** Pauses requests to an upstream for `pauseMs` from now (a Retry-After), unless it is paused longer already. */
  upstreamPause(target: string, pauseMs: number): Promise<void>;
  /** How much is left of each upstream's pause, in ms by the database's clock (≤ 0: none). */
  upstreamPausesLeft(targets: readonly string[]): Promise<Map<string, number>>;
  /** Jobs by id, in no particular order (absent ids are absent). */
  jobsByIds(ids: readonly number[]): Promise<Job[]>;
  /** A page of jobs matching the filter, newest first (oldest first with `beforeId`). */
  jobsPage(params: JobsPageParams): Promise<Job[]>;
  jobsCount(filter: JobFilter, now: Date): Promise<number>;
  attemptsByIds(ids: readonly number[]): Promise<Attempt[]>;
  /** Each job's attempts, newest first, at most `perJob` each. */
  attemptsByJobIds(jobIds: readonly number[], perJob: number): Promise<Attempt[]>;
  /** Replays of each job (or of each attempt), newest first, at most `perParent` each. */
  replaysByParents(parent: 'replayOfId' | 'replayOfAttemptId', parentIds: readonly number[], perParent: number): Promise<Job[]>;
  /** Calls `onWake` when jobs became due in another process; returns a stop function. */
  wakeListen?(onWake: () => void): Promise<() => Promise<void>>;
  /** Tells workers in other processes that jobs became due. */
  wakeNotify?(): Promise<void>;
  /** Live events between processes through the database itself; undefined where it has none. */
  eventTransport?(onError: (error: Error) => void): Promise<EventTransport>;
  close(): Promise<void>;
}

export interface ClientOptions {
  /** Emit Prisma `query` events (statement counting in tests and benchmarks). */
  queryEvents?: boolean;
  /** A statement running longer is canceled by the server (PostgreSQL). */
  statementTimeoutMs?: number;
  /** Connecting (TCP and authentication) longer fails the attempt (PostgreSQL). */
  connectTimeoutMs?: number;
}

/** A provider: how to reach it with Prisma (client, migrations) and how to open its hot path. */
export interface DialectModule {
  readonly provider: DatabaseProvider;
  adapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory;
  openClient(url: string, options?: ClientOptions): Promise<Db>;
  /** Per-connection settings of the Prisma client (SQLite pragmas). */
  prepareClient(db: Db): Promise<void>;
  open(url: string, options?: ClientOptions): Promise<Dialect>;
  /** Connects once and lets go: throws if the server cannot be reached (none for an embedded database). */
  probe?(url: string, options?: ClientOptions): Promise<void>;
}

export async function dialectFor(provider: DatabaseProvider): Promise<DialectModule> {
  return provider === 'sqlite' ? (await import('./sqlite.js')).sqlite : (await import('./postgres.js')).postgres;
}
