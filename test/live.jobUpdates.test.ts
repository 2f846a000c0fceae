/** The slow-consumer policy: compaction to each job's latest state, then the subscriber is dropped. */
import { describe, expect, it } from 'vitest';
import type { Job } from '../src/db/client.js';
import { EventBus } from '../src/events/bus.js';
import { JobUpdateHub, SubscriberTooSlowError } from '../src/events/jobUpdates.js';

const job = (id: number, status: string, attemptCount: number): Job => ({ id, status, attemptCount, jobType: 'customer_sync', updatedAt: new Date() }) as Job;

describe('job update fan-out', () => {
  it('a subscriber that falls behind keeps the latest state of every job, in order', async () => {
    const bus = new EventBus();
    const hub = new JobUpdateHub(bus, 4);
    const subscription = hub.subscribe({});
    const emit = (row: Job) =>
      bus.emit('job:transitions', [{ jobId: row.id, from: null, to: row.status as 'PENDING', kind: 'enqueued', attemptNumber: 0, at: new Date(), job: row }]);
    emit(job(1, 'PENDING', 0));
    emit(job(1, 'RUNNING', 1));
    emit(job(2, 'PENDING', 0));
    emit(job(1, 'SUCCEEDED', 1));
    emit(job(2, 'RUNNING', 1)); // fifth update: over the limit of 4, compacted
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { value } = await subscription.next();
      seen.push(`${value!.id}:${value!.status}`);
    }
    expect(seen).toEqual(['1:SUCCEEDED', '2:RUNNING']);
    expect(subscription.coalesced).toBe(3);
    await subscription.return();
    expect(hub.size).toBe(0);
  });

  it('a subscriber more distinct jobs behind than its buffer is dropped with SubscriberTooSlowError', async () => {
    const bus = new EventBus();
    const hub = new JobUpdateHub(bus, 3);
    const subscription = hub.subscribe({ jobType: 'customer_sync' });
    for (let id = 1; id <= 4; id++)
      bus.emit('job:transitions', [{ jobId: id, from: null, to: 'PENDING', kind: 'enqueued', attemptNumber: 0, at: new Date(), job: job(id, 'PENDING', 0) }]);
    await expect(subscription.next()).rejects.toBeInstanceOf(SubscriberTooSlowError);
    await expect(subscription.next()).resolves.toEqual({ value: undefined, done: true });
    expect(hub.size).toBe(0);
  });

  it('delivers at once to a consumer that is waiting, and routes by id and filters', async () => {
    const bus = new EventBus();
    const hub = new JobUpdateHub(bus);
    const byId = hub.subscribe({ id: 7 });
    const failures = hub.subscribe({ statuses: ['FAILED'] });
    const pending = byId.next();
    bus.emit('job:transitions', [{ jobId: 7, from: 'RUNNING', to: 'FAILED', kind: 'failed', attemptNumber: 1, at: new Date(), job: job(7, 'FAILED', 1) }]);
    bus.emit('job:transitions', [{ jobId: 8, from: null, to: 'PENDING', kind: 'enqueued', attemptNumber: 0, at: new Date(), job: job(8, 'PENDING', 0) }]);
    expect((await pending).value!.id).toBe(7);
    expect((await failures.next()).value!.id).toBe(7);
    hub.close();
    expect(hub.size).toBe(0);
    expect(bus.listenerCount('job:transitions')).toBe(0);
  });
  it('drops a state crossed by newer news from another process, never one from the same process', async () => {
    const bus = new EventBus();
    const hub = new JobUpdateHub(bus, 100);
    const subscription = hub.subscribe({});
    const emit = (row: Job, origin?: string) =>
      bus.emit('job:transitions', [
        { jobId: row.id, from: null, to: row.status as 'PENDING', kind: 'enqueued', attemptNumber: row.attemptCount, at: new Date(), job: row, remote: Boolean(origin), origin },
      ]);
    // This process's enqueue commit is answered after a worker elsewhere ran the job and said so.
    emit(job(1, 'RUNNING', 1), 'worker-a');
    emit(job(1, 'FAILED', 1), 'worker-a');
    emit(job(1, 'PENDING', 0));
    // A retry made here, in order after the failure, then run again elsewhere.
    emit(job(1, 'PENDING', 1));
    emit(job(1, 'RUNNING', 2), 'worker-b');
    // One process putting back a job it claimed (uncharged) is news, though its attempts go down.
    emit(job(1, 'CANCELED', 1), 'worker-b');
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { value } = await subscription.next();
      seen.push(`${value!.status}:${value!.attemptCount}`);
    }
    expect(seen).toEqual(['RUNNING:1', 'FAILED:1', 'PENDING:1', 'RUNNING:2', 'CANCELED:1']);
    expect(hub.staleDropped).toBe(1);
    await subscription.return();
  });
});
