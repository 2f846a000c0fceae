/**
 * Conformance of the JobStore port (src/db/ports.ts): the same expectations of insert, claim,
 * start, finish, release, lease renewal and expiry on SQLite and PostgreSQL, so the two stores
 * cannot drift. The lifecycle mirrors of each statement are checked in db.lifecycle.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FinishRow } from '../src/domain/index.js';
import type { Job } from '../src/db/types.js';
import { jobCancel } from '../src/queue/services/jobCancel.js';
import { afterFinish } from '../src/domain/index.js';
import { jobEnqueue, jobsEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { newRowFixture, providers, startTestApp, type TestApp } from './helpers.js';

describe.each(providers)('JobStore %s', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' });
  });
  afterAll(async () => {
    await app?.close();
  });
  const db = () => app.database.db;
  const store = () => app.context.jobs;
  const claim = (workerId: string, limit = 100, leaseMs = 60_000) => store().claim({ workerId, now: new Date(), leaseMs, limit });
  const claimIds = async (workerId: string, limit = 100, leaseMs = 60_000) => (await claim(workerId, limit, leaseMs)).map((job) => job.id);
  const outcome = (job: Job, changes: Partial<FinishRow> = {}): FinishRow => ({
    id: job.id,
    claimedAt: job.leaseAcquiredAt!,
    attemptNumber: job.attemptCount,
    status: 'SUCCEEDED',
    startedAt: new Date(),
    success: true,
    finishedAt: new Date(),
    durationMs: 3,
    nextRunAt: null,
    lastError: null,
    lastErrorType: null,
    deadAt: null,
    details: null,
    uncharged: false,
    ...changes,
  });
  const drain = async () => {
    await db().job.updateMany({ where: { status: { in: ['PENDING', 'RUNNING'] } }, data: { status: 'CANCELED', activeKey: null } });
  };
  const row = (id: number) => db().job.findUniqueOrThrow({ where: { id } });
  const enqueueMany = async (...entityIds: string[]) =>
    (
      await jobsEnqueue(
        app.context,
        entityIds.map((entityId) => ({ jobType: 'customer_sync', entityId })),
      )
    ).map((result) => (result.ok ? result.job : undefined)!);

  it('insert skips a pair that is already active, in the database and within the batch', async () => {
    await drain();
    const now = new Date();
    const held = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'd_ins_held' });
    const inserted = await store().insert([
      newRowFixture('d_ins_a', now, 'c1'),
      newRowFixture('d_ins_a', now, 'c2'),
      { ...newRowFixture('d_ins_held', now, 'c3'), activeKey: held.activeKey! },
    ]);
    expect(inserted.map((result) => result.activeKey)).toEqual(['customer_sync:d_ins_a']);
    expect(await row(inserted[0]!.id)).toMatchObject({ status: 'PENDING', correlationId: 'c1', attemptCount: 0 });
  });

  it('claim returns the leased rows as written, the attempt counted, its start not yet recorded', async () => {
    await drain();
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'd_rows' });
    const before = Date.now();
    const [claimed] = await claim('w0', 5, 5_000);
    expect(claimed).toEqual(await row(job.id));
    expect(claimed).toMatchObject({ status: 'RUNNING', leaseOwner: 'w0', attemptCount: 1, lastStartedAt: null, isReplay: false });
    expect(claimed!.leaseAcquiredAt!.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(claimed!.leaseExpiresAt!.getTime() - claimed!.leaseAcquiredAt!.getTime()).toBe(5_000);
    expect(await claimIds('w2')).toEqual([]);
  });

  it('concurrent claims take disjoint batches and together take everything due', async () => {
    await drain();
    const ids = (await enqueueMany(...Array.from({ length: 60 }, (_, i) => `d_many_${i}`))).map((job) => job.id);
    const batches = await Promise.all([claimIds('a', 25), claimIds('b', 25), claimIds('c', 25)]);
    const all = batches.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort((x, y) => x - y)).toEqual(ids.sort((x, y) => x - y));
  });

  it('start records the start, only under the lease it names', async () => {
    await drain();
    const [a, b] = await enqueueMany('d_s1', 'd_s2');
    const claimed = await claim('starter');
    const startedAt = new Date();
    const lease = (job: Job) => claimed.find((row) => row.id === job.id)!.leaseAcquiredAt!;
    await store().start({
      leaseOwner: 'starter',
      rows: [
        { id: a!.id, claimedAt: lease(a!), startedAt },
        { id: b!.id, claimedAt: new Date(lease(b!).getTime() - 1), startedAt }, // another lease
      ],
    });
    expect(await row(a!.id)).toMatchObject({ attemptCount: 1, lastStartedAt: startedAt });
    expect(await row(b!.id)).toMatchObject({ attemptCount: 1, lastStartedAt: null });
  });

  it('finish writes outcomes and attempt rows in one batch, only for jobs still held under that lease', async () => {
    await drain();
    const [a, b, c] = await enqueueMany('d_f1', 'd_f2', 'd_f3');
    const claimed = new Map((await claim('owner')).map((job) => [job.id, job]));
    const retryAt = new Date(Date.now() + 10_000);
    const written = await store().finish({
      now: new Date(),
      leaseOwner: 'owner',
      rows: [
        outcome(claimed.get(a!.id)!),
        outcome(claimed.get(b!.id)!, { status: 'PENDING', success: false, nextRunAt: retryAt, lastError: 'boom', lastErrorType: 'UpstreamTimeout' }),
        outcome(claimed.get(c!.id)!, { claimedAt: new Date(0) }), // not this lease: not written
      ],
    });
    expect(written.map((job) => [job.id, job.status]).sort()).toEqual(
      [
        [a!.id, 'SUCCEEDED'],
        [b!.id, 'PENDING'],
      ].sort(),
    );
    expect(await row(a!.id)).toMatchObject({ status: 'SUCCEEDED', activeKey: null, leaseOwner: null, lastDurationMs: 3, attemptCount: 1 });
    const rowB = await row(b!.id);
    expect(rowB).toMatchObject({ status: 'PENDING', activeKey: 'customer_sync:d_f2', lastError: 'boom', lastErrorType: 'UpstreamTimeout', leaseOwner: null });
    expect(rowB.nextRunAt).toEqual(retryAt);
    expect((await row(c!.id)).status).toBe('RUNNING');
    const attempts = await db().attempt.findMany({ where: { jobId: { in: [a!.id, b!.id, c!.id] } }, orderBy: { jobId: 'asc' } });
    expect(attempts.map((attempt) => [attempt.jobId, attempt.attemptNumber, attempt.success, attempt.errorType])).toEqual([
      [a!.id, 1, true, null],
      [b!.id, 1, false, 'UpstreamTimeout'],
    ]);
    // Another owner cannot finish c.
    expect(await store().finish({ leaseOwner: 'thief', rows: [outcome(claimed.get(c!.id)!)], now: new Date() })).toEqual([]);
  });

  it('the row the queue publishes after a finish equals the row the database holds, for every outcome and for a cancel that raced it', async () => {
    await drain();
    const jobs = await enqueueMany('d_eq_ok', 'd_eq_retry', 'd_eq_dead', 'd_eq_failed', 'd_eq_canceled');
    const claimed = await claim('mirror');
    const byEntity = new Map(claimed.map((job) => [job.entityId, job]));
    await jobCancel(app.context, byEntity.get('d_eq_canceled')!.id);
    const finishedAt = new Date();
    const rows: FinishRow[] = [
      outcome(byEntity.get('d_eq_ok')!, { finishedAt }),
      outcome(byEntity.get('d_eq_retry')!, {
        status: 'PENDING',
        success: false,
        nextRunAt: new Date(Date.now() + 5_000),
        lastError: 'slow',
        lastErrorType: 'UpstreamTimeout',
        finishedAt,
      }),
      outcome(byEntity.get('d_eq_dead')!, { status: 'DEAD', success: false, deadAt: finishedAt, lastError: '429', lastErrorType: 'UpstreamRateLimited', finishedAt }),
      outcome(byEntity.get('d_eq_failed')!, { status: 'FAILED', success: false, lastError: 'gone', lastErrorType: 'NotFound', finishedAt }),
      outcome(byEntity.get('d_eq_canceled')!, { status: 'FAILED', success: false, lastError: 'canceled', lastErrorType: 'Canceled', finishedAt }),
    ];
    const written = await store().finish({ leaseOwner: 'mirror', rows, now: new Date() });
    expect(written).toHaveLength(jobs.length);
    for (const result of written) {
      const before = claimed.find((job) => job.id === result.id)!;
      const finish = rows.find((candidate) => candidate.id === result.id)!;
      expect(afterFinish(before, finish, result), before.entityId).toEqual(await row(result.id));
    }
  });

  it('finish writes DEAD with its dead-letter fields', async () => {
    await drain();
    await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'd_dead' });
    const [claimed] = await claim('owner');
    const deadAt = new Date();
    await store().finish({
      now: new Date(),
      leaseOwner: 'owner',
      rows: [outcome(claimed!, { status: 'DEAD', success: false, lastError: '429 again', lastErrorType: 'UpstreamRateLimited', deadAt, finishedAt: deadAt })],
    });
    const dead = await row(claimed!.id);
    expect(dead).toMatchObject({ status: 'DEAD', deadError: '429 again', deadErrorType: 'UpstreamRateLimited', activeKey: null });
    expect(dead.deadAt).toEqual(deadAt);
  });

  it('a late result never flips a CANCELED job', async () => {
    await drain();
    await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'd_late' });
    const [claimed] = await claim('late');
    await jobCancel(app.context, claimed!.id);
    const written = await store().finish({ leaseOwner: 'late', rows: [outcome(claimed!)], now: new Date() });
    expect(written.map((job) => [job.id, job.status])).toEqual([[claimed!.id, 'CANCELED']]);
    expect(await row(claimed!.id)).toMatchObject({ status: 'CANCELED', activeKey: null, leaseOwner: null });
  });

  it('release puts unstarted jobs back, due now, the claimed attempt given back; a canceled one stays CANCELED', async () => {
    await drain();
    const [keep, cancel] = await enqueueMany('d_rel_1', 'd_rel_2');
    const claimed = await claim('releaser');
    await jobCancel(app.context, cancel!.id);
    const now = new Date();
    const written = await store().release({ leaseOwner: 'releaser', jobs: claimed.map((job) => ({ id: job.id, claimedAt: job.leaseAcquiredAt! })), now });
    expect(written.map((job) => [job.id, job.status]).sort()).toEqual(
      [
        [keep!.id, 'PENDING'],
        [cancel!.id, 'CANCELED'],
      ].sort(),
    );
    expect(await row(keep!.id)).toMatchObject({ status: 'PENDING', attemptCount: 0, leaseOwner: null, nextRunAt: now, activeKey: 'customer_sync:d_rel_1' });
    expect(await db().attempt.count({ where: { jobId: { in: [keep!.id, cancel!.id] } } })).toBe(0);
  });

  it('renewing leases extends only the jobs this worker holds', async () => {
    await drain();
    await enqueueMany('d_r1', 'd_r2');
    const [mine] = await claim('holder', 1);
    const [theirs] = await claim('other', 1);
    const later = new Date(Date.now() + 120_000);
    const lease = (job: Job) => ({ id: job.id, claimedAt: job.leaseAcquiredAt! });
    expect(await store().renew({ workerId: 'holder', jobs: [lease(mine!), lease(theirs!)], leaseExpiresAt: later })).toEqual([mine!.id]);
    expect((await row(mine!.id)).leaseExpiresAt).toEqual(later);
  });

  it('expired leases are listed with whether their attempt started; a renewal in between wins over recovery', async () => {
    await drain();
    const [started, waiting] = await enqueueMany('d_x1', 'd_x2');
    const claimed = new Map((await claim('ghost', 10, 50)).map((job) => [job.id, job]));
    const startedAt = new Date();
    await store().start({ leaseOwner: 'ghost', rows: [{ id: started!.id, claimedAt: claimed.get(started!.id)!.leaseAcquiredAt!, startedAt }] });
    const now = new Date(Date.now() + 1_000);
    const expired = await store().expired({ now, limit: 10 });
    expect(expired.map((lease) => [lease.id, lease.startedAt?.getTime() ?? null]).sort()).toEqual(
      [
        [started!.id, startedAt.getTime()],
        [waiting!.id, null],
      ].sort(),
    );
    // The owner renews before recovery writes: recovery must leave the job alone.
    const renewed = claimed.get(waiting!.id)!;
    await store().renew({ workerId: 'ghost', jobs: [{ id: renewed.id, claimedAt: renewed.leaseAcquiredAt! }], leaseExpiresAt: new Date(Date.now() + 60_000) });
    expect(await store().release({ leaseOwner: 'ghost', jobs: [{ id: renewed.id, claimedAt: renewed.leaseAcquiredAt! }], now, expiredBy: now })).toEqual([]);
    expect((await row(renewed.id)).status).toBe('RUNNING');
  });
});
