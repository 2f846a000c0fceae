/**
 * The worker: a claimer (claims ahead of free slots), a runner (the handler slots), a completer
 * (batched outcome and start writes) and a lease keeper (renewal, orphans, recovery), composed
 * here with their timers and the shutdown, in two steps: stop claiming and give back what never
 * started, let running handlers finish within the grace period; then abort them, and record
 * their attempts (uncharged) without waiting for handlers that ignore the abort.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Job } from '../../db/types.js';
import { decideAfterAttempt, type AttemptOutcome } from '../../domain/index.js';
import { publishTransitions, type QueueContext } from '../context.js';
import { TypePolicies } from '../jobTypes.js';
import { Claimer } from './claimer.js';
import { backlogLimit, Completer } from './completer.js';
import { JobTypeControls, pausedGroupKey } from './controls.js';
import type { JobRunner } from './executor.js';
import type { RunningJob } from './held.js';
import { LeaseKeeper } from './leaseKeeper.js';
import { abortGraceMs, Runner } from './runner.js';
import type { UpstreamCircuits } from '../circuits.js';

export interface WorkerOptions {
  context: QueueContext;
  runner: JobRunner;
  concurrency: number;
  /** Most jobs claimed ahead of free handler slots (the adaptive depth never goes above it). */
  prefetchMax: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  /** A handler running longer is aborted (HandlerTimeout, retryable), unless its type sets its own limit. */
  handlerTimeoutMs: number;
  /** Each attempt in an OpenTelemetry span (off: no span, no context switch per job). */
  tracing?: boolean;
  workerId?: string;
  /** The upstreams' circuit breakers: jobs of held types do not start (but their probes do); probes are run here. */
  circuits?: Pick<UpstreamCircuits, 'mayStart' | 'isProbe' | 'probeEnded' | 'runProbesWith'>;
}

/** How soon a start is recorded when no outcome write records it first. */
const startRecordDelayMs = 100;

export class Worker {
  readonly id: string;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private readonly context: QueueContext;
  private readonly controls: JobTypeControls;
  private readonly policies: TypePolicies;
  private readonly runner: Runner;
  private readonly completer: Completer;
  private readonly claimer: Claimer;
  private readonly leases: LeaseKeeper;
  private readonly cleanups: (() => void | Promise<void>)[] = [];

  constructor(private readonly options: WorkerOptions) {
    const { context } = options;
    this.context = context;
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.controls = new JobTypeControls(context.jobs, context.logger);
    this.policies = new TypePolicies(context.jobTypes, { backoffBaseSeconds: context.settings.backoffBaseSeconds, handlerTimeoutMs: options.handlerTimeoutMs });
    this.runner = new Runner({
      runner: options.runner,
      concurrency: options.concurrency,
      timeoutMsOf: (jobType) => this.policies.of(jobType).timeoutMs,
      tracing: options.tracing,
      logger: context.logger,
      now: () => context.now(),
      onFinished: (entry, outcome, durationMs) => this.finished(entry, outcome, durationMs),
      onStarted: (entry) => this.completer.noteStarted(entry),
      onGiveBack: (jobs) => void this.leases.giveBack(jobs),
      mayStart: (job) =>
        !this.controls.paused.has(job.jobType) &&
        !(job.groupKey !== null && this.controls.pausedGroups.size && this.controls.pausedGroups.has(pausedGroupKey(job.jobType, job.groupKey))) &&
        (options.circuits?.mayStart(job) ?? true),
    });
    this.completer = new Completer(context, this.id, (batch) => {
      // A limited type's (or a group's) finished job gave its slot back: its next job may be claimed now.
      const freed = (jobType: string) => this.controls.limited.has(jobType) || this.controls.grouped.has(jobType);
      if ((this.controls.limited.size || this.controls.grouped.size) && batch.some((entry) => freed(entry.job.jobType))) this.claimer.wake();
      else this.claimer.claim(); // writes done: backpressure may have lifted
    });
    this.claimer = new Claimer(context, {
      workerId: this.id,
      concurrency: options.concurrency,
      prefetchMax: options.prefetchMax,
      controls: this.controls,
      held: () => ({ ready: this.runner.ready.length, running: this.runner.running.size }),
      mayClaim: () => this.state === 'running' && this.completer.backlog < backlogLimit,
      onClaimed: (jobs) => this.claimed(jobs),
      releaseOrphans: () => this.leases.releaseOrphans(),
    });
    this.leases = new LeaseKeeper(context, {
      workerId: this.id,
      held: () => [...this.runner.ready, ...this.runner.running.values(), ...this.completer.writing.values()],
      isActive: (id) => this.runner.running.has(id) || this.runner.ready.some((item) => item.job.id === id),
      onLost: (id, reason) => this.runner.abort(id, reason),
    });
  }

