/**
 * Manual retry: FAILED → PENDING, due now, last error fields cleared, attempts kept (attemptCount
 * keeps counting: the history is one sequence). Takes the job's activeKey again, so a retry while
 * another job for the same entity is active is a DuplicateActiveJobError.
 */
import type { Job } from '../../db/client.js';
import { activeKey, canRetry, followUpRetryChanges, retryChanges, retryableStatuses, type JobStatus } from '../../domain/index.js';
import { announceDueJobs, publishTransitions, type QueueContext } from '../context.js';
import { DuplicateActiveJobError, InvalidStateError, NotFoundError } from '../errors.js';
import { auditRow, logAudited, type Actor } from './audit.js';
import { isRecordNotFound, isUniqueViolation } from '../prismaErrors.js';

/** `actor`: retried through the API by this caller (its audit row commits with the change). */
export async function jobRetry(context: QueueContext, id: number, actor?: Actor): Promise<Job> {
  const current = await context.db.job.findUnique({ where: { id }, select: { id: true, status: true, jobType: true, entityId: true } });
  if (!current) throw new NotFoundError('Job', id);
  if (!canRetry(current.status)) throw new InvalidStateError(id, current.status as JobStatus, 'retry', retryableStatuses.join(' or '));
  const now = context.now();
  const key = activeKey(current.jobType, current.entityId);
  let job: Job;
  try {
    // The row as this statement wrote it: a worker may claim the job the moment it commits.
    const update = context.db.job.update({
      where: { id, status: 'FAILED' },
      data: retryChanges(current, now),
    });
    job = actor ? (await context.db.$transaction([update, context.db.auditEvent.create({ data: auditRow(actor, 'RETRY', id, 'OK', now) })]))[0] : await update;
  } catch (error) {
    if (isRecordNotFound(error)) {
      const latest = await context.db.job.findUnique({ where: { id }, select: { status: true } });
      if (!latest) throw new NotFoundError('Job', id);
      throw new InvalidStateError(id, latest.status as JobStatus, 'retry', retryableStatuses.join(' or '));
    }
    if (!isUniqueViolation(error)) throw error;
    // A coalescing type: behind the pair's RUNNING job, the retried job waits as its follow-up.
    const followUp = context.jobTypes.get(current.jobType)?.ifActive === 'COALESCE' ? await retryAsFollowUp(context, current, key, now, actor) : undefined;
    if (!followUp) {
      const [holder] = await context.jobs.activeHolders([key]);
      throw new DuplicateActiveJobError(holder?.id ?? 0, current.jobType, current.entityId);
    }
    job = followUp;
  }
  if (actor) logAudited(context, actor, 'RETRY', [id]);
  publishTransitions(context, [{ jobId: id, from: 'FAILED', to: 'PENDING', kind: 'retried', attemptNumber: job.attemptCount, at: now, job }]);
  await announceDueJobs(context, 1);
  return job;
}

/** The retry as the pair's follow-up; undefined when the pair has one already. */
async function retryAsFollowUp(
  context: QueueContext,
  current: { id: number; jobType: string; entityId: string },
  key: string,
  now: Date,
  actor: Actor | undefined,
): Promise<Job | undefined> {
  const { id } = current;
  const owner = await context.db.job.findFirst({ where: { activeKey: key }, select: { status: true } });
  if (owner?.status !== 'RUNNING') return undefined;
  try {
    const update = context.db.job.update({ where: { id, status: 'FAILED' }, data: followUpRetryChanges(current, now) });
    return actor
      ? (await context.db.$transaction([update, context.db.auditEvent.create({ data: auditRow(actor, 'RETRY', id, 'OK', now, 'as the follow-up of a running job') })]))[0]
      : await update;
  } catch (error) {
    if (isUniqueViolation(error) || isRecordNotFound(error)) return undefined;
    throw error;
  }
}
