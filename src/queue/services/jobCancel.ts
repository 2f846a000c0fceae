/**
 * Cancel: PENDING or RUNNING → CANCELED. A running handler is told to stop (this process's worker
 * hears the transition at once; workers elsewhere find out at their next lease renewal), and the
 * worker's late result can no longer change the status (finishJobs keeps CANCELED).
 */
import type { Job } from '../../db/client.js';
import { cancelChanges, cancelableStatuses, type JobStatus } from '../../domain/index.js';
import { publishTransitions, type QueueContext } from '../context.js';
import { InvalidStateError, NotFoundError } from '../errors.js';
import { isRecordNotFound } from '../prismaErrors.js';
import { auditRow, logAudited, type Actor } from './audit.js';

/** `actor`: canceled through the API by this caller (its audit row commits with the change). */
export async function jobCancel(context: QueueContext, id: number, actor?: Actor): Promise<Job> {
  const now = context.now();
  // One conditional write; the status check and the change cannot be separated by a worker.
  for (const from of cancelableStatuses) {
    let job: Job;
    try {
      const update = context.db.job.update({
        where: { id, status: from },
        data: cancelChanges(now),
      });
      job = actor ? (await context.db.$transaction([update, context.db.auditEvent.create({ data: auditRow(actor, 'CANCEL', id, 'OK', now, `was ${from}`) })]))[0] : await update;
    } catch (error) {
      if (isRecordNotFound(error)) continue;
      throw error;
    }
    if (actor) logAudited(context, actor, 'CANCEL', [id]);
    publishTransitions(context, [{ jobId: id, from, to: 'CANCELED', kind: 'canceled', attemptNumber: job.attemptCount, at: now, job }]);
    // No wake-up here: a follow-up behind a canceled RUNNING job waits for that handler's lease to
    // end, and the handler's finish (or the lease's expiry) wakes the workers then.
    return job;
  }
  const current = await context.db.job.findUnique({ where: { id }, select: { status: true } });
  if (!current) throw new NotFoundError('Job', id);
  throw new InvalidStateError(id, current.status as JobStatus, 'cancel', cancelableStatuses.join(' or '));
}
