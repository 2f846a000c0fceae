/**
 * Job groups on both databases: a job belongs to the group its enqueue names, or to the one its
 * job type derives from the validated payload; the group is exposed, filterable and counted by
 * the groups query and Prometheus (the largest backlogs only); a bad group (named or derived) is a
 * typed InputError that writes nothing; and replays, retries and coalescing carry the group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJobType, NonRetryableError } from '../src/index.js';
import { jobsEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { gqlHttp, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';

/** Handlers of `account_sync` wait here until the test lets their entity through. */
const released = new Set<string>();
const waiting = new Set<string>();

const accountSync = defineJobType({
  name: 'account_sync',
  payload: z.object({ account: z.string(), fail: z.boolean().optional() }).optional(),
  ifActive: 'coalesce',
  retry: { maxRetries: 0 },
  group: (payload) =>
    payload?.account === 'explode'
      ? (() => {
          throw new Error('no such account');
        })()
      : payload?.account,
  handler: async ({ entityId, payload }) => {
    waiting.add(entityId);
    while (!released.has(entityId)) await new Promise((resolve) => setTimeout(resolve, 10));
    waiting.delete(entityId);
    released.delete(entityId);
    if (payload?.fail) throw new NonRetryableError('the account is closed');
  },
});

const enqueueMutation = `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) {
  __typename ... on EnqueueJobSuccess { coalesced job { id groupKey status } } ... on InputError { field message } } }`;

