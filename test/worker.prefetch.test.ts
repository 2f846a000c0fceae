/** Prefetched jobs: claimed ahead of free slots, started in order, never started once canceled. */
import { describe, expect, it } from 'vitest';
import { HandlerRegistry } from '../src/handlers/registry.js';
import { jobCancel } from '../src/queue/jobCancel.js';
import { jobEnqueue } from '../src/queue/jobsEnqueue.js';
import { isFinal, providers, startTestApp, waitForJob } from './helpers.js';

describe.each(providers)('worker prefetch (%s)', (provider) => {
  it('a job canceled while waiting for a slot is never started; the others run in claim order', async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handlers = new HandlerRegistry().register('customer_sync', 1, async ({ job }) => {
      started.push(job.entityId);
      if (job.entityId === 'p_block') await gate;
    });
    const app = await startTestApp(provider, { SYNCBRIDGE_WORKER_CONCURRENCY: '1', SYNCBRIDGE_WORKER_PREFETCH: '2' }, { handlers });
    try {
      const blocker = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_block' });
      await waitForJob(app, blocker.id, (job) => job.status === 'RUNNING');
      const waiting = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_wait' });
      const canceled = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_cancel' });
      // Both are leased (prefetched) while the only slot is busy.
      await waitForJob(app, canceled.id, (job) => job.status === 'RUNNING');
      await waitForJob(app, waiting.id, (job) => job.status === 'RUNNING');
      await jobCancel(app.context, canceled.id);
      await waitForJob(app, canceled.id, (job) => job.leaseOwner === null);
      release();
      await waitForJob(app, waiting.id, isFinal);
      await waitForJob(app, blocker.id, isFinal);
      expect(started).toEqual(['p_block', 'p_wait']);
      const attempts = await app.database.db.attempt.findMany({ where: { jobId: canceled.id } });
      expect(attempts).toMatchObject([{ attemptNumber: 1, success: false, errorType: 'Canceled' }]);
      expect((await app.database.db.job.findUniqueOrThrow({ where: { id: canceled.id } })).status).toBe('CANCELED');
    } finally {
      release();
      await app.close();
    }
  });
});
