/**
 * BullMQ under the benchmark protocol, on the machine's Redis (its own db index, flushed before
 * and after). Completion is BullMQ's `completed` event (the job moved to completed in Redis).
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { measure, report } from '../lib/measure.js';

const url = new URL(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const connection = { host: url.hostname, port: Number(url.port || 6379), db: Number(process.env.BENCH_REDIS_DB ?? 7) };
const admin = new Redis(connection);
await admin.flushdb();
const queue = new Queue('bench', { connection });
let worker: Worker | undefined;
let done = 0;
let waiting: { count: number; resolve: () => void } | undefined;

const result = await measure({
  enqueueBatch: async (offset, count) => {
    await queue.addBulk(Array.from({ length: count }, (_, i) => ({ name: 'noop', data: { i: offset + i }, opts: { removeOnComplete: true } })));
  },
  startWorker: async (concurrency, started) => {
    worker = new Worker('bench', async () => started(), { connection, concurrency });
    worker.on('completed', () => {
      done += 1;
      if (waiting && done >= waiting.count) waiting.resolve();
    });
  },
  completed: (count) => new Promise<void>((resolve) => (done >= count ? resolve() : (waiting = { count, resolve }))),
  enqueueOne: async (index) => {
    await queue.add('noop', { latency: index }, { removeOnComplete: true });
  },
  stop: async () => {
    await worker?.close();
    await queue.close();
    await admin.flushdb();
    admin.disconnect();
  },
});
report(result);
process.exit(0);
