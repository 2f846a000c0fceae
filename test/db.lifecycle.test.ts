/**
 * The lifecycle (src/domain/lifecycle.ts) against the SQL of both databases: for each transition
 * a statement makes, the row it leaves equals the row the lifecycle says it leaves (the row the
 * queue publishes without reading it back), column by column. A new status, phase or column that
 * one side forgets fails here by the transition's name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/db/types.js';
import {
  afterClaim,
  afterFinish,
  afterRelease,
  cancelChanges,
  decideAfterAttempt,
  insertedJob,
  retryChanges,
  type AttemptOutcome,
  type FinishRow,
  type NewJobRow,
} from '../src/domain/index.js';
import { jobCancel } from '../src/queue/services/jobCancel.js';
import { jobRetry } from '../src/queue/services/jobRetry.js';
import { newRowFixture, providers, startTestApp, type TestApp } from './helpers.js';

describe.each(providers)('lifecycle against the SQL (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' });
  });
  afterAll(async () => app?.close());

  const store = () => app.context.jobs;
  const row = (id: number) => app.database.db.job.findUniqueOrThrow({ where: { id } });
  // Whole milliseconds: both databases store times to the millisecond.
  const at = (offsetMs = 0) => new Date(Math.floor(Date.now() / 1000) * 1000 + offsetMs);
  let counter = 0;
  const newRow = (now: Date): NewJobRow => newRowFixture(`lc_${++counter}`, now);

  /** Inserts a job, checks the insert's mirror, claims it, checks the claim's mirror; the claimed row. */
  async function insertedAndClaimed(workerId: string): Promise<Job> {
    const now = at();
    const data = newRow(now);
    const [inserted] = await store().insert([data]);
    const expected = insertedJob(inserted!.id, data) as Job;
    expect(await row(inserted!.id), 'insert').toEqual(expected);
    const lease = { workerId, now: at(1), leaseMs: 30_000 };
    // Claim everything due; only ours matters (earlier cases leave nothing due behind).
    const claimed = (await store().claim({ ...lease, limit: 50 })).find((job) => job.id === inserted!.id)!;
    expect(claimed, 'claim (returned)').toEqual(afterClaim(expected, lease));
    expect(await row(inserted!.id), 'claim (stored)').toEqual(afterClaim(expected, lease));
    return claimed;
  }

  const outcomes: Record<string, AttemptOutcome> = {
    succeeded: { success: true, details: '{"calls":[]}' },
    'retry scheduled': { success: false, errorType: 'UpstreamTimeout', message: '503', retryable: true },
    'retry uncharged': { success: false, errorType: 'LocalResourcesExhausted', message: 'EMFILE', retryable: true, uncharged: true },
    'lease lost (at once)': { success: false, errorType: 'LeaseLost', message: 'lost', retryable: true, immediate: true },
    failed: { success: false, errorType: 'NotFound', message: '404', retryable: false },
  };

  for (const [name, outcome] of Object.entries(outcomes)) {
    it(`finish: ${name}`, async () => {
      const claimed = await insertedAndClaimed(`w-${name}`);
      const finish = decideAfterAttempt(
        {
          id: claimed.id,
          claimedAt: claimed.leaseAcquiredAt!,
          attemptNumber: claimed.attemptCount,
          unchargedAttempts: claimed.unchargedAttempts,
          maxRetries: claimed.maxRetries,
          startedAt: at(2),
        },
        outcome,
        { finishedAt: at(5), durationMs: 3 },
        { baseSeconds: 2 },
      );
      const [written] = await store().finish({ leaseOwner: `w-${name}`, rows: [finish], now: at(5) });
      expect(await row(claimed.id)).toEqual(afterFinish(claimed, finish, written!));
    });
  }

  it('finish: dead (the last charged attempt)', async () => {
    const claimed = await insertedAndClaimed('w-dead');
    const finish: FinishRow = decideAfterAttempt(
      { id: claimed.id, claimedAt: claimed.leaseAcquiredAt!, attemptNumber: 4, unchargedAttempts: 0, maxRetries: 3, startedAt: at(2) },
      outcomes['retry scheduled']!,
      { finishedAt: at(5), durationMs: 7 },
      { baseSeconds: 2 },
    );
    expect(finish.status).toBe('DEAD');
    const [written] = await store().finish({ leaseOwner: 'w-dead', rows: [finish], now: at(5) });
    expect(await row(claimed.id)).toEqual(afterFinish(claimed, finish, written!));
  });

  it('finish: a cancel came first (the job stays CANCELED, its attempt recorded)', async () => {
    const claimed = await insertedAndClaimed('w-cancel');
    const canceled = await jobCancel(app.context, claimed.id);
    expect(await row(claimed.id), 'cancel of a RUNNING job').toEqual({ ...claimed, ...cancelChanges(canceled.canceledAt!) });
    const finish = decideAfterAttempt(
      { id: claimed.id, claimedAt: claimed.leaseAcquiredAt!, attemptNumber: 1, unchargedAttempts: 0, maxRetries: 3, startedAt: at(2) },
      { success: false, errorType: 'Canceled', message: 'canceled', retryable: false },
      { finishedAt: at(5), durationMs: 2 },
      { baseSeconds: 2 },
    );
    const before = await row(claimed.id);
    const [written] = await store().finish({ leaseOwner: 'w-cancel', rows: [finish], now: at(5) });
    expect(written!.status).toBe('CANCELED');
    expect(await row(claimed.id)).toEqual(afterFinish(before, finish, written!));
    expect(await app.database.db.attempt.count({ where: { jobId: claimed.id } })).toBe(1);
  });

  it('release: a claimed job that never started goes back uncharged; a canceled one stays CANCELED', async () => {
    const kept = await insertedAndClaimed('w-release');
    const now = at(10);
    const [written] = await store().release({ leaseOwner: 'w-release', jobs: [{ id: kept.id, claimedAt: kept.leaseAcquiredAt! }], now });
    expect(await row(kept.id)).toEqual(afterRelease(kept, written!, now));

    const canceledClaim = await insertedAndClaimed('w-release-c');
    await jobCancel(app.context, canceledClaim.id);
    const before = await row(canceledClaim.id);
    const [canceled] = await store().release({ leaseOwner: 'w-release-c', jobs: [{ id: canceledClaim.id, claimedAt: canceledClaim.leaseAcquiredAt! }], now });
    expect(canceled!.status).toBe('CANCELED');
    expect(await row(canceledClaim.id)).toEqual(afterRelease(before, canceled!, now));
  });

  it('a follow-up waiting: a retry that finishes, and a release, are superseded by it; claimed, the follow-up owns the pair', async () => {
    for (const how of ['finish', 'release'] as const) {
      const claimed = await insertedAndClaimed(`w-super-${how}`);
      const followRow: NewJobRow = { ...newRow(at()), entityId: claimed.entityId, activeKey: null, followUpKey: claimed.activeKey };
      const [followUp] = await store().insert([followRow]);
      const waiting = insertedJob(followUp!.id, followRow) as Job;
      expect(await row(followUp!.id), 'follow-up insert').toEqual(waiting);
      // Blocked while its owner runs.
      expect((await store().claim({ workerId: 'w-early', now: at(3), leaseMs: 30_000, limit: 50 })).map((job) => job.id)).not.toContain(followUp!.id);
      if (how === 'finish') {
        const finish = decideAfterAttempt(
          { id: claimed.id, claimedAt: claimed.leaseAcquiredAt!, attemptNumber: 1, unchargedAttempts: 0, maxRetries: 3, startedAt: at(2) },
          outcomes['retry scheduled']!,
          { finishedAt: at(5), durationMs: 3 },
          { baseSeconds: 2 },
        );
        const [written] = await store().finish({ leaseOwner: `w-super-${how}`, rows: [finish], now: at(5) });
        expect(written).toMatchObject({ status: 'CANCELED', supersededBy: followUp!.id, freedFollowUp: followUp!.id });
        expect(await row(claimed.id), 'finish superseded').toEqual(afterFinish(claimed, finish, written!));
      } else {
        const [written] = await store().release({ leaseOwner: `w-super-${how}`, jobs: [{ id: claimed.id, claimedAt: claimed.leaseAcquiredAt! }], now: at(5) });
        expect(written).toMatchObject({ status: 'CANCELED', supersededBy: followUp!.id });
        expect(await row(claimed.id), 'release superseded').toEqual(afterRelease(claimed, written!, at(5)));
      }
      const lease = { workerId: `w-follow-${how}`, now: at(6), leaseMs: 30_000 };
      const taken = (await store().claim({ ...lease, limit: 50 })).find((job) => job.id === followUp!.id);
      expect(taken, 'follow-up claim').toEqual(afterClaim(waiting, lease));
      expect(taken!.activeKey).toBe(claimed.activeKey);
    }
  });

  it('cancel of a PENDING job, and retry of a FAILED one', async () => {
    const now = at();
    const data = newRow(now);
    const [inserted] = await store().insert([data]);
    const canceled = await jobCancel(app.context, inserted!.id);
    expect(await row(inserted!.id)).toEqual({ ...(insertedJob(inserted!.id, data) as Job), ...cancelChanges(canceled.canceledAt!) });

    const claimed = await insertedAndClaimed('w-retry');
    const finish = decideAfterAttempt(
      { id: claimed.id, claimedAt: claimed.leaseAcquiredAt!, attemptNumber: 1, unchargedAttempts: 0, maxRetries: 3, startedAt: at(2) },
      outcomes.failed!,
      { finishedAt: at(5), durationMs: 3 },
      { baseSeconds: 2 },
    );
    const [written] = await store().finish({ leaseOwner: 'w-retry', rows: [finish], now: at(5) });
    const failed = afterFinish(claimed, finish, written!);
    const retried = await jobRetry(app.context, claimed.id);
    expect(await row(claimed.id)).toEqual({ ...failed, ...retryChanges(failed, retried.updatedAt) });
  });
});
