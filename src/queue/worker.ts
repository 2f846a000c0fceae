/**
 * The worker: claims due jobs in batches ahead of free handler slots, runs them with bounded
 * concurrency, writes their outcomes in batches, renews its leases while it holds jobs, recovers
 * jobs from dead workers, and shuts down in two steps (stop claiming, release what never
 * started and let handlers finish within the grace period; then abort them and record it).
 *
 * The pipeline, and why (a no-op handler drains at the speed of these round trips):
 * - Claims run ahead: the worker keeps up to `concurrency + prefetch` jobs ready or running, where
 *   prefetch follows demand between the concurrency and `prefetchMax` (it doubles when a slot
 *   sat idle waiting for a claim, and shrinks while claims land with plenty still ready), so fast
 *   handlers never wait for a claim and slow ones do not hoard jobs other workers could run.
 * - Outcomes are written in batches: everything that finished while the previous write was in
 *   flight goes in the next (group commit), with a second write in flight under heavy load where
 *   the database takes writes in parallel. A handler's slot frees when it returns; its lease is
 *   held until its outcome is written.
 * - No polling per job: it claims when woken (an enqueue here, a NOTIFY from elsewhere, a retry
 *   falling due at once) or while claims come back full; otherwise only at the poll interval,
 *   which catches scheduled jobs and retries coming due.
 * - A start is recorded in a batch shortly after it happens, unless the outcome is written first;
 *   a worker that dies leaves its never-started jobs uncharged.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { FinishRow, StartRow } from '../db/dialects/index.js';
import type { Job } from '../db/types.js';
import { systemErrorTypes } from '../domain.js';
import { tracer } from '../tracing.js';
import { publishTransitions, type QueueContext } from './context.js';
import { AttemptControl, executeJob, JobAbortedError, type AbortReason, type JobRunner } from './executor.js';
import { jobsFinish, type FinishedAttempt } from './jobsFinish.js';
import { jobsRelease } from './jobsRelease.js';
import { leasesRecover } from './leasesRecover.js';
import { finishRowFor, type AttemptOutcome } from './outcome.js';

export interface WorkerOptions {
  context: QueueContext;
  runner: JobRunner;
  concurrency: number;
  /** Most jobs claimed ahead of free handler slots (the adaptive depth never goes above it). */
  prefetchMax: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  /** A handler running longer is aborted (HandlerTimeout, retryable). */
  handlerTimeoutMs: number;
  /** Each attempt in an OpenTelemetry span (off: no span, no context switch per job). */
  tracing?: boolean;
  workerId?: string;
}

interface HeldJob {
  job: Job;
  /** The lease: leaseAcquiredAt as the claim wrote it. */
  claimedAt: Date;
}

interface RunningJob extends HeldJob {
  attemptNumber: number;
  control: AttemptControl;
  logger: Logger;
  startedAt: Date;
  done: Promise<void>;
}

/** How long aborted handlers get to return before their jobs are released without them. */
const abortGraceMs = 2_000;
/** Largest claim and largest outcome batch, in jobs (one statement each). */
const maxClaimBatch = 500;
const maxFinishBatch = 1_000;
/** A second outcome write starts while one is in flight only when this many are waiting. */
const parallelFinishThreshold = 100;
/** How soon a start is recorded when no outcome write records it first. */
const startRecordDelayMs = 100;

