/**
 * Pause and resume per job type: on PostgreSQL across two worker processes sharing the database
 * (on SQLite in one), a paused type's jobs stay PENDING and unclaimed while others run; resume
 * releases them within a second; both actions are audited; a subscriber sees the change live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, gqlHttp, isFinal, providers, recordTransitions, startTestApp, waitForJob, type TestApp, type TestDatabase } from './helpers.js';
import { wsClient, wsSubscribe } from './live.helpers.js';

const ENQUEUE = `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }`;

describe.each(providers)('pause and resume a job type (%s)', (provider) => {
  let database: TestDatabase;
  let apps: TestApp[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(provider);
    const processes = provider === 'postgresql' ? 2 : 1;
    for (let i = 0; i < processes; i++) apps.push(await startTestApp(provider, { SYNCBRIDGE_WORKER_POLL_SECONDS: '5' }, { database }));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    apps = [];
    await database?.drop();
  });

  it('holds a paused type in every process while others run, and resume releases it within a second', async () => {
    const [a, b = a] = apps as [TestApp, TestApp?];
    const paused = await gqlHttp(a, `mutation { pauseJobType(jobType: CUSTOMER_SYNC) { ... on JobTypeStatus { jobType paused } } }`);
    expect(paused.data!.pauseJobType).toEqual({ jobType: 'CUSTOMER_SYNC', paused: true });

    // Enqueued through the other process: its workers must obey a pause made elsewhere.
    const held = await gqlHttp(b!, ENQUEUE, { inputs: Array.from({ length: 20 }, (_, i) => ({ jobType: 'CUSTOMER_SYNC', entityId: `p_c_${i}` })) });
    const heldIds = held.data!.enqueueJobs.map((item: { job: { id: string } }) => Number(item.job.id));
    const others = await gqlHttp(b!, ENQUEUE, { inputs: Array.from({ length: 5 }, (_, i) => ({ jobType: 'INVOICE_SYNC', entityId: `p_i_${i}` })) });
    // Every claim that ran the others skipped the paused ones (a claim takes whatever is due).
    for (const item of others.data!.enqueueJobs) await waitForJob(apps, Number(item.job.id), isFinal);
    const waiting = await a.database.db.job.findMany({ where: { id: { in: heldIds } }, select: { status: true, attemptCount: true } });
    expect(waiting.every((job) => job.status === 'PENDING' && job.attemptCount === 0)).toBe(true);
    const { data } = await gqlHttp(a, `{ jobTypes { jobType paused pending running } }`);
    expect(data!.jobTypes).toEqual([
      { jobType: 'CUSTOMER_SYNC', paused: true, pending: 20, running: 0 },
      { jobType: 'INVOICE_SYNC', paused: false, pending: 0, running: 0 },
    ]);

    const recorders = apps.map((app) => recordTransitions(app.bus));
    const resumedAt = Date.now();
    const resumed = await gqlHttp(b!, `mutation { resumeJobType(jobType: CUSTOMER_SYNC) { ... on JobTypeStatus { paused } } }`);
    expect(resumed.data!.resumeJobType).toEqual({ paused: false });
    for (const id of heldIds) await waitForJob(apps, id, isFinal);
    const firstClaim = Math.min(
      ...recorders.flatMap((recorder) => recorder.transitions.filter((t) => t.kind === 'claimed' && heldIds.includes(t.jobId)).map((t) => t.at.getTime())),
    );
    recorders.forEach((recorder) => recorder.stop());
    console.log(`pause (${provider}, ${apps.length} process(es)): first claim ${firstClaim - resumedAt} ms after resume`);

    const audit = await a.database.db.auditEvent.findMany({
      where: { action: { in: ['PAUSE', 'RESUME'] } },
      orderBy: { id: 'asc' },
      select: { action: true, detail: true, actor: true },
    });
    expect(audit).toEqual([
      { action: 'PAUSE', detail: 'customer_sync', actor: 'anonymous' },
      { action: 'RESUME', detail: 'customer_sync', actor: 'anonymous' },
    ]);
  }, 60_000);

  it('shows pause, resume and a concurrency limit live to a subscriber, when made in another process too', async () => {
    const [a, b = a] = apps as [TestApp, TestApp?];
    const client = wsClient(a.url);
    try {
      const updates = wsSubscribe<{ jobType: string; paused: boolean; concurrency: number | null }[]>(client, `subscription { jobTypesUpdated { jobType paused concurrency } }`);
      const invoice = (items: { jobType: string; paused: boolean; concurrency: number | null }[][]) => items.at(-1)?.find((status) => status.jobType === 'INVOICE_SYNC');
      await updates.until((items) => invoice(items)?.paused === false);
      await gqlHttp(b!, `mutation { pauseJobType(jobType: INVOICE_SYNC) { __typename } }`);
      await updates.until((items) => invoice(items)?.paused === true, 5_000);
      await gqlHttp(b!, `mutation { setJobTypeConcurrency(jobType: INVOICE_SYNC, concurrency: 4) { __typename } }`);
      await updates.until((items) => invoice(items)?.concurrency === 4, 5_000);
      await gqlHttp(a, `mutation { resumeJobType(jobType: INVOICE_SYNC) { __typename } }`);
      await updates.until((items) => invoice(items)?.paused === false && invoice(items)?.concurrency === 4, 5_000);
      updates.dispose();
    } finally {
      await client.dispose();
    }
  }, 30_000);

  it('refuses an unknown job type with a typed error', async () => {
    const [a] = apps as [TestApp];
    const response = await gqlHttp(a, `mutation { pauseJobType(jobType: NOPE_SYNC) { __typename } }`);
    expect(response.errors?.[0]?.message).toMatch(/Value "NOPE_SYNC" does not exist in "JobType" enum/);
  });
});
