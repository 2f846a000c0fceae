/**
 * The SPEC's fixtures end to end through the real worker and the real mock endpoints over HTTP:
 * success, flaky (fail then succeed), rate-limited (retries with growing delays, then DEAD),
 * missing (FAILED, NotFound), for customers and invoices, on each database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { isFinal, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';

describe.each(providers)('job lifecycle with the mock upstreams (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(async () => {
    await app?.close();
  });

  const run = async (jobType: string, entityId: string, maxRetries?: number) => {
    const job = await jobEnqueue(app.context, { jobType, entityId, maxRetries });
    expect(job.status).toBe('PENDING');
    const final = await waitForJob(app, job.id, isFinal);
    const attempts = await app.database.db.attempt.findMany({ where: { jobId: job.id }, orderBy: { attemptNumber: 'asc' } });
    return { job: final, attempts };
  };

  it.each([
    ['customer_sync', 'c_1001', 'b_c_1001'],
    ['invoice_sync', 'i_2001', 'bi_i_2001'],
  ])('%s %s succeeds on the first attempt and lands in Billing', async (jobType, entityId, billingId) => {
    const { job, attempts } = await run(jobType, entityId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1, lastError: null, activeKey: null, leaseOwner: null });
    expect(job.lastFinishedAt).toBeInstanceOf(Date);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attemptNumber: 1, success: true, errorType: null });
    const store = jobType === 'customer_sync' ? app.mocks!.billingCustomers : app.mocks!.billingInvoices;
    expect(store.get(entityId)).toMatchObject({ id: billingId, external_id: entityId });
    if (jobType === 'customer_sync') expect(store.get(entityId)).toMatchObject({ email: 'alex@example.com', name: 'Alex Johnson' });
    else expect(store.get(entityId)).toMatchObject({ customer_external_id: 'c_1001', amount_cents: 12500, currency: 'USD', status: 'open' });
  });

  it.each([
    ['customer_sync', 'c_flaky'],
    ['invoice_sync', 'i_flaky'],
  ])('%s %s fails retryably (503) and succeeds on the retry', async (jobType, entityId) => {
    const { job, attempts } = await run(jobType, entityId);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.attemptCount).toBe(2);
    expect(attempts.map((attempt) => [attempt.success, attempt.errorType])).toEqual([
      [false, 'UpstreamTimeout'],
      [true, null],
    ]);
    expect(attempts[0]!.errorSummary).toContain('503');
  });

  it.each([
    ['customer_sync', 'c_1002'],
    ['invoice_sync', 'i_2002'],
  ])('%s %s is rate limited (429) until DEAD after maxRetries + 1 attempts with growing delays', async (jobType, entityId) => {
    const { job, attempts } = await run(jobType, entityId, 3);
    expect(job).toMatchObject({ status: 'DEAD', attemptCount: 4, deadErrorType: 'UpstreamRateLimited', lastErrorType: 'UpstreamRateLimited', activeKey: null });
    expect(job.deadAt).toBeInstanceOf(Date);
    expect(job.deadError).toContain('429');
    expect(attempts.map((attempt) => attempt.attemptNumber)).toEqual([1, 2, 3, 4]);
    expect(attempts.every((attempt) => !attempt.success && attempt.errorType === 'UpstreamRateLimited')).toBe(true);
    // Backoff base 20 ms: the waits before attempts 2, 3, 4 are at least 20, 40, 80 ms.
    const gaps = attempts.slice(1).map((attempt, index) => attempt.startedAt.getTime() - attempts[index]!.finishedAt!.getTime());
    gaps.forEach((gap, index) => expect(gap).toBeGreaterThanOrEqual(20 * 2 ** index - 2));
  });

  it.each([
    ['customer_sync', 'c_missing'],
    ['invoice_sync', 'i_missing'],
  ])('%s %s ends FAILED with NotFound after one attempt', async (jobType, entityId) => {
    const { job, attempts } = await run(jobType, entityId);
    expect(job).toMatchObject({ status: 'FAILED', attemptCount: 1, lastErrorType: 'NotFound', activeKey: null });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ success: false, errorType: 'NotFound' });
  });

  it('sends the job correlation id on every upstream request', async () => {
    const { job } = await run('customer_sync', 'c_1001');
    const requests = app.mocks!.requests.filter((request) => request.correlationId === job.correlationId);
    expect(requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /mock/crm/customers/c_1001', 'POST /mock/billing/customers']);
  });

  it('writes every job log line with job id, type, entity, attempt and correlation id', async () => {
    const { job } = await run('customer_sync', 'c_flaky');
    const lines = app.logs.lines.filter((line) => line.jobId === job.id);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      expect(line).toMatchObject({ jobType: 'customer_sync', entityId: 'c_flaky', correlationId: job.correlationId });
      expect([1, 2]).toContain(line.attempt);
    }
  });

  it('an unknown payload version is refused at enqueue; a stored job of a version no handler has fails, non-retryable', async () => {
    await expect(jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'c_1001', payloadVersion: 9 })).rejects.toMatchObject({
      name: 'InputError',
      field: 'payloadVersion',
    });
    // As an older module's producer left it: due later, then made due with a version this module has no handler for.
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'c_1001', scheduledAt: new Date(Date.now() + 3_600_000) });
    await app.database.db.job.update({ where: { id: job.id }, data: { payloadVersion: 9, nextRunAt: new Date() } });
    app.bus.emit('jobs:available', { count: 1 });
    const final = await waitForJob(app, job.id, isFinal);
    expect(final).toMatchObject({ status: 'FAILED', attemptCount: 1, lastErrorType: 'ValidationError' });
    expect(final.lastError).toContain('payload version 9');
  });
});
