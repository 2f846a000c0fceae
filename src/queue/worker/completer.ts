/**
 * Outcome writes, in batches (group commit): everything that finished while the previous write
 * was in flight goes in the next, with a second write in flight under heavy load where the
 * database takes writes in parallel. A job's lease stays held until its outcome is written. A
 * batch the database refuses is split until the bad row stands alone, which is then written as
 * a failure saying why; while the database is away the batch is retried (the leases are renewed
 * meanwhile, so a long outage re-runs nothing).
 *
 * Starts are recorded here too, in a batch shortly after they happen, unless the outcome is
 * written first: a worker that dies leaves its never-started jobs uncharged.
 */
import type { StartRow } from '../../db/ports.js';
import { decideAfterAttempt, type FinishRow } from '../../domain/index.js';
import type { QueueContext } from '../context.js';
import type { RunningJob } from './held.js';
import { jobsFinish } from './jobsFinish.js';

/** Largest outcome batch, in jobs (one statement). */
const maxFinishBatch = 1_000;
/** A second outcome write starts while one is in flight only when this many are waiting. */
const parallelFinishThreshold = 100;
/** Outcomes waiting to be written past which the worker stops claiming until the database catches up. */
export const backlogLimit = 4 * maxFinishBatch;

/** An outcome to write; `job` (the claimed row) lets jobsFinish publish without reading back. */
interface Finished {
  row: FinishRow;
  job: RunningJob['job'];
  entry: RunningJob;
}

export class Completer {
  private queue: Finished[] = [];
  /** Attempts that ended, outcomes not yet written: their slots are free, their leases still held. */
  readonly writing = new Map<number, RunningJob>();
  private readonly starts = new Map<number, StartRow>();
  private writesInFlight = 0;
  private flush: 'idle' | 'scheduled' = 'idle';
  private readonly waiters = new Set<() => void>();
  /** Shutting down with the database away: give up retrying after a while (recovery takes over). */
  stopping = false;

  constructor(
    private readonly context: QueueContext,
    private readonly workerId: string,
    /** A batch was written (limited types' slots came back; backpressure may have lifted). */
    private readonly onWritten: (batch: readonly RunningJob[]) => void,
  ) {}

  /** Nothing waiting and nothing in flight. */
  get settled(): boolean {
    return !this.queue.length && !this.writesInFlight;
  }

  get backlog(): number {
    return this.writing.size;
  }

  /** An attempt ended: its outcome joins the next batch, and its start needs no record of its own. */
  add(entry: RunningJob, row: FinishRow): void {
    this.writing.set(entry.job.id, entry);
    this.starts.delete(entry.job.id); // the outcome records the start
    this.queue.push({ row, job: entry.job, entry });
    this.schedule();
  }

  noteStarted(entry: RunningJob): void {
    this.starts.set(entry.job.id, { id: entry.job.id, claimedAt: entry.claimedAt, startedAt: entry.startedAt });
  }

  /** Starts an outcome write when one is worth starting; everything waiting goes in it. */
  schedule(): void {
    if (!this.queue.length || this.flush === 'scheduled') return;
    if (this.writesInFlight >= this.context.capabilities.concurrentWrites) return;
    if (this.writesInFlight > 0 && this.queue.length < parallelFinishThreshold) return;
    // Gather this turn's outcomes into the batch.
    this.flush = 'scheduled';
    setImmediate(() => {
      this.flush = 'idle';
      if (!this.queue.length) return;
      const batch = this.queue.splice(0, maxFinishBatch);
      this.writesInFlight += 1;
      void this.write(batch).finally(() => {
        this.writesInFlight -= 1;
        for (const waiter of this.waiters) waiter();
        this.schedule();
      });
    });
  }

  private async write(batch: Finished[]): Promise<void> {
    await this.writeIsolating(batch);
    // Only this attempt's entry: once written, a retry due at once may already have been claimed
    // again and be running under the same job id.
    for (const { row, entry } of batch) if (this.writing.get(row.id) === entry) this.writing.delete(row.id);
    this.onWritten(batch.map((item) => item.entry));
  }

  private async writeIsolating(batch: Finished[]): Promise<void> {
    const { jobs, logger } = this.context;
    for (let tries = 1; ; tries++) {
      try {
        await jobsFinish(this.context, this.workerId, batch);
        return;
      } catch (error) {
        if (!jobs.isTransient(error)) return this.isolate(batch, error);
        if (tries === 1 || tries % 20 === 0) logger.error({ err: error, workerId: this.workerId, jobs: batch.length, tries }, 'writing job outcomes failed; retrying');
        if (this.stopping && tries > 50) return; // shutting down with the database away: recovery takes over
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 20 * 2 ** Math.min(tries, 6))));
      }
    }
  }

  /** A row the database refuses: split until it stands alone, then write it as a failure saying why. */
  private async isolate(batch: Finished[], error: unknown): Promise<void> {
    if (batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await this.writeIsolating(batch.slice(0, half));
      await this.writeIsolating(batch.slice(half));
      return;
    }
    const [only] = batch as [Finished];
    const { logger, settings } = this.context;
    if (only.row.lastErrorType === 'OutcomeNotRecorded') {
      logger.error({ err: error, jobId: only.row.id, workerId: this.workerId }, 'could not record the outcome; the lease will expire and recovery takes over');
      return;
    }
    logger.error({ err: error, jobId: only.row.id, workerId: this.workerId }, 'the database refused this outcome; recording the attempt as failed instead');
    const { row, entry } = only;
    const failed = decideAfterAttempt(
      {
        id: row.id,
        claimedAt: row.claimedAt,
        attemptNumber: row.attemptNumber,
        unchargedAttempts: entry.job.unchargedAttempts,
        maxRetries: entry.job.maxRetries,
        startedAt: row.startedAt,
      },
      { success: false, errorType: 'OutcomeNotRecorded', message: `The outcome could not be recorded: ${(error as Error).message}`, retryable: false },
      { finishedAt: row.finishedAt, durationMs: row.durationMs },
      { baseSeconds: settings.backoffBaseSeconds }, // not retryable: no backoff is drawn
    );
    await this.writeIsolating([{ row: failed, job: entry.job, entry }]);
  }

  /** Records the starts not yet recorded by an outcome (lastStartedAt), for jobs still running. */
  async recordStarts(isRunning: (id: number) => boolean): Promise<void> {
    if (!this.starts.size) return;
    const rows = [...this.starts.values()];
    this.starts.clear();
    try {
      await this.context.jobs.start({ leaseOwner: this.workerId, rows });
    } catch (error) {
      for (const row of rows) if (isRunning(row.id) && !this.starts.has(row.id)) this.starts.set(row.id, row);
      this.context.logger.warn({ err: error, workerId: this.workerId }, 'recording job starts failed; retrying');
    }
  }

  /** Resolves on the next write that ends, or after `ms`. */
  progress(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}
