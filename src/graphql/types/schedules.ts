/** Recurring schedules: a cron expression in a time zone enqueues one job per tick. */
import type { Job, Schedule } from '../../db/types.js';
import { JobRef } from './job.js';
import { DuplicateActiveJobError, InputError, NotFoundError } from '../../queue/errors.js';
import { scheduleCreate, scheduleDelete, scheduleRunNow, scheduleSetPaused, schedulesRead } from '../../queue/services/schedules.js';
import { builder } from '../builder.js';
import { actingCaller, refused } from '../mutations/results.js';
import { QueueError } from '../../queue/errors.js';
import type { AuditAction } from '../../queue/services/audit.js';
import type { GraphQLContext } from '../builder.js';

/** Runs a schedule change as the caller; a refusal (nothing changed) is audited too. */
async function asCaller<T>(context: GraphQLContext, action: AuditAction, detail: string, run: (actor: Awaited<ReturnType<typeof actingCaller>>) => Promise<T>): Promise<T> {
  const actor = await actingCaller(context);
  try {
    return await run(actor);
  } catch (error) {
    if (error instanceof QueueError) throw await refused(context, actor, action, error, detail);
    throw error;
  }
}
import { JobTypeEnum } from './enums.js';

const CatchUpEnum = builder.enumType('ScheduleCatchUp', {
  description: 'What a schedule does about ticks missed while no worker ran it.',
  values: {
    SKIP: { description: 'Drop them: only ticks on time enqueue.' },
    ONCE: { description: 'Enqueue one job for all of them, as soon as a worker runs again.' },
  } as const,
});

const ScheduleRef = builder.objectRef<Schedule>('Schedule').implement({
  description: 'A recurring job.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The schedule number.' }),
    name: t.exposeString('name', { description: 'Its unique name.' }),
    cron: t.exposeString('cron', { description: 'Cron expression: 5 fields, or 6 with seconds first.' }),
    timezone: t.exposeString('timezone', { description: 'The IANA time zone the cron expression is read in.' }),
    jobType: t.field({ type: JobTypeEnum, description: 'The job each tick enqueues.', resolve: (schedule) => schedule.jobType }),
    entityId: t.exposeString('entityId', { description: 'The entity each tick syncs.' }),
    catchUp: t.field({ type: CatchUpEnum, description: 'What missed ticks do.', resolve: (schedule) => schedule.catchUp as 'SKIP' }),
    payload: t.field({
      type: 'JSON',
      nullable: true,
      description: "Each tick's job payload (null: none); secret-looking fields redacted.",
      resolve: (schedule, _args, context) => (schedule.payload === null ? null : (JSON.parse(context.redactor.body(schedule.payload)) as unknown)),
    }),
    payloadVersion: t.exposeInt('payloadVersion', { description: "The payload's version." }),
    paused: t.exposeBoolean('paused', { description: 'Paused schedules do not tick; resuming starts from the next tick after now.' }),
    nextRunAt: t.expose('nextRunAt', { type: 'DateTime', description: 'The next tick.' }),
    lastTickAt: t.expose('lastTickAt', { type: 'DateTime', nullable: true, description: 'The last tick that enqueued (or found its pair still active).' }),
  }),
});

const CreateScheduleInput = builder.inputType('CreateScheduleInput', {
  description: 'A new recurring job.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'A unique name (1-64 letters, digits or . _ : -).' }),
    cron: t.string({ required: true, description: 'Cron expression, e.g. "0 9 * * 1-5" (09:00 on weekdays) or "*/30 * * * * *" (every 30 s).' }),
    jobType: t.field({ type: JobTypeEnum, required: true, description: 'The job each tick enqueues.' }),
    entityId: t.string({ required: true, description: 'The entity each tick syncs (the same rules as enqueueJob).' }),
    timezone: t.string({ required: false, description: 'IANA time zone (default UTC).' }),
    catchUp: t.field({ type: CatchUpEnum, required: false, description: 'What missed ticks do (default SKIP).' }),
    payload: t.field({ type: 'JSON', required: false, description: "Each tick's job payload, checked by the type's payload schema now (as enqueueJob's)." }),
    payloadVersion: t.int({ required: false, description: 'The payload version (default: the newest).' }),
  }),
});

