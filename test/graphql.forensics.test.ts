/**
 * What an operator needs in an incident, over GraphQL: each attempt's upstream calls with what
 * came back (redacted, bounded), the stack of an unexpected error, and the attempt history by
 * minute, which survives a restart (it is in the database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactedExcerpt, redactedUrl } from '../src/integrations/exchanges.js';
import { createTestDatabase, demoTypesWith, gqlHttp, isFinal, providers, startTestApp, waitForJob, type TestApp, type TestDatabase } from './helpers.js';

const ENQUEUE = `mutation ($jobType: JobType!, $entityId: String!) { enqueueJob(input: { jobType: $jobType, entityId: $entityId, maxRetries: 1 }) { ... on EnqueueJobSuccess { job { id } } } }`;
const ATTEMPTS = `query ($id: ID!) { job(id: $id) { status attempts { attemptNumber errorType errorStack upstreamCalls { method url status durationMs requestBody responseBody error } } } }`;
const HISTORY = `query ($range: String, $bucket: String) { metricsHistory(range: $range, bucket: $bucket) {
  __typename ... on MetricsHistory { bucketSeconds buckets { start all { succeeded retried failed dead canceled meanDurationMs } byJobType { jobType succeeded dead retried failed } } }
  ... on InputError { field message } } }`;

describe('forensics redaction', () => {
  it('hides the values of secret-looking fields and cuts long bodies', () => {
    expect(redactedExcerpt('{"email":"a@b.c","api_key":"k1","nested":{"password":"p"}}')).toBe('{"email":"a@b.c","api_key":"[redacted]","nested":{"password":"[redacted]"}}');
    expect(redactedExcerpt('x'.repeat(5_000))).toHaveLength(1_001);
    expect(redactedExcerpt('')).toBeNull();
    expect(redactedUrl('https://user:pw@billing.example/c?id=1&token=abc')).toBe('https://billing.example/c?id=1&token=[redacted]');
  });
});

describe.each(providers)('attempt forensics and history (%s)', (provider) => {
  let database: TestDatabase;
  let app: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase(provider);
    const handlers = demoTypesWith({
      invoice_sync: async ({ job }) => {
        if (job.entityId === 'bug') throw new TypeError('Cannot read properties of undefined (reading "amount")');
        return { ok: true };
      },
    });
    app = await startTestApp(provider, {}, { database, ...handlers });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const run = async (jobType: string, entityId: string) => {
    const { data } = await gqlHttp(app, ENQUEUE, { jobType, entityId });
    const id = Number(data!.enqueueJob.job.id);
    await waitForJob(app, id, isFinal);
    return (await gqlHttp(app, ATTEMPTS, { id })).data!.job;
  };

  it("shows each attempt's calls: c_1002's 429 from Billing with its body, and the CRM read before it", async () => {
    const job = await run('CUSTOMER_SYNC', 'c_1002');
    expect(job.status).toBe('DEAD');
    expect(job.attempts).toHaveLength(2);
    for (const attempt of job.attempts) {
      expect(attempt.errorType).toBe('UpstreamRateLimited');
      expect(attempt.errorStack).toBeNull(); // an upstream's answer, not a bug
      const [read, write] = attempt.upstreamCalls;
      expect(read).toMatchObject({ method: 'GET', status: 200, error: null });
      expect(read.url).toMatch(/\/mock\/crm\/customers\/c_1002$/);
      expect(JSON.parse(read.responseBody)).toMatchObject({ id: 'c_1002', email: 'sam@example.com' });
      expect(write).toMatchObject({ method: 'POST', status: 429 });
      expect(JSON.parse(write.requestBody)).toMatchObject({ external_id: 'c_1002' });
      expect(JSON.parse(write.responseBody)).toEqual({ error: 'rate_limited', external_id: 'c_1002' });
      expect(write.error).toContain('answered 429');
      expect(write.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('keeps the stack of an unexpected error, and nothing for an attempt that made no calls', async () => {
    const job = await run('INVOICE_SYNC', 'bug');
    expect(job.status).toBe('FAILED');
    expect(job.attempts[0].upstreamCalls).toEqual([]);
    expect(job.attempts[0].errorStack).toMatch(/^TypeError: Cannot read properties of undefined[\s\S]*\n\s+at /);
    const quiet = await run('INVOICE_SYNC', 'fine');
    expect(quiet.attempts[0]).toMatchObject({ upstreamCalls: [], errorStack: null });
    expect((await app.database.db.attempt.findFirstOrThrow({ where: { job: { entityId: 'fine' } } })).details).toBeNull();
  });

  it('counts attempts per minute by outcome, written to the database and read back', async () => {
    await run('CUSTOMER_SYNC', 'c_1001');
    // What the history holds now: this test's jobs and the ones above (all in this process).
    const before = await gqlHttp(app, HISTORY, { range: '10m', bucket: '1m' });
    expect(before.data!.metricsHistory.bucketSeconds).toBe(60);
    expect(before.data!.metricsHistory.buckets).toHaveLength(10);
    const total = (buckets: { all: Record<string, number> }[], key: string) => buckets.reduce((sum, bucket) => sum + bucket.all[key]!, 0);
    const buckets = before.data!.metricsHistory.buckets;
    // c_1002: one retry then dead; bug: failed; fine and c_1001: succeeded.
    expect({ succeeded: total(buckets, 'succeeded'), retried: total(buckets, 'retried'), dead: total(buckets, 'dead'), failed: total(buckets, 'failed') }).toEqual({
      succeeded: 2,
      retried: 1,
      dead: 1,
      failed: 1,
    });
    const byType = buckets.flatMap((bucket: { byJobType: { jobType: string; succeeded: number }[] }) => bucket.byJobType);
    expect(byType.filter((row: { jobType: string }) => row.jobType === 'CUSTOMER_SYNC').reduce((sum: number, row: { succeeded: number }) => sum + row.succeeded, 0)).toBe(1);

    // Written: a process that starts now reads the same from the rows.
    await app.stop();
    const reader = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' }, { database });
    try {
      const after = await gqlHttp(reader, HISTORY, { range: '10m', bucket: '5m' });
      const spans = after.data!.metricsHistory.buckets;
      expect(spans).toHaveLength(2);
      expect(total(spans, 'succeeded')).toBe(2);
      expect(total(spans, 'dead')).toBe(1);
      const refused = await gqlHttp(reader, HISTORY, { range: '1h', bucket: '90s' });
      expect(refused.data!.metricsHistory).toMatchObject({ __typename: 'InputError', field: 'bucket' });
      const tooMany = await gqlHttp(reader, HISTORY, { range: '30d', bucket: '1m' });
      expect(tooMany.data!.metricsHistory).toMatchObject({ __typename: 'InputError', field: 'bucket' });
    } finally {
      await reader.stop();
    }
  });
});
