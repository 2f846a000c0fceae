/**
 * Puts claimed jobs that never started back to PENDING, due now, with nothing charged: no
 * attempt row, and the attempt the claim counted given back. For jobs a worker claimed ahead and did not start
 * before shutting down, and for a dead worker's jobs whose lease expired before they started.
 */
import type { LeaseRef } from '../db/dialects/index.js';
import type { Job } from '../db/types.js';
import type { JobStatus } from '../domain.js';
import type { JobTransition } from '../live/events.js';
import { announceDueJobs, publishTransitions, type QueueContext } from './context.js';

export async function jobsRelease(context: QueueContext, leaseOwner: string, jobs: (LeaseRef & { job?: Job })[], options: { expiredBy?: Date } = {}): Promise<JobTransition[]> {
  if (!jobs.length) return [];
  const now = context.now();
  const written = await context.dialect.jobsRelease({ leaseOwner, jobs, now, expiredBy: options.expiredBy });
  if (!written.length) return [];
  const claimed = new Map(jobs.map((job) => [job.id, job.job]));
  const missing = written.filter((row) => !claimed.get(row.id)).map((row) => row.id);
  const readBack = missing.length ? new Map((await context.db.job.findMany({ where: { id: { in: missing } } })).map((job) => [job.id, job])) : undefined;
  const transitions = written.map((result): JobTransition => {
    const before = claimed.get(result.id);
    const canceled = result.status === 'CANCELED';
    const job: Job = before
      ? {
          ...before,
          status: result.status,
          nextRunAt: canceled ? before.nextRunAt : now,
          activeKey: canceled ? null : before.activeKey,
          attemptCount: before.attemptCount - 1,
          canceledAt: canceled ? result.canceledAt : before.canceledAt,
          leaseOwner: null,
          leaseAcquiredAt: null,
          leaseExpiresAt: null,
          updatedAt: now,
        }
      : readBack!.get(result.id)!;
    return {
      jobId: result.id,
      from: (canceled ? 'CANCELED' : 'RUNNING') as JobStatus,
      to: result.status as JobStatus,
      kind: 'released',
      attemptNumber: job.attemptCount,
      at: now,
      job,
    };
  });
  publishTransitions(context, transitions);
  await announceDueJobs(context, transitions.filter((transition) => transition.to === 'PENDING').length, { notified: true });
  return transitions;
}
