/**
 * The dialect seam: the few operations whose SQL differs between SQLite and PostgreSQL (batch
 * claim, batch finish, lease renewal, wake-ups). Everything else is shared Prisma code. No
 * provider checks outside this folder.
 */
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseProvider } from '../../config/index.js';
import type { Db, Job } from '../client.js';

export interface ClaimParams {
  workerId: string;
  now: Date;
  leaseExpiresAt: Date;
  limit: number;
}

/** The outcome of one attempt, as written to its job and its Attempt row by `finishJobs`. */
export interface FinishRow {
  id: number;
  /** The attempt being finished: the update applies only if the job is still on it. */
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
}

export interface FinishParams {
  /** The lease owner whose attempts these are: a job leased by someone else is left alone. */
  leaseOwner: string;
  rows: FinishRow[];
}

/** A job to insert; `activeKey` must be set (new jobs are PENDING). */
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
  ids: number[];
  leaseExpiresAt: Date;
}

export interface ClientOptions {
  queryEvents?: boolean;
}

export interface Dialect {
  readonly provider: DatabaseProvider;
  /** PostgreSQL's LISTEN/NOTIFY: wake-ups reach workers in other processes. */
  readonly supportsListenNotify: boolean;
  adapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory;
  /** `queryEvents`: emit Prisma `query` events (statement counting in tests and benchmarks). */
  openClient(url: string, options?: ClientOptions): Promise<Db>;
  /** Per-connection settings (SQLite pragmas). */
  prepareConnection(db: Db): Promise<void>;
  /**
   * Leases up to `limit` due PENDING jobs (priority, then due time, then id), marking them
   * RUNNING and counting the attempt, in one statement. Returns the claimed rows as written.
   */
  claimJobs(db: Db, params: ClaimParams): Promise<Job[]>;
  /**
   * Inserts PENDING jobs in one statement. A row whose activeKey is already held (an active job
   * for the same jobType and entityId, possibly earlier in the same batch) is skipped, not an
   * error: the unique index decides, so concurrent enqueues in any number of processes are safe.
   */
  insertJobs(db: Db, rows: NewJobRow[]): Promise<{ id: number; activeKey: string }[]>;
  /**
   * Writes many attempt outcomes atomically: each job's new state and its Attempt row, for the
   * jobs this lease owner still holds on that attempt (others are left alone, their attempt not
   * written: lease recovery recorded it). A CANCELED job stays CANCELED; its attempt is written.
   * Returns the job rows as written (a row read afterwards could already show the next attempt).
   */
  finishJobs(db: Db, params: FinishParams): Promise<Job[]>;
  /** Extends the leases of jobs this worker still holds; returns those it still holds. */
  renewLeases(db: Db, params: RenewParams): Promise<number[]>;
  /** Tells workers in every process that jobs became due (no-op without LISTEN/NOTIFY). */
  notifyJobsAvailable?(db: Db): Promise<void>;
  /** Calls `onWake` when another process enqueued; returns a stop function. */
  listenJobsAvailable?(url: string, onWake: () => void): Promise<() => Promise<void>>;
  /**
   * A cross-process channel for live events through the database itself (PostgreSQL
   * LISTEN/NOTIFY); undefined where the database has none. Structurally a live LiveTransport.
   */
  openEventTransport?(url: string, onError: (error: Error) => void): Promise<{
    readonly name: string;
    readonly maxPayloadBytes: number;
    publish(payload: string): Promise<void>;
    subscribe(onMessage: (payload: string) => void): Promise<void>;
    close(): Promise<void>;
  }>;
}

export async function dialectFor(provider: DatabaseProvider): Promise<Dialect> {
  return provider === 'sqlite'
    ? (await import('./sqlite.js')).sqliteDialect
    : (await import('./postgres.js')).postgresDialect;
}