describe.each(providers)('job groups (%s)', (provider) => {
  let app: TestApp;
  const later = new Date(Date.now() + 3_600_000).toISOString();

  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER_POLL_SECONDS: '0.05', SYNCBRIDGE_METRICS_TOP_GROUPS: '2' }, { jobTypes: [accountSync], upstreams: {} });
  }, 60_000);
  afterAll(async () => {
    for (const entityId of waiting) released.add(entityId);
    await app?.close();
  });

  const enqueue = async (inputs: Record<string, unknown>[]) => {
    const { data, errors } = await gqlHttp(app, enqueueMutation, { inputs });
    if (!data) throw new Error(JSON.stringify(errors));
    return data.enqueueJobs as any[];
  };

  it('a job belongs to the group it names, else the one its type derives; shown, filtered and counted', async () => {
    const answers = await enqueue([
      { jobType: 'ACCOUNT_SYNC', entityId: 'g_1', scheduledAt: later, payload: { account: 'acme' } },
      { jobType: 'ACCOUNT_SYNC', entityId: 'g_2', scheduledAt: later, payload: { account: 'acme' } },
      { jobType: 'ACCOUNT_SYNC', entityId: 'g_3', scheduledAt: later, payload: { account: 'globex' } },
      { jobType: 'ACCOUNT_SYNC', entityId: 'g_4', scheduledAt: later, payload: { account: 'acme' }, groupKey: 'initech' },
      { jobType: 'ACCOUNT_SYNC', entityId: 'g_5', scheduledAt: later },
    ]);
    expect(answers.map((answer) => answer.job.groupKey)).toEqual(['acme', 'acme', 'globex', 'initech', null]);
    const stored = await app.database.db.job.findMany({ where: { entityId: { in: ['g_1', 'g_4', 'g_5'] } }, orderBy: { id: 'asc' }, select: { groupKey: true } });
    expect(stored.map((row) => row.groupKey)).toEqual(['acme', 'initech', null]);

    const filtered = await gqlHttp(app, `{ jobs(filter: { groupKey: "acme" }) { edges { node { entityId groupKey } } } }`);
    expect(filtered.data!.jobs.edges.map((edge: any) => edge.node.entityId).sort()).toEqual(['g_1', 'g_2']);

    const { data } = await gqlHttp(app, `{ groups(jobType: ACCOUNT_SYNC) { jobType groupKey pending running oldestPendingAt } }`);
    expect(data!.groups.map((group: any) => [group.groupKey, group.pending, group.running])).toEqual([
      ['acme', 2, 0],
      ['globex', 1, 0],
      ['initech', 1, 0],
    ]);
    expect(data!.groups[0].jobType).toBe('ACCOUNT_SYNC');
    expect(Date.parse(data!.groups[0].oldestPendingAt)).toBeLessThanOrEqual(Date.now());
    const one = await gqlHttp(app, `{ groups(jobType: ACCOUNT_SYNC, first: 1) { groupKey } }`);
    expect(one.data!.groups).toEqual([{ groupKey: 'acme' }]);
    const tooMany = await gqlHttp(app, `{ groups(jobType: ACCOUNT_SYNC, first: 0) { groupKey } }`);
    expect(tooMany.errors?.[0]?.message).toMatch(/first must be an integer from 1/);

    // Prometheus: one series per group for the 2 largest backlogs only, the rest summed per type.
    const exposition = await (await fetch(`${app.url}/metrics`)).text();
    const series = (name: string) => exposition.split('\n').filter((line) => line.startsWith(`${name}{`));
    expect(series('syncbridge_group_pending_jobs')).toEqual([
      'syncbridge_group_pending_jobs{job_type="account_sync",group="acme"} 2',
      'syncbridge_group_pending_jobs{job_type="account_sync",group="globex"} 1',
    ]);
    expect(series('syncbridge_groups_active')).toEqual(['syncbridge_groups_active{job_type="account_sync"} 3']);
    expect(series('syncbridge_groups_other_pending_jobs')).toEqual(['syncbridge_groups_other_pending_jobs{job_type="account_sync"} 1']);

    await gqlHttp(app, `mutation { cancelJobs(filter: { entityIdPrefix: "g_" }) { __typename } }`);
    const after = await (await fetch(`${app.url}/metrics`)).text();
    expect(after).not.toContain('syncbridge_group_pending_jobs{');
    expect((await gqlHttp(app, `{ groups(jobType: ACCOUNT_SYNC) { groupKey } }`)).data!.groups).toEqual([]);
  });

  it('a bad group, named or derived, is a typed InputError on groupKey and writes nothing', async () => {
    const before = await app.database.db.job.count();
    const answers = await enqueue([
      { jobType: 'ACCOUNT_SYNC', entityId: 'bad_1', groupKey: '../etc/passwd' },
      { jobType: 'ACCOUNT_SYNC', entityId: 'bad_2', payload: { account: 'has spaces' } },
      { jobType: 'ACCOUNT_SYNC', entityId: 'bad_3', payload: { account: 'explode' } },
      { jobType: 'ACCOUNT_SYNC', entityId: 'bad_4', groupKey: 'x'.repeat(129) },
    ]);
    expect(answers.map((answer) => [answer.__typename, answer.field])).toEqual([
      ['InputError', 'groupKey'],
      ['InputError', 'groupKey'],
      ['InputError', 'groupKey'],
      ['InputError', 'groupKey'],
    ]);
    expect(answers[1].message).toContain("from account_sync's group function");
    expect(answers[2].message).toContain("account_sync's group function failed: no such account");
    expect(answers[3].message).toContain('at most 128 characters');
    expect(await app.database.db.job.count()).toBe(before);
  });

  it('retries, replays and coalescing keep the group; a follow-up takes the group of its change', async () => {
    const [first] = await enqueue([{ jobType: 'ACCOUNT_SYNC', entityId: 'r_1', payload: { account: 'acme', fail: true } }]);
    await expect.poll(() => waiting.has('r_1'), { timeout: 10_000 }).toBe(true);
    // A change while it runs: the follow-up, in the group its own payload derives.
    const [followUp] = await enqueue([{ jobType: 'ACCOUNT_SYNC', entityId: 'r_1', payload: { account: 'umbrella' } }]);
    expect(followUp).toMatchObject({ coalesced: false, job: { groupKey: 'umbrella' } });
    // Folded into that follow-up, a change of another group leaves it in its own.
    const [folded] = await enqueue([{ jobType: 'ACCOUNT_SYNC', entityId: 'r_1', payload: { account: 'globex' } }]);
    expect(folded).toMatchObject({ coalesced: true, job: { id: followUp.job.id, groupKey: 'umbrella' } });

    released.add('r_1');
    await waitForJob(app, Number(first.job.id), (job) => job.status === 'FAILED');
    await expect.poll(() => waiting.has('r_1'), { timeout: 10_000 }).toBe(true);
    released.add('r_1');
    await waitForJob(app, Number(followUp.job.id), (job) => job.status === 'SUCCEEDED');

    // The failed one retried (the same row) and then replayed: both in its group.
    const retried = await gqlHttp(app, `mutation { retryJob(id: "${first.job.id}") { __typename ... on RetryJobSuccess { job { groupKey } } } }`);
    expect(retried.data!.retryJob).toEqual({ __typename: 'RetryJobSuccess', job: { groupKey: 'acme' } });
    await expect.poll(() => waiting.has('r_1'), { timeout: 10_000 }).toBe(true);
    released.add('r_1');
    await waitForJob(app, Number(first.job.id), (job) => job.status === 'FAILED' && job.attemptCount === 2);
    const replayed = await gqlHttp(app, `mutation { replayJob(id: "${first.job.id}") { __typename ... on ReplayJobSuccess { job { id groupKey isReplay } } } }`);
    expect(replayed.data!.replayJob).toMatchObject({ __typename: 'ReplayJobSuccess', job: { groupKey: 'acme', isReplay: true } });
    await expect.poll(() => waiting.has('r_1'), { timeout: 10_000 }).toBe(true);
    released.add('r_1');
    await waitForJob(app, Number(replayed.data!.replayJob.job.id), (job) => job.status === 'FAILED');
  });
});

