/**
 * SyncBridge under the benchmark protocol (bench/lib/measure.ts): the service started as usual
 * (migrations, HTTP server, live channel: NOTIFY on PostgreSQL), the worker started on it for the
 * drain. No-op handler; everything a job normally does is included (lease, attempt row, events).
 *   BENCH_DB_URL=file:… | postgresql://…
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { defineJobType } from '../../src/index.js';
import { startSyncBridge } from '../../src/main.js';
import { jobsEnqueue } from '../../src/queue/services/jobsEnqueue.js';
import type { Worker } from '../../src/queue/worker/worker.js';
import { benchWorker } from '../lib/worker.js';
import { measure, report } from '../lib/measure.js';

const config = loadConfig({
  DATABASE_URL: process.env.BENCH_DB_URL,
  PORT: '0',
  SYNCBRIDGE_WORKER: 'off',
  LOG_LEVEL: 'silent',
  ...(process.env.BENCH_SYNCBRIDGE_ENV ? JSON.parse(process.env.BENCH_SYNCBRIDGE_ENV) : {}),
});
let onStart = () => {};
const logger = pino({ level: 'silent' });
const app = await startSyncBridge(config, { logger, jobTypes: [defineJobType({ name: 'customer_sync', handler: () => onStart() })] });
let worker: Worker | undefined;

const result = await measure({
  enqueueBatch: async (offset, count) => {
    await jobsEnqueue(
      app.context,
      Array.from({ length: count }, (_, i) => ({ jobType: 'customer_sync', entityId: `bench_${offset + i}` })),
    );
  },
  startWorker: async (concurrency, started) => {
    onStart = started;
    worker = benchWorker(app, config, logger, concurrency);
    await worker.start();
  },
  completed: (count) =>
    new Promise<void>((resolve) => {
      let seen = 0;
      const off = app.bus.on('job:transitions', (transitions) => {
        for (const transition of transitions) if (transition.to === 'SUCCEEDED') seen += 1;
        if (seen >= count) {
          off();
          resolve();
        }
      });
    }),
  enqueueOne: async (index) => {
    await jobsEnqueue(app.context, [{ jobType: 'customer_sync', entityId: `latency_${index}` }]);
  },
  stop: async () => {
    await worker?.stop();
    await app.stop();
  },
});
report(result);
process.exit(0);
