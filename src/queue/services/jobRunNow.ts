/**
 * Run now (Sidekiq's and Bull Board's "promote"): a PENDING job waiting for its time (a schedule,
 * a retry's backoff, a debounce) becomes due at once, and idle workers are woken. A job already
 * due is left as it is; a follow-up still runs only after its entity's running job, and a paused
 * type's job once the type is resumed.
 */
import type { Job } from '../../db/client.js';
import type { JobStatus } from '../../domain/index.js';
import { announceDueJobs, publishTransitions, type QueueContext } from '../context.js';
import { InputError, InvalidStateError, NotFoundError } from '../errors.js';
import { isRecordNotFound } from '../prismaErrors.js';
import { auditRow, logAudited, type Actor } from './audit.js';

/** `actor`: through the API by this caller (its audit row commits with the change). */
export async function jobRunNow(context: QueueContext, id: number, actor?: Actor): Promise<Job> {
  const current = await context.db.job.findUnique({ where: { id } });
  if (!current) throw new NotFoundError('Job', id);
  if (current.status !== 'PENDING') throw new InvalidStateError(id, current.status as JobStatus, 'run now', 'PENDING', 'run now');
  if (current.followUpKey !== null) throw new InputError(`Job ${id} waits for its entity's running job to finish, and runs right after it: it cannot start beside it.`, 'id');
  const now = context.now();
  if (current.nextRunAt <= now) return current;
  let job: Job;
  try {
    // Conditional on the time it was waiting for: a claim or another change meanwhile wins.
    const update = context.db.job.update({ where: { id, status: 'PENDING', nextRunAt: current.nextRunAt }, data: { nextRunAt: now, updatedAt: now } });
    const detail = `was due ${current.nextRunAt.toISOString()}`;
    job = actor ? (await context.db.$transaction([update, context.db.auditEvent.create({ data: auditRow(actor, 'RUN_NOW', id, 'OK', now, detail) })]))[0] : await update;
  } catch (error) {
    if (!isRecordNotFound(error)) throw error;
    const changed = await context.db.job.findUnique({ where: { id } });
    if (!changed) throw new NotFoundError('Job', id);
    if (changed.status !== 'PENDING') throw new InvalidStateError(id, changed.status as JobStatus, 'run now', 'PENDING', 'run now');
    return changed; // made due by someone else meanwhile
  }
  if (actor) logAudited(context, actor, 'RUN_NOW', [id]);
  publishTransitions(context, [{ jobId: id, from: 'PENDING', to: 'PENDING', kind: 'promoted', attemptNumber: job.attemptCount, at: now, job }]);
  await announceDueJobs(context, 1);
  return job;
}