describe.each(providers)('a paused group (%s)', (provider) => {
  let app: TestApp;
  const starts: string[] = [];
  const gate = { open: false };
  const pausable = defineJobType({
    name: 'pausable_sync',
    group: (_payload, entityId) => entityId.split('_')[0],
    handler: async ({ entityId }) => {
      starts.push(entityId);
      while (!gate.open) await new Promise((resolve) => setTimeout(resolve, 10));
    },
  });

  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER_POLL_SECONDS: '0.05', SYNCBRIDGE_WORKER_CONCURRENCY: '2' }, { jobTypes: [pausable], upstreams: {} });
  }, 60_000);
  afterAll(async () => {
    gate.open = true;
    await app?.close();
  });

  it('starts none of its jobs, not even those a worker claimed ahead, until resumed', async () => {
    const inputs = Array.from({ length: 10 }, (_, n) => ({ jobType: 'pausable_sync', entityId: `pz_${n}` }));
    await jobsEnqueue(app.context, inputs);
    // Two run (the worker's slots) and more wait claimed ahead in the worker.
    await expect.poll(() => starts.length, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => app.database.db.job.count({ where: { groupKey: 'pz', status: 'RUNNING' } }), { timeout: 10_000 }).toBeGreaterThan(2);
    const paused = await gqlHttp(app, `mutation { pauseGroup(jobType: PAUSABLE_SYNC, groupKey: "pz") { ... on JobGroup { paused } } }`);
    expect(paused.data!.pauseGroup).toEqual({ paused: true });
    // The ones claimed ahead go back, unstarted and uncharged.
    await expect.poll(() => app.database.db.job.count({ where: { groupKey: 'pz', status: 'RUNNING' } }), { timeout: 10_000 }).toBe(2);
    gate.open = true;
    await expect.poll(() => app.database.db.job.count({ where: { groupKey: 'pz', status: 'SUCCEEDED' } }), { timeout: 10_000 }).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(starts).toHaveLength(2);
    const waiting = await app.database.db.job.findMany({ where: { groupKey: 'pz', status: 'PENDING' }, select: { attemptCount: true, unchargedAttempts: true } });
    expect(waiting).toHaveLength(8);
    expect(waiting.every((job) => job.attemptCount === job.unchargedAttempts)).toBe(true);
    await gqlHttp(app, `mutation { resumeGroup(jobType: PAUSABLE_SYNC, groupKey: "pz") { __typename } }`);
    await expect.poll(() => app.database.db.job.count({ where: { groupKey: 'pz', status: 'SUCCEEDED' } }), { timeout: 15_000 }).toBe(10);
    expect(starts).toHaveLength(10);
  }, 60_000);
});
