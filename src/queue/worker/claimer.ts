/**
 * Claims due jobs in batches ahead of free handler slots. The worker keeps up to
 * `concurrency + prefetch` jobs ready or running, where prefetch follows demand between the
 * concurrency and `prefetchMax`: it doubles when a slot sat idle waiting for a claim and shrinks
 * while claims land with plenty still ready, so fast handlers never wait for a claim and slow ones
 * do not hoard jobs other workers could run. No polling per job: it claims when woken (an enqueue
 * here, a NOTIFY from elsewhere, a retry falling due at once) or while claims come back full;
 * otherwise only at the poll interval, which catches scheduled jobs and retries coming due.
 */
import type { Job } from '../../db/types.js';
import type { QueueContext } from '../context.js';
import type { JobTypeControls } from './controls.js';

/** Largest claim, in jobs (one statement). */
const maxClaimBatch = 500;

export interface ClaimerOptions {
  workerId: string;
  concurrency: number;
  /** Most jobs claimed ahead of free handler slots (the adaptive depth never goes above it). */
  prefetchMax: number;
  controls: JobTypeControls;
  /** Jobs at hand: waiting for a slot, and running. */
  held(): { ready: number; running: number };
  /** May claims go out now (not shutting down, the outcome backlog within bounds)? */
  mayClaim(): boolean;
  /** Claimed jobs, to run. */
  onClaimed(jobs: Job[]): void;
  /**
   * Before the next claim, when a claim may have committed unheard (its answer lost with the
   * connection): jobs leased to this worker that it does not hold are released.
   */
  releaseOrphans(): Promise<void>;
}

export class Claimer {
  private inFlight = 0;
  /** Jobs asked for by claims in flight. */
  private requested = 0;
  /** The last claim came back short: claim again only when woken or polled. */
  private supply: 'maybe-due' | 'exhausted' = 'maybe-due';
  /** Wake-ups so far: a claim that started before the latest one cannot declare the queue empty. */
  private wakes = 0;
  private prefetch: number;
  /** A slot sat free with nothing ready while jobs were due. */
  private starved = false;
  /** Per grouped type, the last group a claim of this worker served: the next claim starts after it. */
  private readonly groupTurns = new Map<string, string>();
  /** Claims whose answer may have been lost leave orphans: released (uncharged) before the next claim. */
  private orphans: 'none' | 'possible' | 'releasing' = 'none';

  constructor(
    private readonly context: QueueContext,
    private readonly options: ClaimerOptions,
  ) {
    // Start shallow (slow handlers must not hoard jobs other workers could run); a backlog of
    // fast ones doubles it on every claim until it is deep enough.
    this.prefetch = this.prefetchFloor;
  }

  private get prefetchFloor(): number {
    return Math.min(this.options.concurrency, this.options.prefetchMax);
  }

  get claimsInFlight(): number {
    return this.inFlight;
  }

  /** New jobs may be due: claim even if the last claim came back short. */
  wake(): void {
    this.wakes += 1;
    this.supply = 'maybe-due';
    this.claim();
  }

  /** A slot is free and nothing is at hand while jobs may be due: the depth is too small. */
  noteStarved(): void {
    if (this.supply === 'maybe-due') this.starved = true;
  }

  /** Claims while there is room, in batches of at least half the depth (a claim per freed slot would cost a statement per job). */
  claim(): void {
    if (!this.options.mayClaim()) return;
    const minBatch = Math.max(1, Math.ceil(this.prefetch / 2));
    while (this.supply === 'maybe-due' && this.orphans !== 'releasing' && this.inFlight < this.context.capabilities.concurrentWrites) {
      const { ready, running } = this.options.held();
      const room = this.options.concurrency + this.prefetch - ready - running - this.requested;
      if (room < minBatch) return;
      void this.claimBatch(Math.min(room, maxClaimBatch));
    }
  }

  private async claimBatch(limit: number): Promise<void> {
    this.inFlight += 1;
    this.requested += limit;
    const wakesBefore = this.wakes;
    try {
      // Only while no other claim is in flight, and none may start meanwhile: its jobs would be
      // leased to us, not yet at hand, and released as orphans while they run (a success run
      // twice, seen in the fault suite).
      if (this.orphans === 'possible' && this.inFlight === 1) {
        this.orphans = 'releasing';
        try {
          await this.options.releaseOrphans();
          this.orphans = 'none';
        } finally {
          if (this.orphans === 'releasing') this.orphans = 'possible';
        }
      }
      const jobs = await this.claimJobs(limit);
      if (jobs.length >= limit) this.adaptPrefetch();
      else if (this.wakes === wakesBefore) this.supply = 'exhausted';
      this.starved = false;
      if (jobs.length) this.options.onClaimed(jobs);
    } catch (error) {
      this.supply = 'exhausted'; // the poll tries again
      if (this.context.jobs.isTransient(error)) this.orphans = 'possible';
      this.context.logger.error({ err: error, workerId: this.options.workerId }, 'claiming jobs failed; retrying at the next poll');
    } finally {
      this.inFlight -= 1;
      this.requested -= limit;
      this.claim();
    }
  }

  /**
   * Grouped types' jobs with a group first, the groups taking turns (each type's turn kept here:
   * the group after the last one served), then limited types (else a backlog of the others would
   * always fill the batch), and only for free handler slots: a limited job claimed ahead holds one
   * of its type's few slots.
   */
  private async claimJobs(limit: number): Promise<Job[]> {
    const { jobs: store, settings } = this.context;
    const now = this.context.now();
    const claim = { workerId: this.options.workerId, now, leaseMs: settings.leaseSeconds * 1000 };
    const { controls } = this.options;
    let jobs: Job[] = [];
    for (const jobType of controls.grouped) {
      const room = limit - jobs.length;
      if (room <= 0) break;
      if (controls.paused.has(jobType)) continue;
      const { jobs: claimed, lastGroup } = await store.claimGrouped({ ...claim, jobType, limit: room, after: this.groupTurns.get(jobType) ?? '' });
      if (lastGroup !== undefined) this.groupTurns.set(jobType, lastGroup);
      jobs = jobs.concat(claimed);
    }
    for (const jobType of controls.limited) {
      const room = Math.min(limit - jobs.length, this.options.concurrency - this.options.held().running);
      if (room <= 0) break;
      if (!controls.paused.has(jobType)) jobs = jobs.concat(await store.claimOfType({ ...claim, jobType, limit: room }));
    }
    if (jobs.length < limit) {
      const claimed = await store.claim({ ...claim, limit: limit - jobs.length });
      jobs = jobs.length ? jobs.concat(claimed) : claimed;
    }
    return jobs;
  }

  /**
   * Demand decides the depth: a handler slot that sat free with nothing ready while jobs were
   * due means the depth is too small (double it); a ready queue still half full when a claim
   * lands means it is more than enough (shrink it a little).
   */
  private adaptPrefetch(): void {
    if (this.starved) this.prefetch = Math.min(this.options.prefetchMax, this.prefetch * 2);
    else if (this.options.held().ready > this.prefetch / 2) this.prefetch = Math.max(this.prefetchFloor, Math.floor(this.prefetch * 0.9));
  }

  /** Resolves once no claim is in flight, or after `ms`. */
  async settle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.inFlight && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
