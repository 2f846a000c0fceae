/**
 * Pause and resume a job type, for every process: the state lives in the database, and every
 * claim statement skips paused types, so no process claims them from the moment it commits.
 * Jobs a worker had already claimed ahead but not started go back (uncharged) at its next
 * refresh (within a second); running ones finish. Resuming wakes every process's workers.
 */
import { announceDueJobs, type QueueContext } from '../context.js';
import { auditRow, type Actor } from './audit.js';
import { jobTypeRead, knownJobType, type JobTypeStatus } from '../reads/jobTypesRead.js';

export async function jobTypeSetPaused(context: QueueContext, jobType: string, paused: boolean, actor?: Actor): Promise<JobTypeStatus> {
  const known = knownJobType(context, jobType);
  const now = context.now();
  const upsert = context.db.jobTypeState.upsert({ where: { jobType }, create: { jobType, paused, updatedAt: now }, update: { paused, updatedAt: now } });
  if (actor) {
    await context.db.$transaction([upsert, context.db.auditEvent.create({ data: auditRow(actor, paused ? 'PAUSE' : 'RESUME', null, 'OK', now, jobType) })]);
    context.logger.info(
      { audit: { actor: actor.name, action: paused ? 'PAUSE' : 'RESUME' }, jobType, requestId: actor.requestId },
      paused ? 'job type paused' : 'job type resumed',
    );
  } else await upsert;
  context.bus.emit('jobTypes:changed', { jobType });
  if (!paused) await announceDueJobs(context, 1);
  return jobTypeRead(context, known);
}
