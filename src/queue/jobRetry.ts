/**
 * Manual retry: FAILED → PENDING, due now, last error fields cleared, attempts kept (attemptCount
 * keeps counting: the history is one sequence). Takes the job's activeKey again, so a retry while
 * another job for the same entity is active is a DuplicateActiveJobError.
 */
import type { Job } from '../db/client.js';
import type { JobStatus } from '../live/events.js';
import { announceDueJobs, publishTransitions, type QueueContext } from './context.js';
import { DuplicateActiveJobError, InvalidStateError, NotFoundError } from './errors.js';
import { activeKey } from './jobTypes.js';
import { isUniqueViolation } from './uniqueViolation.js';

export async function jobRetry(context: QueueContext, id: number): Promise<Job> {
  const current = await context.db.job.findUnique({ where: { id }, select: { status: true, jobType: true, entityId: true } });
  if (!current) throw new NotFoundError('Job', id);
  if (current.status !== 'FAILED') throw new InvalidStateError(id, current.status as JobStatus, 'retry', 'FAILED');
  const now = context.now();
  const key = activeKey(current.jobType, current.entityId);
  let count: number;
  try {
    ({ count } = await context.db.job.updateMany({
      where: { id, status: 'FAILED' },
      data: {
        status: 'PENDING',
        activeKey: key,
        nextRunAt: now,
        lastError: null,
        lastErrorType: null,
        updatedAt: now,
      },
    }));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const holder = await context.db.job.findUnique({ where: { activeKey: key }, select: { id: true } });
    throw new DuplicateActiveJobError(holder?.id ?? 0, current.jobType, current.entityId);
  }
  const job = await context.db.job.findUnique({ where: { id } });
  if (!job) throw new NotFoundError('Job', id);
  if (count === 0) throw new InvalidStateError(id, job.status as JobStatus, 'retry', 'FAILED');
  publishTransitions(context, [{ jobId: id, from: 'FAILED', to: 'PENDING', kind: 'retried', attemptNumber: job.attemptCount, at: now, job }]);
  await announceDueJobs(context, 1);
  return job;
}
