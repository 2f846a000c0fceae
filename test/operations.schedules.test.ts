/**
 * Recurring schedules: a schedule ticking every second, run by three processes on PostgreSQL (one
 * on SQLite) at once, enqueues each tick exactly once; bad input is a typed error; pause stops the
 * ticks. Off the wall clock: the processes share a pinned clock the test moves, and each tick is
 * run by every process at the same moment (their scheduler's round, called directly).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schedulesTick } from '../src/queue/maintenance/scheduler.js';
import { createTestDatabase, gqlHttp, providers, startTestApp, type TestApp, type TestDatabase } from './helpers.js';

/** The clock every process of the test reads; 20 s past a minute, so minute boundaries are far. */
const clock = { ms: Date.UTC(2026, 11, 7, 10, 0, 20) };
const now = () => new Date(clock.ms);

const CREATE = `mutation ($input: CreateScheduleInput!) { createSchedule(input: $input) { __typename ... on Error { message } ... on InputError { field } ... on Schedule { name nextRunAt paused } } }`;

describe.each(providers)('recurring schedules (%s)', (provider) => {
  let database: TestDatabase;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(provider);
    // Worker off: the scheduler's rounds are the test's to run.
    for (let i = 0; i < (provider === 'postgresql' ? 3 : 1); i++) apps.push(await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' }, { database, now }));
  });
  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    await database?.drop();
  });

  /** Moves the clock and runs the scheduler's round in every process at once. */
  const tickAll = async (byMs: number) => {
    clock.ms += byMs;
    await Promise.all(apps.map((app) => schedulesTick(app.context)));
  };

  it('enqueues each tick exactly once across every process', async () => {
    const [app] = apps as [TestApp];
    const created = await gqlHttp(app, CREATE, { input: { name: 'every-second', cron: '* * * * * *', jobType: 'CUSTOMER_SYNC', entityId: 'c_1001' } });
    expect(created.data!.createSchedule).toMatchObject({ __typename: 'Schedule', name: 'every-second', paused: false });
    for (let second = 0; second < 6; second++) {
      await tickAll(1_000);
      // Every other second the pair's job ends, so both outcomes happen (ENQUEUED, SKIPPED_ACTIVE).
      if (second % 2) await app.database.db.job.updateMany({ where: { entityId: 'c_1001', status: 'PENDING' }, data: { status: 'CANCELED', activeKey: null } });
    }
    await gqlHttp(app, `mutation { pauseSchedule(name: "every-second") { ... on Schedule { paused } } }`);
    const schedule = (await app.database.db.schedule.findUnique({ where: { name: 'every-second' } }))!;
    const ticks = await app.database.db.scheduleTick.findMany({ where: { scheduleId: schedule.id }, orderBy: { tickAt: 'asc' } });
    expect(ticks.length).toBe(6);
    // One row per second, none missing, none twice (the key forbids twice; the gaps would show here).
    const gaps = ticks.slice(1).map((tick, i) => tick.tickAt.getTime() - ticks[i]!.tickAt.getTime());
    expect(new Set(gaps)).toEqual(new Set([1_000]));
    const enqueued = ticks.filter((tick) => tick.outcome === 'ENQUEUED');
    const jobs = await app.database.db.job.findMany({ where: { entityId: 'c_1001' }, select: { id: true } });
    expect(jobs.map((job) => job.id).sort()).toEqual(enqueued.map((tick) => tick.jobId).sort());
    expect(ticks.map((tick) => tick.outcome)).toEqual(['ENQUEUED', 'SKIPPED_ACTIVE', 'ENQUEUED', 'SKIPPED_ACTIVE', 'ENQUEUED', 'SKIPPED_ACTIVE']);
    console.log(
      `schedules (${provider}, ${apps.length} process(es)): ${ticks.length} ticks in 6 s, ${enqueued.length} enqueued, ${ticks.length - enqueued.length} skipped (pair active)`,
    );

    // Paused: no more ticks.
    await tickAll(10_000);
    expect(await app.database.db.scheduleTick.count({ where: { scheduleId: schedule.id } })).toBe(ticks.length);
  });

  it('after a stop, SKIP drops the missed ticks and ONCE makes up for them with one job', async () => {
    const [app] = apps as [TestApp];
    // 20 s past a minute: an every-minute schedule's latest tick is 20 s late (missed), the next one 40 s away.
    clock.ms = Date.UTC(2026, 11, 7, 11, 0, 20);
    for (const [name, entityId, catchUp] of [
      ['late-skip', 'i_skip', 'SKIP'],
      ['late-once', 'i_once', 'ONCE'],
    ] as const) {
      const created = await gqlHttp(app, CREATE, { input: { name, cron: '* * * * *', jobType: 'INVOICE_SYNC', entityId, catchUp } });
      expect(created.data!.createSchedule.__typename).toBe('Schedule');
    }
    // As if no worker ran for ten minutes: ten ticks missed.
    const tenMinutesAgo = new Date(clock.ms - 600_000);
    await app.database.db.schedule.updateMany({ where: { name: { in: ['late-skip', 'late-once'] } }, data: { nextRunAt: tenMinutesAgo } });
    await tickAll(0);
    expect(await app.database.db.schedule.count({ where: { name: { in: ['late-skip', 'late-once'] }, nextRunAt: { gt: now() } } })).toBe(2);
    const ticksOf = async (name: string) => {
      const schedule = (await app.database.db.schedule.findUnique({ where: { name } }))!;
      return app.database.db.scheduleTick.findMany({ where: { scheduleId: schedule.id } });
    };
    expect(await ticksOf('late-skip')).toEqual([]);
    expect(await app.database.db.job.count({ where: { entityId: 'i_skip' } })).toBe(0);
    const once = await ticksOf('late-once');
    expect(once).toHaveLength(1);
    expect(once[0]!.outcome).toBe('ENQUEUED');
    expect(await app.database.db.job.count({ where: { entityId: 'i_once' } })).toBe(1);
    for (const name of ['late-skip', 'late-once']) await gqlHttp(app, `mutation ($name: String!) { deleteSchedule(name: $name) { __typename } }`, { name });
  });

  it('refuses bad input with typed errors, and lists, pauses and deletes by name', async () => {
    const [app] = apps as [TestApp];
    const badCron = await gqlHttp(app, CREATE, { input: { name: 'bad', cron: 'every day', jobType: 'CUSTOMER_SYNC', entityId: 'c_1' } });
    expect(badCron.data!.createSchedule).toMatchObject({ __typename: 'InputError', field: 'cron' });
    const badZone = await gqlHttp(app, CREATE, { input: { name: 'bad', cron: '0 9 * * *', timezone: 'Mars/Base', jobType: 'CUSTOMER_SYNC', entityId: 'c_1' } });
    expect(badZone.data!.createSchedule).toMatchObject({ __typename: 'InputError', field: 'timezone' });
    const badEntity = await gqlHttp(app, CREATE, { input: { name: 'bad', cron: '0 9 * * *', jobType: 'CUSTOMER_SYNC', entityId: 'no spaces' } });
    expect(badEntity.data!.createSchedule).toMatchObject({ __typename: 'InputError', field: 'entityId' });

    const weekly = await gqlHttp(app, CREATE, {
      input: { name: 'weekly', cron: '0 9 * * 1', timezone: 'Europe/Paris', jobType: 'INVOICE_SYNC', entityId: 'i_2001', catchUp: 'ONCE' },
    });
    // Mondays 09:00 in Paris is 08:00 or 07:00 UTC, depending on the season.
    const next = new Date(weekly.data!.createSchedule.nextRunAt);
    expect(next.getUTCDay()).toBe(1);
    expect([7, 8]).toContain(next.getUTCHours());
    const duplicate = await gqlHttp(app, CREATE, { input: { name: 'weekly', cron: '0 9 * * 1', jobType: 'INVOICE_SYNC', entityId: 'i_2001' } });
    expect(duplicate.data!.createSchedule).toMatchObject({ __typename: 'InputError', field: 'name' });

    const list = await gqlHttp(app, `{ schedules { name timezone catchUp paused jobType } }`);
    expect(list.data!.schedules).toEqual([
      { name: 'every-second', timezone: 'UTC', catchUp: 'SKIP', paused: true, jobType: 'CUSTOMER_SYNC' },
      { name: 'weekly', timezone: 'Europe/Paris', catchUp: 'ONCE', paused: false, jobType: 'INVOICE_SYNC' },
    ]);
    const deleted = await gqlHttp(app, `mutation { deleteSchedule(name: "weekly") { __typename ... on DeleteScheduleSuccess { name } } }`);
    expect(deleted.data!.deleteSchedule).toEqual({ __typename: 'DeleteScheduleSuccess', name: 'weekly' });
    const again = await gqlHttp(app, `mutation { deleteSchedule(name: "weekly") { __typename ... on NotFoundError { entity id } } }`);
    expect(again.data!.deleteSchedule).toEqual({ __typename: 'NotFoundError', entity: 'Schedule', id: 'weekly' });
  });
});
