/**
 * Crashed-worker recovery: RUNNING jobs whose lease expired (their worker stopped renewing it)
 * get their lost attempt recorded as a failure of type LeaseExpired and become claimable again,
 * due at once (the upstream did nothing wrong, so no backoff) but counted against maxRetries, so a
 * job that keeps killing its workers ends DEAD instead of looping forever.
 */
import type { QueueContext } from './context.js';
import { jobsFinish } from './jobsFinish.js';
import { finishRowFor } from './outcome.js';

export const leaseExpiredErrorType = 'LeaseExpired';

export async function leasesRecover(context: QueueContext, limit = 500): Promise<number> {
  const now = context.now();
  const expired = await context.db.job.findMany({
    where: { status: 'RUNNING', leaseExpiresAt: { lt: now } },
    select: { id: true, attemptCount: true, maxRetries: true, leaseOwner: true, leaseExpiresAt: true, lastStartedAt: true },
    take: limit,
  });
  const byOwner = new Map<string, typeof expired>();
  for (const job of expired) {
    const owner = job.leaseOwner ?? '';
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), job]);
  }
  let recovered = 0;
  for (const [owner, jobs] of byOwner) {
    const finished = await jobsFinish(
      context,
      owner,
      jobs.map((job) => {
        const startedAt = job.lastStartedAt ?? now;
        return {
          startedAt,
          success: false,
          row: finishRowFor(
            job,
            {
              success: false,
              errorType: leaseExpiredErrorType,
              message: `Lease held by worker ${owner} expired at ${job.leaseExpiresAt?.toISOString()} without renewal; the worker is presumed dead.`,
              retryable: true,
              immediate: true,
            },
            { finishedAt: now, durationMs: Math.max(0, now.getTime() - startedAt.getTime()) },
            context.settings.backoffBaseSeconds,
          ),
        };
      }),
      'lease_expired',
    );
    recovered += finished.length;
    for (const job of finished) {
      context.logger.warn(
        { jobId: job.id, jobType: job.jobType, entityId: job.entityId, attempt: job.attemptCount, correlationId: job.correlationId, lostWorker: owner, status: job.status },
        'recovered job from an expired lease',
      );
    }
  }
  return recovered;
}
