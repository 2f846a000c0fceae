/** Prefetched jobs: claimed ahead of free slots, started in order, never started once canceled. */
import { describe, expect, it } from 'vitest';
import { jobCancel } from '../src/queue/services/jobCancel.js';
import { jobEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { demoTypesWith, isFinal, providers, startTestApp, waitForJob } from './helpers.js';

describe.each(providers)('worker prefetch (%s)', (provider) => {
  it('a job canceled while waiting for a slot is never started; the others run in claim order', async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handlers = demoTypesWith({
      customer_sync: async ({ job }) => {
        started.push(job.entityId);
        if (job.entityId.startsWith('p_block')) await gate;
      },
    });
    // Two slots and a depth of two: with both slots busy, two jobs wait leased.
    const app = await startTestApp(provider, { SYNCBRIDGE_WORKER_CONCURRENCY: '2', SYNCBRIDGE_WORKER_PREFETCH: '2' }, { ...handlers });
    try {
      const blockers = [
        await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_block1' }),
        await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_block2' }),
      ];
      for (const blocker of blockers) await waitForJob(app, blocker.id, (job) => job.status === 'RUNNING');
      await expect.poll(() => started.length).toBe(2);
      const waiting = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_wait' });
      const canceled = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'p_cancel' });
      // Both are leased (prefetched) while the only slot is busy.
      await waitForJob(app, canceled.id, (job) => job.status === 'RUNNING');
      await waitForJob(app, waiting.id, (job) => job.status === 'RUNNING');
      await jobCancel(app.context, canceled.id);
      await waitForJob(app, canceled.id, (job) => job.leaseOwner === null);
      release();
      await waitForJob(app, waiting.id, isFinal);
      for (const blocker of blockers) await waitForJob(app, blocker.id, isFinal);
      expect(started).toEqual(['p_block1', 'p_block2', 'p_wait']);
      // It never ran: no attempt, nothing counted.
      expect(await app.database.db.attempt.count({ where: { jobId: canceled.id } })).toBe(0);
      expect(await app.database.db.job.findUniqueOrThrow({ where: { id: canceled.id } })).toMatchObject({ status: 'CANCELED', attemptCount: 0, leaseOwner: null });
    } finally {
      release();
      await app.close();
    }
  });
});
