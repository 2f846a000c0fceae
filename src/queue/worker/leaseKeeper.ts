/**
 * The worker's leases: renewed while it holds jobs (a third of a lease apart), checked for jobs
 * taken from it (canceled elsewhere, or recovered after a lapse: their handlers are told), and
 * the release of jobs leased to it that it never heard of (a claim whose answer was lost). It
 * also runs the recovery of other workers' expired leases.
 */
import type { QueueContext } from '../context.js';
import { leasesRecover } from '../maintenance/leasesRecover.js';
import type { AbortReason } from './executor.js';
import type { HeldJob } from './held.js';
import { jobsRelease } from './jobsRelease.js';

export interface LeaseKeeperOptions {
  workerId: string;
  /** Every job held: ready, running, or with its outcome not yet written. */
  held(): HeldJob[];
  /** Whether a job is still waiting or running here (not merely being written). */
  isActive(id: number): boolean;
  /** A lease was lost: stop the job. */
  onLost(id: number, reason: AbortReason): void;
}

export class LeaseKeeper {
  constructor(
    private readonly context: QueueContext,
    private readonly options: LeaseKeeperOptions,
  ) {}

  async renew(): Promise<void> {
    const held = this.options.held();
    if (!held.length) return;
    const { jobs, settings } = this.context;
    try {
      const kept = new Set(
        await jobs.renew({
          workerId: this.options.workerId,
          jobs: held.map(({ job, claimedAt }) => ({ id: job.id, claimedAt })),
          leaseExpiresAt: new Date(this.context.now().getTime() + settings.leaseSeconds * 1000),
        }),
      );
      const lost = held.filter(({ job }) => !kept.has(job.id) && this.options.isActive(job.id)).map(({ job }) => job.id);
      if (!lost.length) return;
      for (const { id, status } of await jobs.statuses(lost)) this.options.onLost(id, status === 'CANCELED' ? 'canceled' : 'lease-lost');
    } catch (error) {
      this.context.logger.error({ err: error, workerId: this.options.workerId }, 'renewing leases failed');
    }
  }

  /** Recovers jobs from workers that stopped renewing (within about a lease of their death). */
  async recoverExpired(): Promise<void> {
    try {
      await leasesRecover(this.context);
    } catch (error) {
      this.context.logger.error({ err: error, workerId: this.options.workerId }, 'recovering expired leases failed');
    }
  }

  /** Gives back jobs leased to this worker that it does not hold (their claim's answer was lost). */
  async releaseOrphans(): Promise<void> {
    const held = new Set(this.options.held().map((item) => item.job.id));
    const orphans = (await this.context.jobs.leasedTo(this.options.workerId)).filter((lease) => !held.has(lease.id));
    if (!orphans.length) return;
    await jobsRelease(this.context, this.options.workerId, orphans);
    this.context.logger.warn({ workerId: this.options.workerId, jobs: orphans.length }, 'released jobs whose claim was lost in transit (never started, nothing charged)');
  }

  /** Gives back claimed jobs that will not start here (uncharged). */
  async giveBack(jobs: HeldJob[]): Promise<void> {
    if (!jobs.length) return;
    try {
      await jobsRelease(
        this.context,
        this.options.workerId,
        jobs.map(({ job, claimedAt }) => ({ id: job.id, claimedAt, job })),
      );
    } catch (error) {
      this.context.logger.error({ err: error, workerId: this.options.workerId, jobs: jobs.length }, 'releasing unstarted jobs failed; their leases will expire');
    }
  }
}