export class Worker {
  readonly id: string;
  private readonly context: QueueContext;
  /** Claimed, waiting for a slot, in claim order. */
  private readonly ready: HeldJob[] = [];
  private readonly running = new Map<number, RunningJob>();
  /** Handlers that returned, outcomes not yet written: their slots are free, their leases still held. */
  private readonly writing = new Map<number, RunningJob>();
  private finishQueue: (FinishedAttempt & { entry: RunningJob })[] = [];
  private readonly startsToRecord = new Map<number, StartRow>();
  private finishesInFlight = 0;
  private finishScheduled = false;
  private readonly finishWaiters = new Set<() => void>();
  private claimsInFlight = 0;
  /** Jobs asked for by claims in flight. */
  private claimRequested = 0;
  /** The last claim came back short: claim again only when woken or polled. */
  private exhausted = false;
  /** Wake-ups so far: a claim that started before the latest one cannot declare the queue empty. */
  private wakes = 0;
  private prefetch: number;
  /** A slot sat free with nothing ready while jobs were due. */
  private starved = false;
  /**
   * A claim failed in a way that may have committed (the connection dropped with the answer on its
   * way): jobs may stand leased to this worker that it never heard of. Released (uncharged) before
   * the next claim instead of waiting a whole lease for recovery.
   */
  private orphansPossible = false;
  private releasingOrphans = false;
  private stopping = false;
  private running_ = false;
  /** Job types paused now, and those with a concurrency limit (refreshed every second, and at once on a change in this process). */
  private paused = new Set<string>();
  private limited = new Set<string>();
  private refreshingControls = false;
  private readonly cleanups: (() => void | Promise<void>)[] = [];

  constructor(private readonly options: WorkerOptions) {
    this.context = options.context;
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    // Start shallow (slow handlers must not hoard jobs other workers could run); a backlog of
    // fast ones doubles it on every claim until it is deep enough.
    this.prefetch = this.prefetchFloor;
  }

  private get prefetchFloor(): number {
    return Math.min(this.options.concurrency, this.options.prefetchMax);
  }

  /** Jobs this worker holds: waiting, running, or with an outcome not yet written. */
  get held(): number {
    return this.ready.length + this.running.size + this.writing.size;
  }

  async start(): Promise<void> {
    if (this.running_) return;
    this.running_ = true;
    const { bus, dialect, settings } = this.context;
    this.cleanups.push(bus.on('jobs:available', () => this.wake()));
    this.cleanups.push(
      bus.on('job:transitions', (transitions) => {
        for (const transition of transitions) if (transition.to === 'CANCELED' && transition.from !== 'CANCELED') this.abort(transition.jobId, 'canceled');
      }),
    );
    this.cleanups.push(bus.on('jobTypes:changed', () => void this.refreshControls()));
    if (dialect.wakeListen) this.cleanups.push(await dialect.wakeListen(() => this.wake()));
    await this.refreshControls();
    // Changes made by other processes: claims obey them at once; jobs claimed ahead of a pause go
    // back, and newly limited types are claimed by their own turns, within a second.
    this.every(Math.min(1_000, this.options.pollIntervalMs), () => this.refreshControls());
    const leaseMs = settings.leaseSeconds * 1000;
    this.every(this.options.pollIntervalMs, () => this.wake());
    this.every(Math.max(10, leaseMs / 3), () => this.renewLeases());
    // Recovery within about a lease of a worker's death, and cheap: it reads a partial index.
    this.every(Math.max(50, Math.min(leaseMs / 4, 5_000)), () => this.recoverLeases());
    this.every(Math.max(10, Math.min(startRecordDelayMs, leaseMs / 10)), () => this.recordStarts());
    // One sweep for every handler's time limit (a timer per job showed in the drain's profile).
    this.every(Math.max(10, Math.min(1_000, this.options.handlerTimeoutMs / 10)), () => this.abortOverdue());
    this.context.logger.info({ workerId: this.id, concurrency: this.options.concurrency, prefetchMax: this.options.prefetchMax }, 'worker started');
    this.wake();
  }

  /** New jobs may be due: claim even if the last claim came back short. */
  wake(): void {
    this.wakes += 1;
    this.exhausted = false;
    this.claim();
  }

