/**
 * Pause and resume a job type, for every process: the state lives in the database, and every
 * claim statement skips paused types, so no process claims them from the moment it commits.
 * Jobs a worker had already claimed ahead but not started go back (uncharged) at its next
 * refresh (within a second); running ones finish. Resuming wakes every process's workers.
 */
import { jobTypes, type JobType } from '../domain.js';
import { announceDueJobs, type QueueContext } from './context.js';
import { auditRow, type Actor } from './audit.js';
import { InputError } from './errors.js';

export interface JobTypeStatus {
  jobType: JobType;
  paused: boolean;
  pending: number;
  running: number;
}

export async function jobTypeSetPaused(context: QueueContext, jobType: string, paused: boolean, actor?: Actor): Promise<JobTypeStatus> {
  if (!(jobType in jobTypes)) throw new InputError(`Unknown jobType "${jobType}"; use one of ${Object.keys(jobTypes).join(', ')}.`, 'jobType');
  const now = context.now();
  const upsert = context.db.jobTypeState.upsert({ where: { jobType }, create: { jobType, paused, updatedAt: now }, update: { paused, updatedAt: now } });
  if (actor) {
    await context.db.$transaction([upsert, context.db.auditEvent.create({ data: auditRow(actor, paused ? 'PAUSE' : 'RESUME', null, 'OK', now, jobType) })]);
    context.logger.info({ audit: { actor: actor.name, action: paused ? 'PAUSE' : 'RESUME' }, jobType, requestId: actor.requestId }, paused ? 'job type paused' : 'job type resumed');
  } else await upsert;
  context.bus.emit('jobTypes:changed', { jobType, paused });
  if (!paused) await announceDueJobs(context, 1);
  return (await jobTypesRead(context)).find((status) => status.jobType === jobType)!;
}

/** Every job type with its state and how many of its jobs are pending and running. */
export async function jobTypesRead(context: QueueContext): Promise<JobTypeStatus[]> {
  const [states, counts] = await Promise.all([
    context.db.jobTypeState.findMany(),
    context.db.job.groupBy({ by: ['jobType', 'status'], where: { status: { in: ['PENDING', 'RUNNING'] } }, _count: true }),
  ]);
  const paused = new Set(states.filter((state) => state.paused).map((state) => state.jobType));
  return (Object.keys(jobTypes) as JobType[]).map((jobType) => {
    const count = (status: string) => counts.find((row) => row.jobType === jobType && row.status === status)?._count ?? 0;
    return { jobType, paused: paused.has(jobType), pending: count('PENDING'), running: count('RUNNING') };
  });
}

/** The paused job types now (through the driver, like the worker's other statements). */
export async function pausedJobTypes(context: QueueContext): Promise<Set<string>> {
  return new Set(await context.dialect.pausedJobTypes());
}
