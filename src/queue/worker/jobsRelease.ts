/**
 * Puts claimed jobs that never started back to PENDING, due now, with nothing charged: no
 * attempt row, and the attempt the claim counted given back (lifecycle `afterRelease`). For jobs
 * a worker claimed ahead and did not start before shutting down (or that a pause took back), and
 * for a dead worker's jobs whose lease expired before they started.
 */
import type { Job } from '../../db/types.js';
import { afterRelease, type JobStatus, type LeaseRef } from '../../domain/index.js';
import type { JobTransition } from '../../events/events.js';
import { announceDueJobs, publishTransitions, type QueueContext } from '../context.js';

export async function jobsRelease(context: QueueContext, leaseOwner: string, jobs: (LeaseRef & { job?: Job })[], options: { expiredBy?: Date } = {}): Promise<JobTransition[]> {
  if (!jobs.length) return [];
  const now = context.now();
  const written = await context.jobs.release({ leaseOwner, jobs, now, expiredBy: options.expiredBy });
  if (!written.length) return [];
  const claimed = new Map(jobs.map((job) => [job.id, job.job]));
  const missing = written.filter((row) => !claimed.get(row.id)).map((row) => row.id);
  const readBack = missing.length ? new Map((await context.reads.byIds(missing)).map((job) => [job.id, job])) : undefined;
  const transitions = written.map((result): JobTransition => {
    const before = claimed.get(result.id);
    const job = before ? afterRelease(before, result, now) : readBack!.get(result.id)!;
    const superseded = result.supersededBy !== null;
    return {
      jobId: result.id,
      from: (result.status === 'CANCELED' && !superseded ? 'CANCELED' : 'RUNNING') as JobStatus,
      to: result.status as JobStatus,
      kind: superseded ? 'superseded' : 'released',
      attemptNumber: job.attemptCount,
      at: now,
      job,
    };
  });
  publishTransitions(context, transitions);
  const freed = written.filter((result) => result.freedFollowUp !== null).length;
  await announceDueJobs(context, transitions.filter((transition) => transition.to === 'PENDING').length + freed, { notified: true });
  return transitions;
}
