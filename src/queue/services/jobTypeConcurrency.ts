/**
 * A job type's concurrency limit, for every process: claims of a limited type take turns and
 * never leave more of its jobs RUNNING than the limit (see the dialect's `jobsClaimOfType`).
 * Changing it takes effect at the next claim anywhere; jobs already running above a lowered
 * limit finish, and no more start until the count is under it. Raising or removing it wakes the
 * workers.
 */
import { announceDueJobs, type QueueContext } from '../context.js';
import { auditRow, type Actor } from './audit.js';
import { InputError } from '../errors.js';
import { jobTypeRead, knownJobType, type JobTypeStatus } from '../reads/jobTypesRead.js';

/** Highest limit accepted: beyond it, a limit is no limit for a worker's handler slots. */
export const maxJobTypeConcurrency = 10_000;

/** Sets (a positive integer) or removes (null) the limit. */
export async function jobTypeSetConcurrency(context: QueueContext, jobType: string, concurrency: number | null, actor?: Actor): Promise<JobTypeStatus> {
  const known = knownJobType(context, jobType);
  if (concurrency !== null && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > maxJobTypeConcurrency)) {
    throw new InputError(`concurrency must be a whole number from 1 to ${maxJobTypeConcurrency}, or null for no limit (got ${concurrency}).`, 'concurrency');
  }
  const now = context.now();
  const upsert = context.db.jobTypeState.upsert({ where: { jobType }, create: { jobType, concurrency, updatedAt: now }, update: { concurrency, updatedAt: now } });
  const detail = `${jobType}: ${concurrency ?? 'no limit'}`;
  if (actor) {
    await context.db.$transaction([upsert, context.db.auditEvent.create({ data: auditRow(actor, 'CONCURRENCY', null, 'OK', now, detail) })]);
    context.logger.info({ audit: { actor: actor.name, action: 'CONCURRENCY' }, jobType, concurrency, requestId: actor.requestId }, 'job type concurrency set');
  } else await upsert;
  context.bus.emit('jobTypes:changed', { jobType });
  await announceDueJobs(context, 1);
  return jobTypeRead(context, known);
}
