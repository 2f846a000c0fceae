/**
 * Crashed-worker recovery: RUNNING jobs whose lease expired (their worker stopped renewing it).
 * A job whose handler had started gets its lost attempt recorded as a failure of type
 * LeaseExpired and becomes claimable again, due at once (the upstream did nothing wrong, so no
 * backoff) but counted against maxRetries, so a job that keeps killing its workers ends DEAD
 * instead of looping forever. A job that never started (claimed ahead, waiting for a slot) goes
 * back with nothing charged. Both writes re-check that the lease is still expired, so a worker
 * that renewed in between keeps its job.
 */
import { decideAfterAttempt, systemErrorTypes } from '../../domain/index.js';
import type { QueueContext } from '../context.js';
import { jobsFinish } from '../worker/jobsFinish.js';
import { jobsRelease } from '../worker/jobsRelease.js';

export async function leasesRecover(context: QueueContext, limit = 500): Promise<number> {
  const now = context.now();
  const expired = await context.jobs.expired({ now, limit });
  if (!expired.length) return 0;
  const byOwner = new Map<string, typeof expired>();
  for (const lease of expired) byOwner.set(lease.leaseOwner, [...(byOwner.get(lease.leaseOwner) ?? []), lease]);
  let recovered = 0;
  for (const [owner, leases] of byOwner) {
    const started = leases.filter((lease) => lease.startedAt);
    const charged = await jobsFinish(
      context,
      owner,
      started.map((lease) => ({
        row: decideAfterAttempt(
          {
            id: lease.id,
            claimedAt: lease.claimedAt,
            attemptNumber: lease.attemptCount,
            unchargedAttempts: lease.unchargedAttempts,
            maxRetries: lease.maxRetries,
            startedAt: lease.startedAt!,
          },
          {
            success: false,
            errorType: systemErrorTypes.leaseExpired,
            message: `Lease held by worker ${owner} expired at ${lease.leaseExpiresAt.toISOString()} without renewal; the worker is presumed dead.`,
            retryable: true,
            immediate: true,
          },
          { finishedAt: now, durationMs: Math.max(0, now.getTime() - lease.startedAt!.getTime()) },
          { baseSeconds: context.settings.backoffBaseSeconds }, // due again at once: no backoff is drawn
        ),
      })),
      { pendingKind: 'lease_expired', expiredBy: now },
    );
    const released = await jobsRelease(
      context,
      owner,
      leases.filter((lease) => !lease.startedAt).map((lease) => ({ id: lease.id, claimedAt: lease.claimedAt })),
      { expiredBy: now },
    );
    for (const { job, kind } of [...charged, ...released]) {
      context.logger.warn(
        {
          jobId: job.id,
          jobType: job.jobType,
          entityId: job.entityId,
          attempt: job.attemptCount,
          correlationId: job.correlationId,
          lostWorker: owner,
          status: job.status,
          charged: kind !== 'released',
        },
        kind === 'released' ? 'released a job that never started from an expired lease' : 'recovered job from an expired lease',
      );
    }
    recovered += charged.length + released.length;
  }
  return recovered;
}