  /**
   * Graceful stop: no new claims; claimed jobs that never started go back at once; running
   * handlers get `shutdownGraceMs` to finish; then they are aborted and their jobs go back to
   * PENDING (due now, not counted against maxRetries).
   */
  async stop(): Promise<void> {
    if (!this.running_ || this.stopping) return;
    this.stopping = true;
    for (const cleanup of this.cleanups.splice(0)) await cleanup();
    await this.until(() => this.claimsInFlight === 0, 5_000);
    await this.releaseReady(this.ready.splice(0));
    await this.until(() => this.running.size === 0, this.options.shutdownGraceMs);
    if (this.running.size) {
      this.context.logger.warn({ workerId: this.id, running: this.running.size }, 'grace period over: aborting running jobs');
      for (const id of this.running.keys()) this.abort(id, 'shutdown');
      await this.until(() => this.running.size === 0, abortGraceMs);
      this.releaseStuckJobs();
    }
    await this.until(
      () => !this.finishQueue.length && !this.finishesInFlight,
      Math.max(this.options.shutdownGraceMs, 5_000),
      () => this.flushFinishes(),
    );
    await this.recordStarts();
    this.context.logger.info({ workerId: this.id }, 'worker stopped');
  }

  // ---- claiming ------------------------------------------------------------------------------

  private claim(): void {
    if (this.stopping || !this.running_) return;
    // Outcomes the database has not taken yet: stop claiming more until it catches up.
    if (this.writing.size >= 4 * maxFinishBatch) return;
    const maxInFlight = this.context.dialect.concurrentWrites;
    // Top up in batches of at least half the depth: a claim per freed slot would cost a
    // statement per job.
    const minBatch = Math.max(1, Math.ceil(this.prefetch / 2));
    while (!this.exhausted && !this.releasingOrphans && this.claimsInFlight < maxInFlight) {
      const room = this.options.concurrency + this.prefetch - this.ready.length - this.running.size - this.claimRequested;
      if (room < minBatch) return;
      void this.claimBatch(Math.min(room, maxClaimBatch));
    }
  }

  private async claimBatch(limit: number): Promise<void> {
    this.claimsInFlight += 1;
    this.claimRequested += limit;
    const wakesBefore = this.wakes;
    const { dialect, settings } = this.context;
    try {
      // Only while no other claim is in flight, and none may start meanwhile: its jobs would be
      // leased to us, not yet at hand, and released as orphans while they run (a success run
      // twice, seen in the fault suite).
      if (this.orphansPossible && this.claimsInFlight === 1) {
        this.releasingOrphans = true;
        try {
          await this.releaseOrphans();
        } finally {
          this.releasingOrphans = false;
        }
      }
      const now = this.context.now();
      const claim = { workerId: this.id, now, leaseMs: settings.leaseSeconds * 1000 };
      // Limited types first (else a backlog of the others would always fill the batch), and only
      // for free handler slots: a limited job claimed ahead holds one of its type's few slots.
      let jobs: Job[] = [];
      for (const jobType of this.limited) {
        const room = Math.min(limit - jobs.length, this.options.concurrency - this.running.size);
        if (room <= 0) break;
        if (!this.paused.has(jobType)) jobs = jobs.concat(await dialect.jobsClaimOfType({ ...claim, jobType, limit: room }));
      }
      if (jobs.length < limit) {
        const claimed = await dialect.jobsClaim({ ...claim, limit: limit - jobs.length });
        jobs = jobs.length ? jobs.concat(claimed) : claimed;
      }
      if (jobs.length >= limit) this.adaptPrefetch();
      else if (this.wakes === wakesBefore) this.exhausted = true;
      this.starved = false;
      if (!jobs.length) return;
      // Claim order: priority, then due time, then id (the statement returns them unordered).
      jobs.sort((a, b) => b.priority - a.priority || a.nextRunAt.getTime() - b.nextRunAt.getTime() || a.id - b.id);
      publishTransitions(
        this.context,
        jobs.map((job) => ({ jobId: job.id, from: 'PENDING' as const, to: 'RUNNING' as const, kind: 'claimed' as const, attemptNumber: job.attemptCount, at: now, job })),
      );
      for (const job of jobs) this.ready.push({ job, claimedAt: job.leaseAcquiredAt! });
      if (this.stopping) await this.releaseReady(this.ready.splice(0));
      else this.pump();
    } catch (error) {
      this.exhausted = true; // the poll tries again
      if (dialect.isTransient(error)) this.orphansPossible = true;
      this.context.logger.error({ err: error, workerId: this.id }, 'claiming jobs failed; retrying at the next poll');
    } finally {
      this.claimsInFlight -= 1;
      this.claimRequested -= limit;
      this.claim();
    }
  }

