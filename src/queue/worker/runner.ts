/**
 * The worker's handler slots: claimed jobs wait here in claim order (ready), start while slots
 * are free, and run through the executor; each attempt's outcome goes to `onFinished` with its
 * duration on the monotonic clock. Aborts (cancel, shutdown, lease lost) and the handlers' time
 * limit are enforced here; a handler that ignores its abort is abandoned after a grace period.
 */
import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Job } from '../../db/types.js';
import type { AttemptOutcome } from '../../domain/index.js';
import { tracer } from '../../tracing.js';
import { AttemptControl, executeJob, JobAbortedError, type AbortReason, type JobRunner } from './executor.js';
import type { HeldJob, RunningJob } from './held.js';

/** How long aborted handlers get to return before their attempts end without them. */
export const abortGraceMs = 2_000;

export interface RunnerOptions {
  runner: JobRunner;
  concurrency: number;
  /** A handler of this type running longer is aborted (HandlerTimeout, retryable). */
  timeoutMsOf(jobType: string): number;
  /** Each attempt in an OpenTelemetry span (off: no span, no context switch per job). */
  tracing?: boolean;
  logger: Logger;
  now(): Date;
  /** An attempt ended (or was abandoned); its slot is free already. */
  onFinished(entry: RunningJob, outcome: AttemptOutcome, durationMs: number): void;
  /** A job started: its start is worth recording. */
  onStarted(entry: RunningJob): void;
  /** Jobs that will not start here (a paused or held type, a canceled job): give them back unstarted. */
  onGiveBack(jobs: HeldJob[]): void;
  /** Whether a claimed job may start now (its type is not paused, nor held by an open circuit). */
  mayStart(job: Job): boolean;
}

export class Runner {
  /** Claimed, waiting for a slot, in claim order. */
  readonly ready: HeldJob[] = [];
  readonly running = new Map<number, RunningJob>();
  /** Starting is over (shutdown): ready jobs stay where they are. */
  private accepting = true;

  constructor(private readonly options: RunnerOptions) {}

  get freeSlots(): number {
    return this.options.concurrency - this.running.size;
  }

  /** Claimed jobs join the queue, in claim order (priority, then due time, then id). */
  add(jobs: Job[]): void {
    jobs.sort((a, b) => b.priority - a.priority || a.nextRunAt.getTime() - b.nextRunAt.getTime() || a.id - b.id);
    for (const job of jobs) this.ready.push({ job, claimedAt: job.leaseAcquiredAt! });
  }

  /** Starts ready jobs while slots are free; whether a slot stayed free with nothing at hand. */
  pump(): { starved: boolean } {
    while (this.accepting && this.running.size < this.options.concurrency) {
      const next = this.ready.shift();
      if (!next) return { starved: true };
      if (!this.options.mayStart(next.job)) {
        this.options.onGiveBack([next]); // paused or held after it was claimed ahead: it goes back unstarted
        continue;
      }
      this.run(next);
    }
    return { starved: false };
  }

  /** No more starts: the ready jobs, taken out (to give back). */
  close(): HeldJob[] {
    this.accepting = false;
    return this.ready.splice(0);
  }

  /** Ready jobs that may no longer start (newly paused or held types), taken out. */
  takeReadyUnstartable(): HeldJob[] {
    const taken = this.ready.filter((item) => !this.options.mayStart(item.job));
    if (!taken.length) return [];
    for (const item of taken) this.ready.splice(this.ready.indexOf(item), 1);
    return taken;
  }

  private run({ job, claimedAt }: HeldJob): void {
    const attemptNumber = job.attemptCount; // counted by the claim
    const startedAt = this.options.now();
    // The claimed row becomes the running one (a copy per job showed in the drain's profile).
    job.lastStartedAt = startedAt;
    const base = this.options.logger;
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
    };
    this.running.set(job.id, entry);
    this.options.onStarted(entry);
    if (base.isLevelEnabled('info')) entry.logger.info('attempt started');
    const began = performance.now();
    const attempt = this.options.tracing ? this.traced(entry) : this.execute(entry);
    void attempt.then((outcome) => this.finished(entry, outcome, Math.round(performance.now() - began)));
  }

  private finished(entry: RunningJob, outcome: AttemptOutcome, durationMs: number): void {
    if (this.running.get(entry.job.id) !== entry) return; // already ended without it (shutdown)
    this.running.delete(entry.job.id);
    this.options.onFinished(entry, outcome, durationMs);
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

  /** Stops a job: a ready one goes back unstarted when canceled; a running one is told through its signal. */
  abort(jobId: number, reason: AbortReason): void {
    const waiting = this.ready.findIndex((item) => item.job.id === jobId);
    if (waiting >= 0) {
      // Never started: give it back (a canceled one stays CANCELED; its lease is cleared).
      const [held] = this.ready.splice(waiting, 1) as [HeldJob];
      if (reason === 'canceled') this.options.onGiveBack([held]);
      return;
    }
    const entry = this.running.get(jobId);
    if (!entry || entry.control.reason) return;
    entry.logger.warn({ reason }, 'aborting handler');
    entry.control.abort(new JobAbortedError(reason));
    this.abandonIfStuck(entry);
  }

  abortAll(reason: AbortReason): void {
    for (const id of [...this.running.keys()]) this.abort(id, reason);
  }

  /** Handlers past their time limit are aborted (one sweep for all: a timer per job showed in the drain's profile). */
  abortOverdue(): void {
    const now = this.options.now().getTime();
    for (const entry of this.running.values()) {
      const limit = this.options.timeoutMsOf(entry.job.jobType);
      if (!entry.control.reason && now - entry.startedAt.getTime() > limit) {
        entry.logger.warn({ limitMs: limit }, 'handler ran past its time limit: aborting');
        entry.control.abort(new JobAbortedError('timeout', ` of ${limit / 1000} s`));
        this.abandonIfStuck(entry);
      }
    }
  }

  /** A handler still running `abortGraceMs` after its abort ignores it: its attempt ends without it. */
  private abandonIfStuck(entry: RunningJob): void {
    setTimeout(() => {
      if (entry.control.abandon?.()) entry.logger.error({ graceMs: abortGraceMs }, 'the handler ignored its abort; attempt recorded and slot freed without it');
    }, abortGraceMs).unref();
  }
}
