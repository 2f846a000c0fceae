/**
 * Fair share between groups (issue 26), on both databases, with two worker processes on
 * PostgreSQL: the groups of a type take turns at the claim, so ten small groups finish while a big
 * one still has most of its backlog; a group's concurrency limit is never exceeded (the handlers
 * count themselves); pausing a group stops that group only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJobType } from '../src/index.js';
import { jobsEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { createTestDatabase, gqlHttp, providers, startTestApp, type TestApp, type TestDatabase } from './helpers.js';

/** What the handlers saw: per group, how many ran at once (now and at most), and each finish in order. */
const seen = { running: new Map<string, number>(), most: new Map<string, number>(), finished: [] as string[] };

const tenantSync = defineJobType({
  name: 'tenant_sync',
  payload: z.object({ tenant: z.string(), ms: z.number() }),
  group: (payload) => payload.tenant,
  handler: async ({ payload }) => {
    const running = (seen.running.get(payload.tenant) ?? 0) + 1;
    seen.running.set(payload.tenant, running);
    seen.most.set(payload.tenant, Math.max(seen.most.get(payload.tenant) ?? 0, running));
    await new Promise((resolve) => setTimeout(resolve, payload.ms));
    seen.running.set(payload.tenant, seen.running.get(payload.tenant)! - 1);
    seen.finished.push(payload.tenant);
  },
});

describe.each(providers)('fair share between groups (%s)', (provider) => {
  let database: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    const processes = provider === 'postgresql' ? 2 : 1;
    for (let n = 0; n < processes; n++) {
      apps.push(await startTestApp(provider, { SYNCBRIDGE_WORKER_CONCURRENCY: '10', SYNCBRIDGE_WORKER_POLL_SECONDS: '0.05' }, { database, jobTypes: [tenantSync], upstreams: {} }));
    }
  }, 60_000);
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.drop();
  });

  const gql = (query: string) => gqlHttp(apps[0]!, query);
  const enqueue = async (tenant: string, count: number, ms: number) => {
    for (let offset = 0; offset < count; offset += 1_000) {
      const inputs = Array.from({ length: Math.min(1_000, count - offset) }, (_, n) => ({ jobType: 'tenant_sync', entityId: `${tenant}_${offset + n}`, payload: { tenant, ms } }));
      const results = await jobsEnqueue(apps[0]!.context, inputs);
      if (results.some((result) => !result.ok)) throw new Error('an enqueue failed');
    }
  };
  const pendingOf = (tenant: string) => apps[0]!.database.db.job.count({ where: { jobType: 'tenant_sync', groupKey: tenant, status: 'PENDING' } });
  /** Not finished yet: PENDING, or claimed and not done (RUNNING, some waiting in a worker's prefetch). */
  const backlogOf = (tenant: string) => apps[0]!.database.db.job.count({ where: { jobType: 'tenant_sync', groupKey: tenant, status: { in: ['PENDING', 'RUNNING'] } } });
  const idle = async () => {
    await expect.poll(() => apps[0]!.database.db.job.count({ where: { status: { in: ['PENDING', 'RUNNING'] } } }), { timeout: 60_000, interval: 100 }).toBe(0);
  };

  it('lets ten small groups finish while one big group still has more than half its backlog', async () => {
    seen.finished.length = 0;
    // All enqueued before any runs: the type paused meanwhile.
    await gql(`mutation { pauseJobType(jobType: TENANT_SYNC) { __typename } }`);
    await enqueue('big', 2_000, 1);
    const small = Array.from({ length: 10 }, (_, n) => `small${n}`);
    for (const tenant of small) await enqueue(tenant, 20, 1);
    await gql(`mutation { resumeJobType(jobType: TENANT_SYNC) { __typename } }`);

    await expect.poll(() => seen.finished.filter((tenant) => tenant !== 'big').length, { timeout: 60_000, interval: 20 }).toBe(200);
    const bigLeft = await backlogOf('big');
    const bigDoneMeanwhile = seen.finished.filter((tenant) => tenant === 'big').length;
    console.log(
      `fair share (${provider}, ${apps.length} process(es)): the 200 small jobs finished while big ran ${bigDoneMeanwhile}; big still had ${bigLeft} of 2,000 unfinished (${await pendingOf('big')} PENDING)`,
    );
    expect(bigLeft).toBeGreaterThan(1_000);
    await idle();
    expect(seen.finished.length).toBe(2_200);
  }, 120_000);

  it('never runs more of a group at once than its limit, the groups side by side; a paused group waits alone', async () => {
    seen.most.clear();
    const limit = await gql(`mutation { a: setGroupConcurrency(jobType: TENANT_SYNC, groupKey: "lim_a", concurrency: 2) { ... on JobGroup { groupKey concurrency } }
                                       b: setGroupConcurrency(jobType: TENANT_SYNC, groupKey: "lim_b", concurrency: 2) { ... on JobGroup { groupKey concurrency } }
                                       p: pauseGroup(jobType: TENANT_SYNC, groupKey: "held") { ... on JobGroup { groupKey paused } } }`);
    expect(limit.data).toEqual({ a: { groupKey: 'lim_a', concurrency: 2 }, b: { groupKey: 'lim_b', concurrency: 2 }, p: { groupKey: 'held', paused: true } });
    await enqueue('held', 5, 1);
    await enqueue('lim_a', 30, 15);
    await enqueue('lim_b', 30, 15);
    await expect
      .poll(() => apps[0]!.database.db.job.count({ where: { groupKey: { in: ['lim_a', 'lim_b'] }, status: { in: ['PENDING', 'RUNNING'] } } }), { timeout: 60_000 })
      .toBe(0);
    console.log(`group limit 2 (${provider}): most at once lim_a ${seen.most.get('lim_a')}, lim_b ${seen.most.get('lim_b')}`);
    expect(seen.most.get('lim_a')).toBe(2);
    expect(seen.most.get('lim_b')).toBe(2);
    // The paused group waited through all of that; the groups query says why.
    expect(await pendingOf('held')).toBe(5);
    const { data } = await gql(`{ groups(jobType: TENANT_SYNC) { groupKey pending paused concurrency } }`);
    expect(data!.groups).toEqual([{ groupKey: 'held', pending: 5, paused: true, concurrency: null }]);
    const resumed = await gql(`mutation { resumeGroup(jobType: TENANT_SYNC, groupKey: "held") { ... on JobGroup { paused } } }`);
    expect(resumed.data!.resumeGroup).toEqual({ paused: false });
    await idle();
    const audit = await apps[0]!.database.db.auditEvent.findMany({ where: { action: { in: ['GROUP_CONCURRENCY', 'GROUP_PAUSE', 'GROUP_RESUME'] } }, orderBy: { id: 'asc' } });
    expect(audit.map((event) => `${event.action} ${event.detail}`)).toEqual([
      'GROUP_CONCURRENCY tenant_sync lim_a: 2',
      'GROUP_CONCURRENCY tenant_sync lim_b: 2',
      'GROUP_PAUSE tenant_sync held: paused',
      'GROUP_RESUME tenant_sync held: resumed',
    ]);
    const refused = await gql(`mutation { setGroupConcurrency(jobType: TENANT_SYNC, groupKey: "no spaces", concurrency: 2) { __typename ... on InputError { field } } }`);
    expect(refused.data!.setGroupConcurrency).toEqual({ __typename: 'InputError', field: 'groupKey' });
  }, 120_000);
});