  /**
   * Demand decides the depth: a handler slot that sat free with nothing ready while jobs were
   * due means the depth is too small (double it); a ready queue still half full when a claim
   * lands means it is more than enough (shrink it a little).
   */
  private adaptPrefetch(): void {
    if (this.starved) this.prefetch = Math.min(this.options.prefetchMax, this.prefetch * 2);
    else if (this.ready.length > this.prefetch / 2) this.prefetch = Math.max(this.prefetchFloor, Math.floor(this.prefetch * 0.9));
  }

  // ---- running -------------------------------------------------------------------------------

  /** Reads the job type controls; jobs of newly paused types claimed ahead go back unstarted. */
  private async refreshControls(): Promise<void> {
    // One read at a time: while the database is unreachable, reads must not pile up each second.
    if (this.refreshingControls) return;
    this.refreshingControls = true;
    try {
      const controls = await this.context.dialect.jobTypeControls();
      const paused = new Set(controls.filter((control) => control.paused).map((control) => control.jobType));
      const limited = new Set(controls.filter((control) => control.concurrency !== null).map((control) => control.jobType));
      const resumed = [...this.paused].some((jobType) => !paused.has(jobType)) || [...limited].some((jobType) => !this.limited.has(jobType));
      this.paused = paused;
      this.limited = limited;
      if (paused.size) {
        const held = this.ready.filter((item) => paused.has(item.job.jobType));
        if (held.length) {
          for (const item of held) this.ready.splice(this.ready.indexOf(item), 1);
          await this.releaseReady(held);
        }
      }
      if (resumed) this.wake();
    } catch (error) {
      this.context.logger.warn({ err: error, workerId: this.id }, 'reading job type controls failed; trying again shortly');
    } finally {
      this.refreshingControls = false;
    }
  }

  /** Starts ready jobs while handler slots are free. */
  private pump(): void {
    while (!this.stopping && this.running.size < this.options.concurrency) {
      const next = this.ready.shift();
      if (!next) {
        if (!this.exhausted) this.starved = true; // a free slot and jobs due, none at hand
        break;
      }
      if (this.paused.has(next.job.jobType)) {
        void this.releaseReady([next]); // paused after it was claimed ahead: it goes back unstarted
        continue;
      }
      this.run(next);
    }
    this.claim();
  }

  private run({ job: claimed, claimedAt }: HeldJob): void {
    const attemptNumber = claimed.attemptCount; // counted by the claim
    const startedAt = this.context.now();
    // The claimed row becomes the running one (a copy per job showed in the drain's profile).
    const job = claimed;
    job.lastStartedAt = startedAt;
    const base = this.context.logger;
    let logger: Logger | undefined;
    const entry: RunningJob = {
      job,
      claimedAt,
      attemptNumber,
      control: new AttemptControl(),
      // Bound to the job on first use: most jobs at a quiet log level never log.
      get logger() {
        return (logger ??= base.child({ jobId: job.id, jobType: job.jobType, entityId: job.entityId, attempt: attemptNumber, correlationId: job.correlationId }));
      },
      startedAt,
      done: Promise.resolve(),
    };
    this.running.set(job.id, entry);
    this.startsToRecord.set(job.id, { id: job.id, claimedAt, startedAt });
    if (base.isLevelEnabled('info')) entry.logger.info('attempt started');
    const began = performance.now();
    const attempt = this.options.tracing ? this.traced(entry) : this.execute(entry);
    entry.done = attempt.then((outcome) => this.finish(entry, outcome, Math.round(performance.now() - began)));
  }