  /** Jobs this worker holds: waiting, running, or with an outcome not yet written. */
  get held(): number {
    return this.runner.ready.length + this.runner.running.size + this.completer.writing.size;
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'running';
    const { bus, signals, settings } = this.context;
    this.cleanups.push(bus.on('jobs:available', () => this.wake()));
    this.cleanups.push(
      bus.on('job:transitions', (transitions) => {
        for (const transition of transitions) if (transition.to === 'CANCELED' && transition.from !== 'CANCELED') this.runner.abort(transition.jobId, 'canceled');
      }),
    );
    this.cleanups.push(bus.on('jobTypes:changed', () => void this.refreshControls()));
    this.cleanups.push(() => this.options.circuits?.runProbesWith(undefined));
    if (signals.wakeListen) this.cleanups.push(await signals.wakeListen(() => this.wake()));
    await this.refreshControls();
    // An open circuit's probe job, claimed by the breaker, runs in these slots.
    this.options.circuits?.runProbesWith({ workerId: this.id, run: (jobs) => this.claimed(jobs) });
    // Changes made by other processes: claims obey them at once; jobs claimed ahead of a pause go
    // back, and newly limited types are claimed by their own turns, within a second.
    this.every(Math.min(1_000, this.options.pollIntervalMs), () => this.refreshControls());
    const leaseMs = settings.leaseSeconds * 1000;
    this.every(this.options.pollIntervalMs, () => this.wake());
    this.every(Math.max(10, leaseMs / 3), () => this.leases.renew());
    // Recovery within about a lease of a worker's death, and cheap: it reads a partial index.
    this.every(Math.max(50, Math.min(leaseMs / 4, 5_000)), () => this.leases.recoverExpired());
    this.every(Math.max(10, Math.min(startRecordDelayMs, leaseMs / 10)), () => this.recordStarts());
    this.every(Math.max(10, Math.min(1_000, this.policies.shortestTimeoutMs / 10)), () => this.runner.abortOverdue());
    this.context.logger.info({ workerId: this.id, concurrency: this.options.concurrency, prefetchMax: this.options.prefetchMax }, 'worker started');
    this.wake();
  }

  /** New jobs may be due: claim even if the last claim came back short. */
  wake(): void {
    this.claimer.wake();
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.completer.stopping = true;
    for (const cleanup of this.cleanups.splice(0)) await cleanup();
    await this.claimer.settle(5_000);
    await this.leases.giveBack(this.runner.close());
    await this.until(() => this.runner.running.size === 0, this.options.shutdownGraceMs);
    if (this.runner.running.size) {
      this.context.logger.warn({ workerId: this.id, running: this.runner.running.size }, 'grace period over: aborting running jobs');
      // Each ends as WorkerShutdown (uncharged, due again at once), with its handler or, if that
      // ignores the abort, without it after abortGraceMs.
      this.runner.abortAll('shutdown');
      await this.until(() => this.runner.running.size === 0, abortGraceMs + 1_000);
    }
    await this.until(
      () => this.completer.settled,
      Math.max(this.options.shutdownGraceMs, 5_000),
      () => this.completer.schedule(),
    );
    await this.recordStarts();
    this.state = 'stopped';
    this.context.logger.info({ workerId: this.id }, 'worker stopped');
  }

  private claimed(jobs: Job[]): void {
    const now = jobs[0]!.leaseAcquiredAt!;
    this.runner.add(jobs); // in claim order (it sorts them), which the transitions keep
    publishTransitions(
      this.context,
      jobs.map((job) => ({ jobId: job.id, from: 'PENDING' as const, to: 'RUNNING' as const, kind: 'claimed' as const, attemptNumber: job.attemptCount, at: now, job })),
    );
    if (this.state !== 'running') void this.leases.giveBack(this.runner.close());
    else this.pump();
  }

  private pump(): void {
    if (this.runner.pump().starved) this.claimer.noteStarved();
    this.claimer.claim();
  }

  private finished(entry: RunningJob, outcome: AttemptOutcome, durationMs: number): void {
    const { job } = entry;
    const row = decideAfterAttempt(
      {
        id: job.id,
        claimedAt: entry.claimedAt,
        attemptNumber: entry.attemptNumber,
        unchargedAttempts: job.unchargedAttempts,
        maxRetries: job.maxRetries,
        startedAt: entry.startedAt,
      },
      outcome,
      { finishedAt: this.context.now(), durationMs },
      this.policies.of(job.jobType).backoff,
    );
    const level = outcome.success ? 'info' : 'warn';
    if (this.context.logger.isLevelEnabled(level)) {
      const nextRunAt = row.status === 'PENDING' ? row.nextRunAt : undefined;
      entry.logger[level]({ status: row.status, durationMs, errorType: row.lastErrorType ?? undefined, error: row.lastError ?? undefined, nextRunAt }, 'attempt finished');
    }
    // The slot is free now; the lease stays ours until the outcome is written.
    this.completer.add(entry, row);
    if (this.options.circuits?.isProbe(job.id)) this.options.circuits.probeEnded(job.id);
    this.pump();
  }

  /** Reads the job type controls; jobs of newly paused types (or groups) claimed ahead go back unstarted. */
  private async refreshControls(): Promise<void> {
    const claimable = await this.controls.refresh();
    await this.leases.giveBack(this.runner.takeReadyUnstartable());
    if (claimable) this.wake();
  }

  private recordStarts(): Promise<void> {
    return this.completer.recordStarts((id) => this.runner.running.has(id));
  }

  /** Resolves when `done()` holds or after `timeoutMs`, re-checking as writes complete and on a short tick. */
  private async until(done: () => boolean, timeoutMs: number, nudge?: () => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) {
      nudge?.();
      await this.completer.progress(10);
    }
  }

  private every(ms: number, task: () => void | Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.state !== 'running') return;
      busy = true;
      void Promise.resolve(task()).finally(() => (busy = false));
    }, ms);
    timer.unref();
    this.cleanups.push(() => clearInterval(timer));
  }
}
