/**
 * pg-boss under the benchmark protocol, with LISTEN/NOTIFY wake-ups (a notify-enabled queue). Its
 * way to run ten at once: one fetch loop taking batches of ten, run together, fetching again at
 * once while batches come back full (with one job per fetch it waits for the next NOTIFY or its
 * slow backstop poll, and a backlog never drains). Completion is pg-boss's own `completed` state.
 */
import { PgBoss } from 'pg-boss';
import pg from 'pg';
import { measure, report } from '../lib/measure.js';

const connectionString = process.env.BENCH_DB_URL!;
const boss = new PgBoss({ connectionString, useListenNotify: true });
boss.on('error', (error) => console.error('pg-boss', error));
await boss.start();
await boss.createQueue('noop', { notify: true });
const counter = new pg.Client({ connectionString });
await counter.connect();
let onStart = () => {};

const completedCount = async () => Number((await counter.query(`SELECT count(*) FROM pgboss.job WHERE name = 'noop' AND state = 'completed'`)).rows[0].count);

const result = await measure({
  enqueueBatch: async (_offset, count) => {
    await boss.insert(
      'noop',
      Array.from({ length: count }, () => ({ data: {} })),
    );
  },
  startWorker: async (concurrency, started) => {
    onStart = started;
    await boss.work('noop', { batchSize: concurrency, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      await Promise.all(jobs.map(async () => onStart()));
    });
  },
  completed: async (count) => {
    while ((await completedCount()) < count) await new Promise((resolve) => setTimeout(resolve, 5));
  },
  enqueueOne: async () => {
    await boss.send('noop', {});
  },
  stop: async () => {
    await boss.stop({ graceful: false });
    await counter.end();
  },
});
report(result);
process.exit(0);
