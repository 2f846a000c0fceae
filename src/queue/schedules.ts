/**
 * Recurring schedules: create, pause, delete, list, and the tick that enqueues. A tick is claimed
 * by inserting its (schedule, time) row, in the same transaction as the job it enqueues: the
 * primary key lets exactly one process have it, and a crash leaves neither or both.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Job, Schedule } from '../db/types.js';
import { activeKey, priorities, type JobType } from '../domain.js';
import { announceDueJobs, publishTransitions, type QueueContext } from './context.js';
import { InputError, NotFoundError } from './errors.js';
import { validateEnqueueInput } from './jobsEnqueue.js';
import { newJobRow } from './jobsInsert.js';
import { Periodic } from './periodic.js';
import { isUniqueViolation } from './prismaErrors.js';
import { auditRow, type Actor, type AuditAction } from './audit.js';

export type CatchUp = 'SKIP' | 'ONCE';

export interface ScheduleInput {
  name: string;
  cron: string;
  jobType: string;
  entityId: string;
  timezone?: string | null;
  catchUp?: CatchUp | null;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** A tick this late under SKIP is dropped (the scheduler runs every half second when healthy). */
const skipGraceMs = 5_000;

/** The next tick strictly after `after`, or an InputError naming what is wrong. */
export function nextTick(cron: string, timezone: string, after: Date): Date {
  try {
    return CronExpressionParser.parse(cron, { currentDate: after, tz: timezone }).next().toDate();
  } catch (error) {
    throw new InputError(`cron "${cron}" in ${timezone} is not valid: ${(error as Error).message}.`, 'cron');
  }
}

function validTimezone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return timezone;
  } catch {
    throw new InputError(`Unknown time zone "${timezone}"; use an IANA name such as Europe/Paris or UTC.`, 'timezone');
  }
}

/** The audit row of a schedule change, for the same transaction as the change (none without an actor). */
function scheduleAudit(
  context: QueueContext,
  actor: Actor | undefined,
  action: AuditAction,
  schedule: { name: string; cron: string; jobType: string; entityId: string },
  at: Date,
) {
  if (!actor) return [];
  context.logger.info({ audit: { actor: actor.name, role: actor.role, action, outcome: 'OK' }, schedule: schedule.name, requestId: actor.requestId }, 'schedule changed');
  const detail = `schedule ${schedule.name}: ${schedule.cron} → ${schedule.jobType}:${schedule.entityId}`;
  return [context.db.auditEvent.create({ data: auditRow(actor, action, null, 'OK', at, detail.slice(0, 500)) })];
}

export async function scheduleCreate(context: QueueContext, input: ScheduleInput, actor?: Actor) {
  if (!namePattern.test(input.name)) throw new InputError('name must be 1-64 letters, digits or . _ : - (starting with a letter or digit).', 'name');
  const job = validateEnqueueInput({ jobType: input.jobType, entityId: input.entityId }, context);
  const timezone = validTimezone(input.timezone ?? 'UTC');
  const now = context.now();
  const nextRunAt = nextTick(input.cron, timezone, now);
  try {
    const data = {
      name: input.name,
      cron: input.cron,
      timezone,
      jobType: job.jobType,
      entityId: job.entityId,
      catchUp: input.catchUp ?? 'SKIP',
      nextRunAt,
      createdAt: now,
      updatedAt: now,
    };
    const [created] = await context.db.$transaction([context.db.schedule.create({ data }), ...scheduleAudit(context, actor, 'SCHEDULE_CREATE', data, now)]);
    return created;
  } catch (error) {
    if (isUniqueViolation(error)) throw new InputError(`A schedule named "${input.name}" exists already.`, 'name');
    throw error;
  }
}

export async function scheduleSetPaused(context: QueueContext, name: string, paused: boolean, actor?: Actor) {
  const schedule = await context.db.schedule.findUnique({ where: { name } });
  if (!schedule) throw new NotFoundError('Schedule', name);
  const now = context.now();
  // Resuming starts from now: ticks that fell while paused are not made up for.
  const nextRunAt = paused ? schedule.nextRunAt : nextTick(schedule.cron, schedule.timezone, now);
  const [updated] = await context.db.$transaction([
    context.db.schedule.update({ where: { name }, data: { paused, nextRunAt, ...(paused ? {} : { lastTickAt: now }), updatedAt: now } }),
    ...scheduleAudit(context, actor, paused ? 'SCHEDULE_PAUSE' : 'SCHEDULE_RESUME', schedule, now),
  ]);
  return updated;
}

export async function scheduleDelete(context: QueueContext, name: string, actor?: Actor): Promise<void> {
  const schedule = await context.db.schedule.findUnique({ where: { name } });
  if (!schedule) throw new NotFoundError('Schedule', name);
  const now = context.now();
  const [{ count }] = await context.db.$transaction([context.db.schedule.deleteMany({ where: { name } }), ...scheduleAudit(context, actor, 'SCHEDULE_DELETE', schedule, now)]);
  if (!count) throw new NotFoundError('Schedule', name);
}

export function schedulesRead(context: QueueContext) {
  return context.db.schedule.findMany({ orderBy: { name: 'asc' } });
}

/** The latest tick at or before `at`. */
export function latestTick(cron: string, timezone: string, at: Date): Date {
  // prev() is strictly before its start: start just after `at`, so a tick exactly at `at` counts.
  return CronExpressionParser.parse(cron, { currentDate: new Date(at.getTime() + 1), tz: timezone })
    .prev()
    .toDate();
}

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

/** Fires every due schedule once; resolves with the jobs this process enqueued. */
export async function schedulesTick(context: QueueContext): Promise<number> {
  const now = context.now();
  const due = await context.db.schedule.findMany({ where: { paused: false, nextRunAt: { lte: now } }, take: 100 });
  const enqueued: Job[] = [];
  for (const schedule of due) {
    const { tickAt, next } = dueTick(schedule, now);
    try {
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
            jobType: schedule.jobType as JobType,
            entityId: schedule.entityId,
            priority: priorities.NORMAL,
            scheduledAt: null,
            maxRetries: context.settings.maxRetriesDefault,
            payloadVersion: 1,
          },
          now,
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
