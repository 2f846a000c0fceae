import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateActiveJobError, InputError } from '../src/queue/errors.js';
import { jobEnqueue, jobsEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { isFinal, providers, recordTransitions, startTestApp, waitForJob, type TestApp } from './helpers.js';

describe.each(providers)('enqueue (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    // No worker: these tests look at PENDING jobs.
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('creates a PENDING job with the SPEC defaults and publishes it', async () => {
    const recorder = recordTransitions(app.bus);
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'c_defaults' });
    recorder.stop();
    expect(job).toMatchObject({
      status: 'PENDING',
      sourceSystem: 'crm',
      targetSystem: 'billing',
      entityType: 'customer',
      maxRetries: 3,
      payloadVersion: 1,
      priority: 1,
      attemptCount: 0,
      isReplay: false,
    });
    expect(job.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await app.database.db.job.findUnique({ where: { id: job.id } })).toEqual(job);
    expect(recorder.transitions).toMatchObject([{ jobId: job.id, from: null, to: 'PENDING', kind: 'enqueued' }]);
  });

  it('gives every job its own correlation id', async () => {
    const results = await jobsEnqueue(app.context, [
      { jobType: 'customer_sync', entityId: 'c_corr_1' },
      { jobType: 'customer_sync', entityId: 'c_corr_2' },
    ]);
    const ids = results.map((result) => (result.ok ? result.job.correlationId : ''));
    expect(new Set(ids).size).toBe(2);
  });

  it('exactly one of 50 concurrent enqueues of the same pair creates a job; the rest name it', async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 50 }, () => jobEnqueue(app.context, { jobType: 'invoice_sync', entityId: 'i_race' })));
    const created = attempts.filter((attempt) => attempt.status === 'fulfilled');
    expect(created).toHaveLength(1);
    const winner = (created[0] as PromiseFulfilledResult<{ id: number }>).value.id;
    for (const attempt of attempts.filter((attempt) => attempt.status === 'rejected')) {
      const error = (attempt as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(DuplicateActiveJobError);
      expect(error.existingJobId).toBe(winner);
    }
    expect(await app.database.db.job.count({ where: { jobType: 'invoice_sync', entityId: 'i_race' } })).toBe(1);
  });

  it('the same entity under another job type is not a duplicate', async () => {
    await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'shared_1' });
    await expect(jobEnqueue(app.context, { jobType: 'invoice_sync', entityId: 'shared_1' })).resolves.toMatchObject({ status: 'PENDING' });
  });

  it('a batch succeeds or fails item by item, duplicates inside the batch included', async () => {
    const results = await jobsEnqueue(app.context, [
      { jobType: 'customer_sync', entityId: 'c_batch_1' },
      { jobType: 'customer_sync', entityId: '' },
      { jobType: 'customer_sync', entityId: 'c_batch_1' },
      { jobType: 'invoice_sync', entityId: 'i_batch_1', priority: 'HIGH', maxRetries: 0 },
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, false, false, true]);
    const first = results[0]!.ok ? results[0]!.job : undefined;
    expect(!results[1]!.ok && results[1]!.error).toBeInstanceOf(InputError);
    expect(!results[2]!.ok && results[2]!.error).toMatchObject({ existingJobId: first!.id });
    expect(results[3]!.ok && results[3]!.job).toMatchObject({ priority: 2, maxRetries: 0 });
  });

  it.each([
    [{ entityId: '   ' }, 'entityId'],
    [{ entityId: 'x'.repeat(129) }, 'entityId'],
    [{ entityId: 'bad id;drop' }, 'entityId'],
    [{ maxRetries: -1 }, 'maxRetries'],
    [{ maxRetries: 26 }, 'maxRetries'],
    [{ maxRetries: 1.5 }, 'maxRetries'],
    [{ payloadVersion: 0 }, 'payloadVersion'],
    [{ scheduledAt: new Date('nonsense') }, 'scheduledAt'],
    [{ scheduledAt: new Date(Date.now() + 400 * 86_400_000) }, 'scheduledAt'],
    [{ jobType: 'email_sync' }, 'jobType'],
  ])('rejects %o with an InputError on %s and writes nothing', async (override, field) => {
    const before = await app.database.db.job.count();
    const error = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'c_valid', ...override }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(field);
    expect(await app.database.db.job.count()).toBe(before);
  });

  it('a scheduled job is not due before its time', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'c_later', scheduledAt: at });
    expect(job.scheduledAt).toEqual(at);
    expect(job.nextRunAt).toEqual(at);
    const claimed = await app.context.jobs.claim({ workerId: 't', now: new Date(), leaseMs: 1000, limit: 1000 });
    expect(claimed.map((row) => row.id)).not.toContain(job.id);
  });

  it('claims by priority, then due time, then id', async () => {
    const db = app.database.db;
    await db.job.updateMany({ where: { status: 'PENDING' }, data: { status: 'CANCELED', activeKey: null } });
    const low = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_low', priority: 'LOW' });
    const normal1 = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_n1' });
    const normal2 = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_n2' });
    const high = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_high', priority: 'HIGH' });
    // normal2 became due earlier than normal1.
    await db.job.update({ where: { id: normal2.id }, data: { nextRunAt: new Date(Date.now() - 60_000) } });
    const order: number[] = [];
    for (let i = 0; i < 4; i++) {
      order.push(...(await app.context.jobs.claim({ workerId: 't', now: new Date(), leaseMs: 60_000, limit: 1 })).map((row) => row.id));
    }
    expect(order).toEqual([high.id, normal2.id, normal1.id, low.id]);
  });
});

describe.each(providers)('enqueue wakes an idle worker (%s)', (provider) => {
  it('runs a job enqueued while the worker is idle without waiting for a poll', async () => {
    // A one-hour poll: only the wake-up can start the job in time.
    const app = await startTestApp(provider, { SYNCBRIDGE_WORKER_POLL_SECONDS: '3600' });
    try {
      const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'c_1001' });
      await expect(waitForJob(app, job.id, isFinal, 5_000)).resolves.toMatchObject({ status: 'SUCCEEDED' });
    } finally {
      await app.close();
    }
  });
});
