/** Leases: heartbeats keep long jobs; an expired lease (a dead worker) is recovered by another. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { demoTypesWith, isFinal, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/** Jobs whose entity starts with "slow" take 1.2 s, several lease lengths (lease: 0.3 s). */
const handlers = () => {
  const handler = async ({ job, signal }: { job: { entityId: string }; signal: AbortSignal }) => {
    if (job.entityId.startsWith('slow')) await sleep(1_200, signal);
    return {};
  };
  return demoTypesWith({ customer_sync: handler });
};

/**
 * What a worker that claimed the job and then died leaves behind: RUNNING, attempt 1 counted, a
 * lease nobody renews. Written in one step from a not-yet-due job, so no live worker can take it first.
 */
async function leaseToDeadWorker(app: TestApp, jobId: number, leaseMs: number) {
  const now = new Date();
  await app.database.db.job.update({
    where: { id: jobId, status: 'PENDING' },
    data: { status: 'RUNNING', leaseOwner: 'dead-worker', leaseAcquiredAt: now, leaseExpiresAt: new Date(now.getTime() + leaseMs), attemptCount: 1, lastStartedAt: now },
  });
}

describe.each(providers)('leases (%s)', (provider) => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    const env = { SYNCBRIDGE_JOB_LEASE_SECONDS: '0.3' };
    first = await startTestApp(provider, env, { ...handlers() });
    // A second worker process on the same database.
    second = await startTestApp(provider, env, { ...handlers(), database: first.testDatabase });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.close();
  });

  it('a heart-beating worker keeps a job that outlives its lease several times over', async () => {
    const job = await jobEnqueue(first.context, { jobType: 'customer_sync', entityId: 'slow_1' });
    const final = await waitForJob([first, second], job.id, isFinal);
    expect(final).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1 });
    const attempts = await first.database.db.attempt.findMany({ where: { jobId: job.id } });
    expect(attempts).toMatchObject([{ success: true, attemptNumber: 1 }]);
    expect(attempts[0]!.durationMs).toBeGreaterThanOrEqual(1_100);
  });

  it('a job whose worker died is recovered after its lease expires; the lost attempt is recorded', async () => {
    const job = await jobEnqueue(first.context, { jobType: 'customer_sync', entityId: 'orphan_1', scheduledAt: new Date(Date.now() + 3_600_000) });
    const db = first.database.db;
    await leaseToDeadWorker(first, job.id, 300);
    const final = await waitForJob([first, second], job.id, isFinal);
    expect(final).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2 });
    const attempts = await db.attempt.findMany({ where: { jobId: job.id }, orderBy: { attemptNumber: 'asc' } });
    expect(attempts).toMatchObject([
      { attemptNumber: 1, success: false, errorType: 'LeaseExpired' },
      { attemptNumber: 2, success: true },
    ]);
    expect(attempts[0]!.errorSummary).toContain('dead-worker');
  });

  it('a job leased to a dead worker on its last allowed attempt ends DEAD', async () => {
    const job = await jobEnqueue(first.context, { jobType: 'customer_sync', entityId: 'orphan_2', maxRetries: 0, scheduledAt: new Date(Date.now() + 3_600_000) });
    await leaseToDeadWorker(first, job.id, 100);
    const final = await waitForJob([first, second], job.id, isFinal);
    expect(final).toMatchObject({ status: 'DEAD', deadErrorType: 'LeaseExpired', attemptCount: 1 });
  });
});
