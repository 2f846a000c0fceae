/**
 * Fault suite, upstream side: an upstream that drips its answer a byte a second cannot hold a
 * handler slot past the request deadline, and a handler that ignores its abort signal cannot hold
 * one past its time limit. Worker-side only, so on the embedded database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTypesWith, gqlHttp, isFinal, startTestApp, waitForJob, type TestApp } from './helpers.js';
import { StubUpstream } from './faults.helpers.js';

const enqueue = async (app: TestApp, entityIds: string[], jobType = 'CUSTOMER_SYNC', maxRetries = 0) => {
  const { data } = await gqlHttp(app, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }`, {
    inputs: entityIds.map((entityId) => ({ jobType, entityId, maxRetries })),
  });
  return data!.enqueueJobs.map((item: { job: { id: string } }) => Number(item.job.id)) as number[];
};

describe('faults: upstreams and handlers that never finish', () => {
  let stub: StubUpstream;
  let app: TestApp;
  beforeAll(async () => {
    stub = await new StubUpstream().start();
    // invoice_sync stands in for a handler that ignores its abort signal entirely.
    const handlers = demoTypesWith({ invoice_sync: () => new Promise(() => {}) });
    app = await startTestApp(
      'sqlite',
      {
        SYNCBRIDGE_CRM_BASE_URL: stub.crmUrl,
        SYNCBRIDGE_BILLING_BASE_URL: stub.billingUrl,
        SYNCBRIDGE_UPSTREAM_TIMEOUT_SECONDS: '0.3',
        SYNCBRIDGE_HANDLER_TIMEOUT_SECONDS: '1',
        SYNCBRIDGE_WORKER_CONCURRENCY: '10',
        // Ten timeouts in a row would open the CRM's circuit and hold the healthy jobs: this suite is about each request's deadline.
        SYNCBRIDGE_CIRCUIT_BREAKERS: 'off',
      },
      handlers,
    );
  });
  afterAll(async () => {
    await app?.close();
    await stub?.stop();
  });

  it('a dripping upstream times out at the request deadline; the jobs behind it run', async () => {
    // Ten drips take every slot at once; the healthy jobs queue behind them.
    const drips = await enqueue(
      app,
      Array.from({ length: 10 }, (_, i) => `drip_${i}`),
    );
    // Retries for the healthy ones: on a loaded machine one of their answers may itself miss the 300 ms deadline.
    const healthy = await enqueue(
      app,
      Array.from({ length: 20 }, (_, i) => `healthy_${i}`),
      'CUSTOMER_SYNC',
      3,
    );
    const started = Date.now();
    const finals = await Promise.all([...drips, ...healthy].map((id) => waitForJob(app, id, isFinal, 15_000)));
    // Not the 60-odd seconds the drip would take: the deadline plus a little.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(finals.slice(0, 10).map((job) => `${job.status}/${job.lastErrorType}/${job.lastError}`)).toEqual(Array(10).fill(expect.stringMatching(/^DEAD\/UpstreamTimeout\//)));
    expect(finals.slice(10).every((job) => job.status === 'SUCCEEDED')).toBe(true);
    const attempts = await app.database.db.attempt.findMany({ where: { jobId: { in: drips } } });
    for (const attempt of attempts) {
      expect(attempt.durationMs).toBeGreaterThanOrEqual(250);
      expect(attempt.durationMs).toBeLessThan(1_000);
      expect(attempt.errorSummary).toMatch(/no complete response within 300 ms/);
    }
  });

  it('a handler that ignores its abort is abandoned after its time limit and a grace period; its slot is freed', async () => {
    const stuck = await enqueue(
      app,
      Array.from({ length: 10 }, (_, i) => `i_stuck_${i}`),
      'INVOICE_SYNC',
    );
    const started = Date.now();
    const finals = await Promise.all(stuck.map((id) => waitForJob(app, id, isFinal, 15_000)));
    expect(finals.every((job) => job.status === 'DEAD' && job.lastErrorType === 'HandlerTimeout')).toBe(true);
    // Limit (1 s) + abort grace (2 s) + a sweep interval.
    expect(Date.now() - started).toBeLessThan(6_000);
    // Every slot is free again: a healthy job runs at once.
    const [after] = await enqueue(app, ['after_stuck']);
    expect((await waitForJob(app, after!, isFinal, 5_000)).status).toBe('SUCCEEDED');
    expect(app.logs.lines.some((line) => line.msg === 'the handler ignored its abort; attempt recorded and slot freed without it')).toBe(true);
  });
});
