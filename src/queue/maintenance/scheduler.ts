/**
 * The scheduler: every half second in a worker process, each due schedule fires its tick. A tick
 * is claimed by inserting its (schedule, time) row, in the same transaction as the job it
 * enqueues: the primary key lets exactly one process have it, and a crash leaves neither or both.
 */
import type { Job, Schedule } from '../../db/types.js';
import { activeKey, priorities } from '../../domain/index.js';
import { announceDueJobs, publishTransitions, type QueueContext } from '../context.js';
import { newJobRow } from '../services/jobsInsert.js';
import { derivedGroupKey } from '../services/jobsEnqueue.js';
import type { JobTypeInfo } from '../jobTypes.js';
import { isUniqueViolation } from '../prismaErrors.js';
import { latestTick, nextTick } from './cron.js';
import { Periodic } from './periodic.js';

/** A tick this late under SKIP is dropped (the scheduler runs every half second when healthy). */
const skipGraceMs = 5_000;

/**
 * The tick to fire now for a due schedule (the latest one due), or none when SKIP drops it, and
 * the next tick after now. Two steps of the cron whatever the outage: walking every missed tick
 * of a per-second schedule after a day away blocked the event loop for seconds (measured).
 */
export function dueTick(schedule: Pick<Schedule, 'cron' | 'timezone' | 'catchUp' | 'nextRunAt'>, now: Date): { tickAt: Date | undefined; next: Date } {
  if (schedule.nextRunAt > now) return { tickAt: undefined, next: schedule.nextRunAt };
  const latest = latestTick(schedule.cron, schedule.timezone, now);
  let tickAt: Date | undefined = latest > schedule.nextRunAt ? latest : schedule.nextRunAt;
  if (schedule.catchUp === 'SKIP' && now.getTime() - tickAt.getTime() > skipGraceMs) tickAt = undefined;
  return { tickAt, next: nextTick(schedule.cron, schedule.timezone, now) };
}

/** The group the schedule's job type derives for its tick's job; none (logged) when its function now fails. */
async function tickGroupKey(context: QueueContext, type: JobTypeInfo, schedule: Schedule): Promise<string | null> {
  try {
    return await derivedGroupKey(type, schedule);
  } catch (error) {
    context.logger.warn({ err: error, schedule: schedule.name, jobType: schedule.jobType }, "the job type's group function failed for a schedule's tick: its job has no group");
    return null;
  }
}

/** Fires every due schedule once; resolves with the jobs this process enqueued. */
export async function schedulesTick(context: QueueContext): Promise<number> {
  const now = context.now();
  const due = await context.db.schedule.findMany({ where: { paused: false, nextRunAt: { lte: now } }, take: 100 });
  const enqueued: Job[] = [];
  for (const schedule of due) {
    const type = context.jobTypes.get(schedule.jobType);
    const { tickAt: dueAt, next } = dueTick(schedule, now);
    let tickAt = dueAt;
    if (tickAt && !type) {
      // Its type is not defined here (retired, or another process's module): the tick is dropped, not enqueued to fail.
      context.logger.warn({ schedule: schedule.name, jobType: schedule.jobType, tickAt }, 'a schedule names a job type this process does not define: tick skipped');
      tickAt = undefined;
    }
    try {
      // Only a type that derives groups checks the payload again for it.
      const groupKey = tickAt && type?.grouped ? await tickGroupKey(context, type, schedule) : null;
      const job = await context.db.$transaction(async (tx) => {
        // Whoever moves nextRunAt first owns this round; the tick's key settles the rest.
        const { count } = await tx.schedule.updateMany({
          where: { id: schedule.id, nextRunAt: schedule.nextRunAt, paused: false },
          data: { nextRunAt: next, ...(tickAt ? { lastTickAt: tickAt } : {}), updatedAt: now },
        });
        if (!count || !tickAt) return undefined;
        const holder = await tx.job.findUnique({ where: { activeKey: activeKey(schedule.jobType, schedule.entityId) }, select: { id: true } });
        if (holder) {
          await tx.scheduleTick.create({ data: { scheduleId: schedule.id, tickAt, outcome: 'SKIPPED_ACTIVE', jobId: holder.id, createdAt: now } });
          return undefined;
        }
        const row = newJobRow(
          {
            jobType: schedule.jobType,
            entityId: schedule.entityId,
            priority: priorities.NORMAL,
            scheduledAt: null,
            maxRetries: type?.maxRetries ?? context.settings.maxRetriesDefault,
            payloadVersion: schedule.payloadVersion,
            payload: schedule.payload,
            groupKey,
          },
          now,
          context.jobTypes,
        );
        const created = await tx.job.create({ data: { ...row, status: 'PENDING', updatedAt: now } });
        await tx.scheduleTick.create({ data: { scheduleId: schedule.id, tickAt, outcome: 'ENQUEUED', jobId: created.id, createdAt: now } });
        return created;
      });
      if (job) enqueued.push(job);
    } catch (error) {
      // Another process took this tick (or the pair) first: nothing was written here.
      if (!isUniqueViolation(error)) context.logger.warn({ err: error, schedule: schedule.name }, 'a schedule tick failed; it is tried again');
    }
  }
  if (enqueued.length) {
    publishTransitions(
      context,
      enqueued.map((job) => ({ jobId: job.id, from: null, to: 'PENDING' as const, kind: 'enqueued' as const, attemptNumber: 0, at: now, job })),
    );
    await announceDueJobs(context, enqueued.length);
    for (const job of enqueued) context.logger.info({ jobId: job.id, correlationId: job.correlationId, entityId: job.entityId }, 'schedule enqueued a job');
  }
  return enqueued.length;
}

/** Runs the due schedules every half second in a worker process. */
export class Scheduler extends Periodic<number> {
  constructor(context: QueueContext) {
    super(() => schedulesTick(context), 500, context.logger, 'running schedules');
  }
}
