/**
 * Conformance of the dialect seam: the same expectations of claim, finish and lease renewal on
 * SQLite and PostgreSQL, so the two stores cannot drift.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/db/client.js';
import type { FinishRow } from '../src/db/dialects/index.js';
import { jobCancel } from '../src/queue/jobCancel.js';
import { jobEnqueue, jobsEnqueue } from '../src/queue/jobsEnqueue.js';
import { providers, startTestApp, type TestApp } from './helpers.js';

describe.each(providers)('dialect %s', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' });
  });
  afterAll(async () => {
    await app?.close();
  });
  const db = () => app.database.db;
  const dialect = () => app.context.dialect;
  const claim = async (workerId: string, limit = 100, leaseMs = 60_000) =>
    (await dialect().claimJobs(db(), { workerId, now: new Date(), leaseExpiresAt: new Date(Date.now() + leaseMs), limit })).map((job) => job.id);
  const success = (id: number, attemptNumber = 1): FinishRow => ({
    id, attemptNumber, status: 'SUCCEEDED', startedAt: new Date(), success: true, finishedAt: new Date(), durationMs: 3, nextRunAt: null, lastError: null, lastErrorType: null, deadAt: null,
  });
  const drain = async () => {
    await db().job.updateMany({ where: { status: { in: ['PENDING', 'RUNNING'] } }, data: { status: 'CANCELED', activeKey: null } });
  };

  it('claim returns the leased rows as written', async () => {
    await drain();
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'd_rows' });
    const [row] = await dialect().claimJobs(db(), { workerId: 'w0', now: new Date(), leaseExpiresAt: new Date(Date.now() + 1000), limit: 5 });
    expect(row).toEqual(await db().job.findUniqueOrThrow({ where: { id: job.id } }));
    expect(row).toMatchObject({ status: 'RUNNING', leaseOwner: 'w0', attemptCount: 1, isReplay: false });
  });

  it('claim writes the lease and counts the attempt', async () => {
    await drain();
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'd_claim' });
    const before = Date.now();
    expect(await claim('w1', 10, 5_000)).toEqual([job.id]);
    const row = await db().job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row).toMatchObject({ status: 'RUNNING', leaseOwner: 'w1', attemptCount: 1 });
    expect(row.leaseAcquiredAt!.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(row.leaseExpiresAt!.getTime() - row.leaseAcquiredAt!.getTime()).toBeGreaterThanOrEqual(4_900);
    expect(row.lastStartedAt).toEqual(row.leaseAcquiredAt);
    expect(await claim('w2')).toEqual([]);
  });

  it('concurrent claims take disjoint batches and together take everything due', async () => {
    await drain();
    const results = await jobsEnqueue(app.context, Array.from({ length: 60 }, (_, i) => ({ jobType: 'customer_sync', entityId: `d_many_${i}` })));
    const ids = results.map((result) => (result.ok ? result.job.id : -1));
    const batches = await Promise.all([claim('a', 25), claim('b', 25), claim('c', 25)]);
    const all = batches.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort((x, y) => x - y)).toEqual(ids.sort((x, y) => x - y));
  });

  it('finish writes outcomes in one batch, only for jobs still held on that attempt', async () => {
    await drain();
    const [a, b, c] = (await jobsEnqueue(app.context, ['d_f1', 'd_f2', 'd_f3'].map((entityId) => ({ jobType: 'customer_sync', entityId })))).map((r) => (r.ok ? r.job : undefined)!) as [Job, Job, Job];
    await claim('owner');
    const retryAt = new Date(Date.now() + 10_000);
    const written = await dialect().finishJobs(db(), {
      leaseOwner: 'owner',
      rows: [
        success(a.id),
        { ...success(b.id), status: 'PENDING', nextRunAt: retryAt, lastError: 'boom', lastErrorType: 'UpstreamTimeout' },
        { ...success(c.id, 2) }, // wrong attempt number: not written
      ],
    });
    expect(written.map((job) => [job.id, job.status]).sort()).toEqual([[a.id, 'SUCCEEDED'], [b.id, 'PENDING']].sort());
    // The rows come back as written, in full.
    expect(written.find((job) => job.id === b.id)).toMatchObject({ lastError: 'boom', leaseOwner: null, nextRunAt: retryAt });
    const rowA = await db().job.findUniqueOrThrow({ where: { id: a.id } });
    expect(rowA).toMatchObject({ status: 'SUCCEEDED', activeKey: null, leaseOwner: null, lastDurationMs: 3 });
    const rowB = await db().job.findUniqueOrThrow({ where: { id: b.id } });
    expect(rowB).toMatchObject({ status: 'PENDING', activeKey: 'customer_sync:d_f2', lastError: 'boom', lastErrorType: 'UpstreamTimeout', leaseOwner: null });
    expect(rowB.nextRunAt).toEqual(retryAt);
    expect((await db().job.findUniqueOrThrow({ where: { id: c.id } })).status).toBe('RUNNING');
    // Attempt rows were written with the jobs, and only for them.
    const attempts = await db().attempt.findMany({ where: { jobId: { in: [a.id, b.id, c.id] } }, orderBy: { jobId: 'asc' } });
    expect(attempts.map((attempt) => [attempt.jobId, attempt.attemptNumber, attempt.success, attempt.errorType])).toEqual([
      [a.id, 1, true, null],
      [b.id, 1, true, 'UpstreamTimeout'],
    ]);
    // Another owner cannot finish c.
    expect(await dialect().finishJobs(db(), { leaseOwner: 'thief', rows: [success(c.id)] })).toEqual([]);
  });

  it('finish writes DEAD with its dead-letter fields', async () => {
    await drain();
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'd_dead' });
    await claim('owner');
    const deadAt = new Date();
    await dialect().finishJobs(db(), {
      leaseOwner: 'owner',
      rows: [{ ...success(job.id), status: 'DEAD', lastError: '429 again', lastErrorType: 'UpstreamRateLimited', deadAt, finishedAt: deadAt }],
    });
    const row = await db().job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row).toMatchObject({ status: 'DEAD', deadError: '429 again', deadErrorType: 'UpstreamRateLimited', activeKey: null });
    expect(row.deadAt).toEqual(deadAt);
  });

  it('a late result never flips a CANCELED job', async () => {
    await drain();
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'd_late' });
    expect(await claim('late')).toEqual([job.id]);
    await jobCancel(app.context, job.id);
    const written = await dialect().finishJobs(db(), { leaseOwner: 'late', rows: [success(job.id)] });
    expect(written.map((row) => [row.id, row.status])).toEqual([[job.id, 'CANCELED']]);
    expect(await db().job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: 'CANCELED', activeKey: null, leaseOwner: null });
  });

  it('renewing leases extends only the jobs this worker holds', async () => {
    await drain();
    const [a, b] = (await jobsEnqueue(app.context, ['d_r1', 'd_r2'].map((entityId) => ({ jobType: 'customer_sync', entityId })))).map((r) => (r.ok ? r.job : undefined)!) as [Job, Job, Job];
    await claim('holder', 1);
    await claim('other', 1);
    const held = await db().job.findMany({ where: { id: { in: [a.id, b.id] } } });
    const mine = held.find((job) => job.leaseOwner === 'holder')!;
    const later = new Date(Date.now() + 120_000);
    expect(await dialect().renewLeases(db(), { workerId: 'holder', ids: [a.id, b.id], leaseExpiresAt: later })).toEqual([mine.id]);
    expect((await db().job.findUniqueOrThrow({ where: { id: mine.id } })).leaseExpiresAt).toEqual(later);
  });
});
