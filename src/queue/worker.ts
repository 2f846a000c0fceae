/**
 * The worker: claims due jobs in batches, runs them with bounded concurrency, writes their
 * outcomes in batches, renews its leases while handlers run, recovers jobs from dead workers, and
 * shuts down in two steps (stop claiming and let handlers finish within the grace period; then
 * abort them and release their jobs). No per-job polling: it claims when woken (an enqueue in
 * this process, a NOTIFY from another on PostgreSQL, a finished job freeing a slot) and otherwise
 * only at the poll interval, which catches scheduled jobs and retries coming due.
 */
import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Job } from '../db/client.js';
import type { HandlerRegistry } from '../handlers/registry.js';
import type { Clients } from '../integrations/clients.js';
import { publishTransitions, type QueueContext } from './context.js';
import { executeJob, JobAbortedError, type AbortReason } from './executor.js';
import { jobsFinish, type FinishedAttempt } from './jobsFinish.js';
import { leasesRecover } from './leasesRecover.js';
import { finishRowFor, type AttemptOutcome } from './outcome.js';
import { tracer } from '../tracing.js';

export interface WorkerOptions {
  context: QueueContext;
  handlers: HandlerRegistry;
  clients: Clients;
  concurrency: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  /** For LISTEN/NOTIFY wake-ups on PostgreSQL. */
  databaseUrl: string;
  workerId?: string;
  /**
   * Jobs claimed ahead of free handler slots (default: as many as the concurrency), so the next
   * jobs are in hand when handlers finish instead of one claim round trip later. They are leased
   * (RUNNING) while they wait; a canceled one is never started.
   */
  prefetch?: number;
}

interface RunningJob {
  job: Job;
  controller: AbortController;
  logger: Logger;
  startedAt: Date;
  done: Promise<void>;
}

/** How long aborted handlers get to return before their jobs are released without them. */
const abortGraceMs = 2_000;

export class Worker {
  readonly id: string;
  private readonly context: QueueContext;
  private readonly running = new Map<number, RunningJob>();
  /** Handlers that returned, outcomes not yet written: their slots are free, their leases still held. */
  private readonly writing = new Map<number, RunningJob>();
  /** Claimed (leased) jobs waiting for a free handler slot, in claim order. */
  private readonly ready: { job: Job; claimedAt: Date }[] = [];
  private pendingFinishes: (FinishedAttempt & { entry: RunningJob })[] = [];
  private flushing: Promise<void> | undefined;
  private flushScheduled = false;
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private stopping = false;
  private started = false;
  private readonly cleanups: (() => void | Promise<void>)[] = [];

  constructor(private readonly options: WorkerOptions) {
    this.context = options.context;
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { bus, dialect, settings } = this.context;
    this.cleanups.push(bus.on('jobs:available', () => this.kick()));
    this.cleanups.push(
      bus.on('job:transition', (transition) => {
        if (transition.to === 'CANCELED') this.abort(transition.jobId, 'canceled');
      }),
    );
    if (dialect.listenJobsAvailable) {
      const stopListening = await dialect.listenJobsAvailable(this.options.databaseUrl, () => this.kick());
      this.cleanups.push(stopListening);
    }
    const leaseMs = settings.leaseSeconds * 1000;
    this.every(this.options.pollIntervalMs, () => this.kick());
    this.every(Math.max(10, leaseMs / 3), () => this.renewLeases());
    this.every(Math.max(10, Math.min(leaseMs / 2, 30_000)), () => this.recoverLeases());
    this.context.logger.info({ workerId: this.id, concurrency: this.options.concurrency }, 'worker started');
    this.kick();
  }

