/**
 * Recurring schedules: create, pause, delete, list (the tick that enqueues is the scheduler's,
 * src/queue/maintenance/scheduler.ts).
 */
import { nextTick } from '../maintenance/cron.js';
import type { QueueContext } from '../context.js';
import { InputError, NotFoundError } from '../errors.js';
import type { Job } from '../../db/types.js';
import { jobEnqueueResult, validateEnqueueInput } from './jobsEnqueue.js';
import { isUniqueViolation } from '../prismaErrors.js';
import { auditRow, type Actor, type AuditAction } from './audit.js';

export type CatchUp = 'SKIP' | 'ONCE';

export interface ScheduleInput {
  name: string;
  cron: string;
  jobType: string;
  entityId: string;
  timezone?: string | null;
  catchUp?: CatchUp | null;
  /** Each tick's job payload, checked by the type's schema now (its newest version, unless payloadVersion). */
  payload?: unknown;
  payloadVersion?: number | null;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

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
  const job = await validateEnqueueInput({ jobType: input.jobType, entityId: input.entityId, payload: input.payload, payloadVersion: input.payloadVersion }, context);
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
      payload: job.payload,
      payloadVersion: job.payloadVersion,
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

/**
 * One tick now, outside the cron (the schedules page's "Run now"): the schedule's job, with its
 * payload, enqueued like any other by the caller (audited ENQUEUE); the cron's own ticks go on as
 * before. Refused like an enqueue when the pair already has an active job (a coalescing type folds
 * it in).
 */
export async function scheduleRunNow(context: QueueContext, name: string, actor?: Actor): Promise<{ job: Job; coalesced: boolean }> {
  const schedule = await context.db.schedule.findUnique({ where: { name } });
  if (!schedule) throw new NotFoundError('Schedule', name);
  return jobEnqueueResult(
    context,
    {
      jobType: schedule.jobType,
      entityId: schedule.entityId,
      payloadVersion: schedule.payloadVersion,
      payload: schedule.payload === null ? undefined : (JSON.parse(schedule.payload) as unknown),
    },
    actor,
  );
}

export function schedulesRead(context: QueueContext) {
  return context.db.schedule.findMany({ orderBy: { name: 'asc' } });
}
