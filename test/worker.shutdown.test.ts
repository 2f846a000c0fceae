/** Graceful shutdown: running handlers finish within the grace period, or are aborted and released. */
import { describe, expect, it } from 'vitest';
import { jobEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { openDatabase } from '../src/db/client.js';
import { createTestDatabase, demoTypesWith, providers, startTestApp, waitForJob } from './helpers.js';

function gatedHandlers(durationMs: number, started: () => void) {
  const handler = async ({ signal }: { signal: AbortSignal }) => {
    started();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, durationMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  };
  return demoTypesWith({ customer_sync: handler });
}

describe.each(providers)('graceful shutdown (%s)', (provider) => {
  it('lets a running handler finish within the grace period and stops claiming', async () => {
    let startedCount = 0;
    let onStart!: () => void;
    const started = new Promise<void>((resolve) => (onStart = resolve));
    const app = await startTestApp(
      provider,
      { SYNCBRIDGE_SHUTDOWN_GRACE_SECONDS: '5' },
      {
        ...gatedHandlers(300, () => {
          startedCount += 1;
          onStart();
        }),
      },
    );
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'g_1' });
    await started;
    await app.stop();
    // Reopen to read: the app closed its connection.
    const reopened = await (await import('../src/db/client.js')).openDatabase({ databaseUrl: app.testDatabase.url, databaseProvider: provider });
    try {
      expect(await reopened.db.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: 'SUCCEEDED', leaseOwner: null });
      expect(startedCount).toBe(1);
    } finally {
      await reopened.close();
      await app.testDatabase.drop();
    }
  });

  it('aborts handlers still running after the grace period and puts their jobs back, attempt recorded', async () => {
    const database = await createTestDatabase(provider);
    let onStart!: () => void;
    const started = new Promise<void>((resolve) => (onStart = resolve));
    const app = await startTestApp(provider, { SYNCBRIDGE_SHUTDOWN_GRACE_SECONDS: '0.1' }, { database, ...gatedHandlers(60_000, () => onStart()) });
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'g_2' });
    await started;
    await app.stop();
    // A new process picks the job up again.
    const next = await startTestApp(provider, {}, { database, ...gatedHandlers(10, () => {}) });
    try {
      const final = await waitForJob(next, job.id, (row) => row.status === 'SUCCEEDED');
      expect(final.attemptCount).toBe(2);
      const attempts = await next.database.db.attempt.findMany({ where: { jobId: job.id }, orderBy: { attemptNumber: 'asc' } });
      expect(attempts).toMatchObject([
        { attemptNumber: 1, success: false, errorType: 'WorkerShutdown' },
        { attemptNumber: 2, success: true },
      ]);
    } finally {
      await next.stop();
      await database.drop();
    }
  });

  it('a handler that ignores its abort: its attempt is recorded (uncharged, a sane duration) and the job goes back at once, not after its lease', async () => {
    const database = await createTestDatabase(provider);
    let onStart!: () => void;
    const started = new Promise<void>((resolve) => (onStart = resolve));
    // Never returns, never looks at its signal.
    const stubborn = demoTypesWith({
      customer_sync: () => {
        onStart();
        return new Promise<never>(() => {});
      },
    });
    // A lease of a minute: were the job left to its lease, it would still be RUNNING below.
    const app = await startTestApp(provider, { SYNCBRIDGE_SHUTDOWN_GRACE_SECONDS: '0.1', SYNCBRIDGE_JOB_LEASE_SECONDS: '60' }, { database, ...stubborn });
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'g_stubborn' });
    await started;
    await app.stop();
    const reopened = await openDatabase({ databaseUrl: database.url, databaseProvider: provider });
    try {
      const row = await reopened.db.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row).toMatchObject({ status: 'PENDING', leaseOwner: null, attemptCount: 1, unchargedAttempts: 1, lastErrorType: 'WorkerShutdown' });
      expect(row.nextRunAt.getTime()).toBeLessThanOrEqual(Date.now());
      const [attempt] = await reopened.db.attempt.findMany({ where: { jobId: job.id } });
      expect(attempt).toMatchObject({ attemptNumber: 1, success: false, errorType: 'WorkerShutdown' });
      // The handler ran for the grace period and the abort's grace: seconds, not an epoch-sized negative.
      expect(attempt!.durationMs).toBeGreaterThanOrEqual(100);
      expect(attempt!.durationMs).toBeLessThan(60_000);
      expect(app.logs.lines.some((line) => line.msg === 'the handler ignored its abort; attempt recorded and slot freed without it')).toBe(true);
    } finally {
      await reopened.close();
      await database.drop();
    }
  });
});
