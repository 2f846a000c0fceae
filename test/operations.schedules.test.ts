/**
 * Recurring schedules: a schedule ticking every second, run by three processes on PostgreSQL (one
 * on SQLite), enqueues each tick exactly once; bad input is a typed error; pause stops the ticks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, gqlHttp, providers, startTestApp, type TestApp, type TestDatabase } from './helpers.js';

const CREATE = `mutation ($input: CreateScheduleInput!) { createSchedule(input: $input) { __typename ... on Error { message } ... on InputError { field } ... on Schedule { name nextRunAt paused } } }`;

describe.each(providers)('recurring schedules (%s)', (provider) => {
  let database: TestDatabase;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(provider);
    for (let i = 0; i < (provider === 'postgresql' ? 3 : 1); i++) apps.push(await startTestApp(provider, {}, { database }));
  });
  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    await database?.drop();
  });

  it('enqueues each tick exactly once across every process', async () => {
    const [app] = apps as [TestApp];
    const created = await gqlHttp(app, CREATE, { input: { name: 'every-second', cron: '* * * * * *', jobType: 'CUSTOMER_SYNC', entityId: 'c_1001' } });
    expect(created.data!.createSchedule).toMatchObject({ __typename: 'Schedule', name: 'every-second', paused: false });
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await gqlHttp(app, `mutation { pauseSchedule(name: "every-second") { ... on Schedule { paused } } }`);
    const schedule = (await app.database.db.schedule.findUnique({ where: { name: 'every-second' } }))!;
    const ticks = await app.database.db.scheduleTick.findMany({ where: { scheduleId: schedule.id }, orderBy: { tickAt: 'asc' } });
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    // One row per second, none missing, none twice (the key forbids twice; the gaps would show here).
    const gaps = ticks.slice(1).map((tick, i) => tick.tickAt.getTime() - ticks[i]!.tickAt.getTime());
    expect(new Set(gaps)).toEqual(new Set([1_000]));
    const enqueued = ticks.filter((tick) => tick.outcome === 'ENQUEUED');
    const jobs = await app.database.db.job.findMany({ where: { entityId: 'c_1001' }, select: { id: true } });
    expect(jobs.map((job) => job.id).sort()).toEqual(enqueued.map((tick) => tick.jobId).sort());
    expect(ticks.every((tick) => tick.outcome === 'ENQUEUED' || tick.outcome === 'SKIPPED_ACTIVE')).toBe(true);
    console.log(
      `schedules (${provider}, ${apps.length} process(es)): ${ticks.length} ticks in 6 s, ${enqueued.length} enqueued, ${ticks.length - enqueued.length} skipped (pair active)`,
    );

    // Paused: no more ticks.
    const count = ticks.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await app.database.db.scheduleTick.count({ where: { scheduleId: schedule.id } })).toBe(count);
  }, 30_000);

  it('after a stop, SKIP drops the missed ticks and ONCE makes up for them with one job', async () => {
    const [app] = apps as [TestApp];
    // An every-minute schedule's latest tick is on time (not missed, so not skipped) for 5 s after
    // each minute boundary, and the next boundary brings a real one: the test runs between 10 s
    // and 40 s past the minute (it takes a few seconds).
    const second = new Date().getUTCSeconds() + new Date().getUTCMilliseconds() / 1000;
    if (second < 10 || second > 40) await new Promise((resolve) => setTimeout(resolve, (((70 - second) % 60) + 0.25) * 1000));
    for (const [name, entityId, catchUp] of [
      ['late-skip', 'i_skip', 'SKIP'],
      ['late-once', 'i_once', 'ONCE'],
    ] as const) {
      const created = await gqlHttp(app, CREATE, { input: { name, cron: '* * * * *', jobType: 'INVOICE_SYNC', entityId, catchUp } });
      expect(created.data!.createSchedule.__typename).toBe('Schedule');
    }
    // As if no worker ran for ten minutes: ten ticks missed.
    const tenMinutesAgo = new Date(Date.now() - 600_000);
    await app.database.db.schedule.updateMany({ where: { name: { in: ['late-skip', 'late-once'] } }, data: { nextRunAt: tenMinutesAgo } });
    await expect
      .poll(async () => await app.database.db.schedule.count({ where: { name: { in: ['late-skip', 'late-once'] }, nextRunAt: { gt: new Date() } } }), { timeout: 5_000 })
      .toBe(2);
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
  }, 60_000);

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
