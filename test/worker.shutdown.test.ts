/** Graceful shutdown: running handlers finish within the grace period, or are aborted and released. */
import { describe, expect, it } from 'vitest';
import { HandlerRegistry } from '../src/handlers/registry.js';
import { jobEnqueue } from '../src/queue/jobsEnqueue.js';
import { createTestDatabase, providers, startTestApp, waitForJob } from './helpers.js';

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
  return new HandlerRegistry().register('customer_sync', 1, handler);
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
        handlers: gatedHandlers(300, () => {
          startedCount += 1;
          onStart();
        }),
      },
    );
    const db = app.database.db;
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'g_1' });
    await started;
    await app.stop();
    const { PrismaClient } =
      app.database.dialect.provider === 'sqlite' ? await import('../src/db/generated/sqlite/client.js') : await import('../src/db/generated/postgresql/client.js');
    void PrismaClient;
    // Reopen to read: the app closed its connection.
    const reopened = await (await import('../src/db/client.js')).openDatabase({ databaseUrl: app.testDatabase.url, databaseProvider: provider });
    try {
      expect(await reopened.db.job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: 'SUCCEEDED', leaseOwner: null });
      expect(startedCount).toBe(1);
    } finally {
      await reopened.close();
      await app.testDatabase.drop();
    }
    void db;
  });

  it('aborts handlers still running after the grace period and puts their jobs back, attempt recorded', async () => {
    const database = await createTestDatabase(provider);
    let onStart!: () => void;
    const started = new Promise<void>((resolve) => (onStart = resolve));
    const app = await startTestApp(provider, { SYNCBRIDGE_SHUTDOWN_GRACE_SECONDS: '0.1' }, { database, handlers: gatedHandlers(60_000, () => onStart()) });
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'g_2' });
    await started;
    const began = Date.now();
    await app.stop();
    expect(Date.now() - began).toBeLessThan(3_000);
    // A new process picks the job up again.
    const next = await startTestApp(provider, {}, { database, handlers: gatedHandlers(10, () => {}) });
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
});