  private execute(entry: RunningJob): Promise<AttemptOutcome> {
    return executeJob(entry.job, this.options.runner, entry).catch((error: unknown): AttemptOutcome => ({
      success: false,
      errorType: 'ValidationError',
      message: String(error),
      retryable: false,
    }));
  }

  /** The attempt in a span (`job.attempt`) whose context reaches the upstream calls. */
  private traced(entry: RunningJob): Promise<AttemptOutcome> {
    const { job, attemptNumber } = entry;
    const attributes = {
      'syncbridge.job.id': job.id,
      'syncbridge.job.type': job.jobType,
      'syncbridge.entity.id': job.entityId,
      'syncbridge.attempt': attemptNumber,
      'syncbridge.correlation_id': job.correlationId,
    };
    return tracer.startActiveSpan('job.attempt', { kind: SpanKind.CONSUMER, attributes }, async (span) => {
      const outcome = await this.execute(entry);
      if (!outcome.success) {
        span.setAttribute('error.type', outcome.errorType);
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
      }
      span.end();
      return outcome;
    });
  }

  private finish(entry: RunningJob, outcome: AttemptOutcome, durationMs: number): void {
    if (this.running.get(entry.job.id) !== entry) return; // already released without it (shutdown)
    const row = this.rowFor(entry, outcome, durationMs);
    const level = outcome.success ? 'info' : 'warn';
    if (this.context.logger.isLevelEnabled(level)) {
      entry.logger[level](
        {
          status: row.status,
          durationMs,
          errorType: row.lastErrorType ?? undefined,
          error: row.lastError ?? undefined,
          nextRunAt: row.status === 'PENDING' ? row.nextRunAt : undefined,
        },
        'attempt finished',
      );
    }
    // The slot is free now; the lease stays ours until the outcome is written.
    this.running.delete(entry.job.id);
    this.writing.set(entry.job.id, entry);
    this.startsToRecord.delete(entry.job.id); // the outcome records the start
    this.finishQueue.push({ row, job: entry.job, entry });
    this.pump();
    this.flushFinishes();
  }

  private rowFor(entry: RunningJob, outcome: AttemptOutcome, durationMs: number): FinishRow {
    return finishRowFor(
      {
        id: entry.job.id,
        claimedAt: entry.claimedAt,
        attemptNumber: entry.attemptNumber,
        unchargedAttempts: entry.job.unchargedAttempts,
        maxRetries: entry.job.maxRetries,
        startedAt: entry.startedAt,
      },
      outcome,
      { finishedAt: this.context.now(), durationMs },
      this.context.settings.backoffBaseSeconds,
    );
  }

  // ---- writing outcomes ----------------------------------------------------------------------

  /** Starts an outcome write when one is worth starting; everything waiting goes in it. */
  private flushFinishes(): void {
    if (!this.finishQueue.length) return;
    const maxInFlight = this.context.dialect.concurrentWrites;
    if (this.finishesInFlight >= maxInFlight) return;
    if (this.finishesInFlight > 0 && this.finishQueue.length < parallelFinishThreshold) return;
    if (this.finishScheduled) return;
    // Gather this turn's outcomes into the batch.
    this.finishScheduled = true;
    setImmediate(() => {
      this.finishScheduled = false;
      if (!this.finishQueue.length) return;
      const batch = this.finishQueue.splice(0, maxFinishBatch);
      this.finishesInFlight += 1;
      void this.writeFinishes(batch).finally(() => {
        this.finishesInFlight -= 1;
        for (const waiter of this.finishWaiters) waiter();
        this.flushFinishes();
      });
    });
  }

  private async writeFinishes(batch: (FinishedAttempt & { entry: RunningJob })[]): Promise<void> {
    await this.writeIsolating(batch);
    // Only this attempt's entry: once written, a retry due at once may already have been claimed
    // again and be running under the same job id.
    for (const { row, entry } of batch) if (this.writing.get(row.id) === entry) this.writing.delete(row.id);
    // A limited type's finished job gave its slot back: its next job may be claimed now.
    if (this.limited.size && batch.some(({ entry }) => this.limited.has(entry.job.jobType))) this.wake();
    else this.claim(); // writes done: backpressure may have lifted
  }