  /**
   * Graceful stop: no new claims; running handlers get `shutdownGraceMs` to finish; then they are
   * aborted and their jobs go back to PENDING (due now, not counted against maxRetries).
   */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    for (const cleanup of this.cleanups.splice(0)) await cleanup();
    await this.claiming;
    // Claimed jobs that never started go straight back, not counted against maxRetries.
    for (const { job, claimedAt } of this.ready.splice(0)) {
      this.settleUnstarted(job, claimedAt, {
        success: false,
        errorType: 'WorkerShutdown',
        message: 'The worker shut down before the job started.',
        retryable: true,
        immediate: true,
        budgetFree: true,
      });
    }
    await this.waitForRunning(this.options.shutdownGraceMs);
    if (this.running.size) {
      this.context.logger.warn({ workerId: this.id, running: this.running.size }, 'grace period over: aborting running jobs');
      for (const id of this.running.keys()) this.abort(id, 'shutdown');
      await this.waitForRunning(abortGraceMs);
      await this.releaseStuckJobs();
    }
    await this.flushFinishes();
    this.context.logger.info({ workerId: this.id }, 'worker stopped');
  }

  /** Asks for a claim round; coalesces with one in flight. */
  kick(): void {
    if (this.stopping || !this.started) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claimLoop().finally(() => {
      this.claiming = undefined;
      if (this.claimAgain && !this.stopping) this.kick();
    });
  }

  private async claimLoop(): Promise<void> {
    do {
      this.claimAgain = false;
      const capacity = this.options.concurrency + this.prefetch - this.running.size - this.ready.length;
      if (capacity <= 0) return;
      try {
        const claimed = await this.claimBatch(capacity);
        if (claimed === capacity) this.claimAgain = true; // there may be more due
      } catch (error) {
        this.context.logger.error({ err: error, workerId: this.id }, 'claiming jobs failed; retrying at the next poll');
        return;
      }
    } while (this.claimAgain && !this.stopping);
  }

  private async claimBatch(limit: number): Promise<number> {
    const { db, dialect, settings } = this.context;
    const now = this.context.now();
    const jobs = await dialect.claimJobs(db, {
      workerId: this.id,
      now,
      leaseExpiresAt: new Date(now.getTime() + settings.leaseSeconds * 1000),
      limit,
    });
    if (!jobs.length) return 0;
    publishTransitions(
      this.context,
      jobs.map((job) => ({ jobId: job.id, from: 'PENDING' as const, to: 'RUNNING' as const, kind: 'claimed' as const, attemptNumber: job.attemptCount, at: now, job })),
    );
    for (const job of jobs) this.ready.push({ job, claimedAt: now });
    this.pump();
    return jobs.length;
  }

  /** Starts ready jobs while handler slots are free. */
  private pump(): void {
    while (!this.stopping && this.running.size < this.options.concurrency) {
      const next = this.ready.shift();
      if (!next) return;
      this.run(next.job, next.claimedAt);
    }
  }

  private get prefetch(): number {
    return this.options.prefetch ?? this.options.concurrency;
  }

  private entryFor(job: Job, claimedAt: Date): RunningJob {
    const logger = this.context.logger.child({
      jobId: job.id,
      jobType: job.jobType,
      entityId: job.entityId,
      attempt: job.attemptCount,
      correlationId: job.correlationId,
    });
    const entry: RunningJob = { job, controller: new AbortController(), logger, startedAt: job.lastStartedAt ?? claimedAt, done: Promise.resolve() };
    this.running.set(job.id, entry);
    return entry;
  }

  /** Records the outcome of a claimed job that will not run (canceled or released while waiting). */
  private settleUnstarted(job: Job, claimedAt: Date, outcome: AttemptOutcome): void {
    const entry = this.entryFor(job, claimedAt);
    entry.done = this.finish(entry, outcome, 0);
  }

  private run(job: Job, claimedAt: Date): void {
    const entry = this.entryFor(job, claimedAt);
    const { controller, logger } = entry;
    logger.info('attempt started');
    const began = performance.now();
    entry.done = tracer
      .startActiveSpan(
        'job.attempt',
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'syncbridge.job.id': job.id,
            'syncbridge.job.type': job.jobType,
            'syncbridge.entity.id': job.entityId,
            'syncbridge.attempt': job.attemptCount,
            'syncbridge.correlation_id': job.correlationId,
          },
        },
        async (span) => {
          const outcome = await executeJob(job, { handlers: this.options.handlers, clients: this.options.clients, logger, signal: controller.signal }).catch(
            (error: unknown): AttemptOutcome => ({ success: false, errorType: 'ValidationError', message: String(error), retryable: false }),
          );
          if (!outcome.success) {
            span.setAttribute('error.type', outcome.errorType);
            span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
          }
          span.end();
          return outcome;
        },
      )
      .then((outcome) => this.finish(entry, outcome, Math.round(performance.now() - began)));
  }

  private async finish(entry: RunningJob, outcome: AttemptOutcome, durationMs: number): Promise<void> {
    if (this.running.get(entry.job.id) !== entry) return; // already released without it (shutdown)
    const row = finishRowFor(entry.job, outcome, { finishedAt: this.context.now(), durationMs }, this.context.settings.backoffBaseSeconds);
    entry.logger[outcome.success ? 'info' : 'warn'](
      { status: row.status, durationMs, errorType: row.lastErrorType ?? undefined, error: row.lastError ?? undefined, nextRunAt: row.status === 'PENDING' ? row.nextRunAt : undefined },
      'attempt finished',
    );
    this.pendingFinishes.push({ row, startedAt: entry.startedAt, success: outcome.success, entry });
    // The slot is free now; the lease stays ours until the outcome is written.
    this.running.delete(entry.job.id);
    this.writing.set(entry.job.id, entry);
    this.pump();
    // Write on the next turn, so every outcome of this turn shares one batch.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flushFinishes();
      });
    }
  }

  /** Writes every queued outcome; concurrent callers share one batch in flight. */
  private async flushFinishes(): Promise<void> {
    while (this.pendingFinishes.length || this.flushing) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      const batch = this.pendingFinishes;
      this.pendingFinishes = [];
      this.flushing = this.writeFinishes(batch).finally(() => {
        this.flushing = undefined;
      });
      await this.flushing;
    }
  }

  private async writeFinishes(batch: (FinishedAttempt & { entry: RunningJob })[]): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        await jobsFinish(this.context, this.id, batch);
        break;
      } catch (error) {
        // Keep the outcomes: if the database stays away, the leases expire and recovery takes over.
        this.context.logger.error({ err: error, workerId: this.id, jobs: batch.length, tries }, 'writing job outcomes failed; retrying');
        if (tries >= 5) break;
        await new Promise((resolve) => setTimeout(resolve, 200 * tries));
      }
    }
    // Only this attempt's entry: once the write committed, a retry due at once may already have
    // been claimed again and be running under the same job id.
    for (const { row, entry } of batch) if (this.writing.get(row.id) === entry) this.writing.delete(row.id);
    this.kick();
  }

  private abort(jobId: number, reason: AbortReason): void {
    const waiting = this.ready.findIndex((item) => item.job.id === jobId);
    if (waiting >= 0) {
      const [{ job, claimedAt }] = this.ready.splice(waiting, 1) as [{ job: Job; claimedAt: Date }];
      // Never started: a cancel is recorded as such; a lost lease is someone else's job now.
      if (reason === 'canceled') {
        this.settleUnstarted(job, claimedAt, { success: false, errorType: 'Canceled', message: new JobAbortedError('canceled').message, retryable: false });
      }
      return;
    }
    const entry = this.running.get(jobId);
    if (!entry || entry.controller.signal.aborted) return;
    entry.logger.warn({ reason }, 'aborting handler');
    entry.controller.abort(new JobAbortedError(reason));
  }

  private async renewLeases(): Promise<void> {
    if ((!this.running.size && !this.writing.size && !this.ready.length) || this.stopping) return;
    const { db, dialect, settings } = this.context;
    const ids = [...new Set([...this.running.keys(), ...this.writing.keys(), ...this.ready.map((item) => item.job.id)])];
    try {
      const held = new Set(
        await dialect.renewLeases(db, { workerId: this.id, ids, leaseExpiresAt: new Date(this.context.now().getTime() + settings.leaseSeconds * 1000) }),
      );
      const lost = ids.filter((id) => !held.has(id) && (this.running.has(id) || this.ready.some((item) => item.job.id === id)));
      if (!lost.length) return;
      const statuses = await db.job.findMany({ where: { id: { in: lost } }, select: { id: true, status: true } });
      for (const { id, status } of statuses) this.abort(id, status === 'CANCELED' ? 'canceled' : 'lease-lost');
    } catch (error) {
      this.context.logger.error({ err: error, workerId: this.id }, 'renewing leases failed');
    }
  }

  private async recoverLeases(): Promise<void> {
    if (this.stopping) return;
    try {
      await leasesRecover(this.context);
    } catch (error) {
      this.context.logger.error({ err: error, workerId: this.id }, 'recovering expired leases failed');
    }
  }

  private async waitForRunning(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running.values()].map((entry) => entry.done)),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
      await this.flushFinishes();
    }
  }

  /** Handlers that ignored the abort: record the attempt and put the job back without them. */
  private async releaseStuckJobs(): Promise<void> {
    const stuck = [...this.running.values()];
    if (!stuck.length) return;
    const now = this.context.now();
    const outcome: AttemptOutcome = {
      success: false,
      errorType: 'WorkerShutdown',
      message: 'The worker shut down and the handler did not stop when aborted.',
      retryable: true,
      immediate: true,
      budgetFree: true,
    };
    for (const entry of stuck) this.running.delete(entry.job.id);
    await jobsFinish(
      this.context,
      this.id,
      stuck.map((entry) => ({
        startedAt: entry.startedAt,
        success: false,
        row: finishRowFor(entry.job, outcome, { finishedAt: now, durationMs: now.getTime() - entry.startedAt.getTime() }, this.context.settings.backoffBaseSeconds),
      })),
      'released',
    );
  }

  private every(ms: number, task: () => void | Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void Promise.resolve(task()).finally(() => (busy = false));
    }, ms);
    timer.unref();
    this.cleanups.push(() => clearInterval(timer));
  }
}