const DeleteScheduleSuccess = builder.objectRef<{ name: string }>('DeleteScheduleSuccess').implement({
  description: 'The schedule is gone; jobs it enqueued stay.',
  fields: (t) => ({ name: t.exposeString('name', { description: 'The deleted schedule.' }) }),
});

builder.queryField('schedules', (t) => t.field({ type: [ScheduleRef], description: 'Every schedule, by name.', resolve: (_root, _args, context) => schedulesRead(context.queue) }));

const RunScheduleNowSuccess = builder.objectRef<{ job: Job; coalesced: boolean }>('RunScheduleNowSuccess').implement({
  description: "The schedule's job, enqueued now.",
  fields: (t) => ({
    job: t.field({ type: JobRef, description: 'The job (the new one, or the waiting one a coalescing type folded it into).', resolve: (result) => result.job }),
    coalesced: t.exposeBoolean('coalesced', { description: 'True when a waiting job of the pair took it (a coalescing type).' }),
  }),
});

builder.mutationFields((t) => ({
  createSchedule: t.field({
    type: ScheduleRef,
    description: 'Create a recurring job. Each tick enqueues exactly once across all processes; a tick whose pair still has an active job is skipped.',
    errors: { types: [InputError], directResult: true, union: { name: 'CreateScheduleResult', description: 'The outcome of createSchedule.' } },
    args: { input: t.arg({ type: CreateScheduleInput, required: true, description: 'The schedule.' }) },
    resolve: (_root, { input }, context) => asCaller(context, 'SCHEDULE_CREATE', `schedule ${input.name}`.slice(0, 200), (actor) => scheduleCreate(context.queue, input, actor)),
  }),
  pauseSchedule: t.field({
    type: ScheduleRef,
    description: 'Pause (or, with paused: false, resume) a schedule.',
    errors: { types: [NotFoundError], directResult: true, union: { name: 'PauseScheduleResult', description: 'The outcome of pauseSchedule.' } },
    args: {
      name: t.arg.string({ required: true, description: 'The schedule.' }),
      paused: t.arg.boolean({ required: false, description: 'false resumes (default true).' }),
    },
    resolve: (_root, args, context) =>
      asCaller(context, (args.paused ?? true) ? 'SCHEDULE_PAUSE' : 'SCHEDULE_RESUME', `schedule ${args.name}`.slice(0, 200), (actor) =>
        scheduleSetPaused(context.queue, args.name, args.paused ?? true, actor),
      ),
  }),
  runScheduleNow: t.field({
    type: RunScheduleNowSuccess,
    description: "Enqueue the schedule's job now, outside its cron (its own ticks go on as before): an enqueue by the caller, refused like one while the pair has an active job.",
    errors: {
      types: [NotFoundError, DuplicateActiveJobError, InputError],
      directResult: true,
      union: { name: 'RunScheduleNowResult', description: 'The outcome of runScheduleNow.' },
    },
    args: { name: t.arg.string({ required: true, description: 'The schedule.' }) },
    resolve: (_root, args, context) => asCaller(context, 'ENQUEUE', `run schedule ${args.name} now`.slice(0, 200), (actor) => scheduleRunNow(context.queue, args.name, actor)),
  }),
  deleteSchedule: t.field({
    type: DeleteScheduleSuccess,
    description: 'Delete a schedule (the jobs it enqueued stay).',
    errors: { types: [NotFoundError], directResult: true, union: { name: 'DeleteScheduleResult', description: 'The outcome of deleteSchedule.' } },
    args: { name: t.arg.string({ required: true, description: 'The schedule.' }) },
    resolve: (_root, args, context) =>
      asCaller(context, 'SCHEDULE_DELETE', `schedule ${args.name}`.slice(0, 200), async (actor) => {
        await scheduleDelete(context.queue, args.name, actor);
        return { name: args.name };
      }),
  }),
}));