  /**
   * Writes a batch, retrying while the database is away (the leases are renewed meanwhile, so a
   * long outage re-runs nothing), and isolating a row the database refuses: the batch is split
   * until the bad row stands alone, which is then written as a failure saying why.
   */
  private async writeIsolating(batch: (FinishedAttempt & { entry: RunningJob })[]): Promise<void> {
    const { dialect, logger } = this.context;
    for (let tries = 1; ; tries++) {
      try {
        await jobsFinish(this.context, this.id, batch);
        return;
      } catch (error) {
        if (!dialect.isTransient(error)) {
          if (batch.length > 1) {
            const half = Math.ceil(batch.length / 2);
            await this.writeIsolating(batch.slice(0, half));
            await this.writeIsolating(batch.slice(half));
            return;
          }
          const [only] = batch as [FinishedAttempt & { entry: RunningJob }];
          if (only.row.lastErrorType === 'OutcomeNotRecorded') {
            logger.error({ err: error, jobId: only.row.id, workerId: this.id }, 'could not record the outcome; the lease will expire and recovery takes over');
            return;
          }
          logger.error({ err: error, jobId: only.row.id, workerId: this.id }, 'the database refused this outcome; recording the attempt as failed instead');
          const failed = finishRowFor(
            {
              id: only.row.id,
              claimedAt: only.row.claimedAt,
              attemptNumber: only.row.attemptNumber,
              unchargedAttempts: only.entry.job.unchargedAttempts,
              maxRetries: only.entry.job.maxRetries,
              startedAt: only.row.startedAt,
            },
            { success: false, errorType: 'OutcomeNotRecorded', message: `The outcome could not be recorded: ${(error as Error).message}`, retryable: false },
            { finishedAt: only.row.finishedAt, durationMs: only.row.durationMs },
            this.context.settings.backoffBaseSeconds,
          );
          await this.writeIsolating([{ ...only, row: failed }]);
          return;
        }
        if (tries === 1 || tries % 20 === 0) logger.error({ err: error, workerId: this.id, jobs: batch.length, tries }, 'writing job outcomes failed; retrying');
        if (this.stopping && tries > 50) return; // shutting down with the database away: recovery takes over
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 20 * 2 ** Math.min(tries, 6))));
      }
    }
  }

  // ---- starts, leases, recovery --------------------------------------------------------------

  private async recordStarts(): Promise<void> {
    if (!this.startsToRecord.size) return;
    const rows = [...this.startsToRecord.values()];
    this.startsToRecord.clear();
    try {
      await this.context.dialect.jobsStart({ leaseOwner: this.id, rows });
    } catch (error) {
      for (const row of rows) if (this.running.has(row.id) && !this.startsToRecord.has(row.id)) this.startsToRecord.set(row.id, row);
      this.context.logger.warn({ err: error, workerId: this.id }, 'recording job starts failed; retrying');
    }
  }

  private abort(jobId: number, reason: AbortReason): void {
    const waiting = this.ready.findIndex((item) => item.job.id === jobId);
    if (waiting >= 0) {
      // Never started: give it back (a canceled one stays CANCELED; its lease is cleared).
      const [held] = this.ready.splice(waiting, 1) as [HeldJob];
      if (reason === 'canceled') void this.releaseReady([held]);
      return;
    }
    const entry = this.running.get(jobId);
    if (!entry || entry.control.reason) return;
    entry.logger.warn({ reason }, 'aborting handler');
    entry.control.abort(new JobAbortedError(reason));
    this.abandonIfStuck(entry);
  }

  /** A handler still running `abortGraceMs` after its abort ignores it: its attempt ends without it. */
  private abandonIfStuck(entry: RunningJob): void {
    setTimeout(() => {
      if (entry.control.abandon?.()) entry.logger.error({ graceMs: abortGraceMs }, 'the handler ignored its abort; attempt recorded and slot freed without it');
    }, abortGraceMs).unref();
  }

  private abortOverdue(): void {
    const limit = this.options.handlerTimeoutMs;
    const now = this.context.now().getTime();
    for (const entry of this.running.values()) {
      if (!entry.control.reason && now - entry.startedAt.getTime() > limit) {
        entry.logger.warn({ limitMs: limit }, 'handler ran past its time limit: aborting');
        entry.control.abort(new JobAbortedError('timeout', ` of ${limit / 1000} s`));
        this.abandonIfStuck(entry);
      }
    }
  }

  /** Gives back jobs leased to this worker that it does not hold (their claim's answer was lost). */
  private async releaseOrphans(): Promise<void> {
    const held = new Set([...this.ready.map((item) => item.job.id), ...this.running.keys(), ...this.writing.keys()]);
    const leased = await this.context.db.job.findMany({ where: { leaseOwner: this.id, status: 'RUNNING' }, select: { id: true, leaseAcquiredAt: true } });
    const orphans = leased.filter((job) => !held.has(job.id) && job.leaseAcquiredAt).map((job) => ({ id: job.id, claimedAt: job.leaseAcquiredAt! }));
    if (orphans.length) {
      await jobsRelease(this.context, this.id, orphans);
      this.context.logger.warn({ workerId: this.id, jobs: orphans.length }, 'released jobs whose claim was lost in transit (never started, nothing charged)');
    }
    this.orphansPossible = false;
  }

  private async releaseReady(jobs: HeldJob[]): Promise<void> {
    if (!jobs.length) return;
    try {
      await jobsRelease(
        this.context,
        this.id,
        jobs.map(({ job, claimedAt }) => ({ id: job.id, claimedAt, job })),
      );
    } catch (error) {
      this.context.logger.error({ err: error, workerId: this.id, jobs: jobs.length }, 'releasing unstarted jobs failed; their leases will expire');
    }
  }

  private async renewLeases(): Promise<void> {
    if (!this.held || this.stopping) return;
    const { dialect, settings, db } = this.context;
    const held: HeldJob[] = [...this.ready, ...this.running.values(), ...this.writing.values()];
    try {
      const kept = new Set(
        await dialect.leasesRenew({
          workerId: this.id,
          jobs: held.map(({ job, claimedAt }) => ({ id: job.id, claimedAt })),
          leaseExpiresAt: new Date(this.context.now().getTime() + settings.leaseSeconds * 1000),
        }),
      );
      const lost = held.filter(({ job }) => !kept.has(job.id) && (this.running.has(job.id) || this.ready.some((item) => item.job.id === job.id))).map(({ job }) => job.id);
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

  /** Handlers that ignored the abort: record the attempt and put the job back without them. */
  private releaseStuckJobs(): void {
    const outcome: AttemptOutcome = {
      success: false,
      errorType: systemErrorTypes.workerShutdown,
      message: 'The worker shut down and the handler did not stop when aborted.',
      retryable: true,
      immediate: true,
      uncharged: true,
    };
    for (const entry of [...this.running.values()]) {
      this.running.delete(entry.job.id);
      this.writing.set(entry.job.id, entry);
      this.finishQueue.push({ row: this.rowFor(entry, outcome, Math.max(0, this.context.now().getTime() - entry.startedAt.getTime())), job: entry.job, entry });
    }
    this.flushFinishes();
  }

  /** Resolves when `done()` holds or after `timeoutMs`, re-checking as writes complete and on a short tick. */
  private async until(done: () => boolean, timeoutMs: number, nudge?: () => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) {
      nudge?.();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, 10);
        function finish() {
          clearTimeout(timer);
          waiters.delete(finish);
          resolve();
        }
        const waiters = this.finishWaiters;
        waiters.add(finish);
      });
    }
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
