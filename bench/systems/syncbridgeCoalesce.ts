/**
 * One measurement of bench/coalesce.ts in its own process, against BENCH_DB_URL:
 *   BENCH_MODE=plain     BENCH_JOBS enqueues of distinct entities (REJECT, today's bulk path), no worker
 *   BENCH_MODE=coalesce  BENCH_JOBS COALESCE enqueues over BENCH_KEYS entities, in batches that each
 *                        name every key once, while a worker (no-op handler, concurrency 10) drains;
 *                        the type's debounce BENCH_DEBOUNCE_SECONDS (default 1);
 *                        then waits for the queue to be idle and counts the handler's runs
 * Prints `RESULT {"enqueuePerSecond", "handlerRuns", "jobs", "idleSeconds"}`.
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { defineJobType } from '../../src/index.js';
import { startSyncBridge } from '../../src/main.js';
import { jobsEnqueue } from '../../src/queue/services/jobsEnqueue.js';
import type { Worker } from '../../src/queue/worker/worker.js';
import { benchWorker } from '../lib/worker.js';

const mode = process.env.BENCH_MODE ?? 'plain';
const total = Number(process.env.BENCH_JOBS ?? 100_000);
const keys = Number(process.env.BENCH_KEYS ?? 1_000);
const batch = 1_000;
const config = loadConfig({ DATABASE_URL: process.env.BENCH_DB_URL, PORT: '0', SYNCBRIDGE_WORKER: 'off', LOG_LEVEL: 'silent' });
const logger = pino({ level: 'silent' });
let handlerRuns = 0;
// A burst of changes is what a debounce is for: each entity's job starts 1 s after its latest change.
const debounceSeconds = Number(process.env.BENCH_DEBOUNCE_SECONDS ?? 1);
const type = defineJobType({
  name: 'customer_sync',
  ifActive: mode === 'coalesce' ? 'coalesce' : 'reject',
  debounceSeconds: mode === 'coalesce' ? debounceSeconds : 0,
  handler: () => void (handlerRuns += 1),
});
const app = await startSyncBridge(config, { logger, jobTypes: [type] });

let worker: Worker | undefined;
if (mode === 'coalesce') {
  worker = benchWorker(app, config, logger);
  await worker.start();
}

const began = performance.now();
for (let offset = 0; offset < total; offset += batch) {
  const inputs = Array.from({ length: Math.min(batch, total - offset) }, (_, i) => ({
    jobType: 'customer_sync',
    entityId: mode === 'coalesce' ? `key_${(offset + i) % keys}` : `bench_${offset + i}`,
    payload: undefined,
  }));
  const results = await jobsEnqueue(app.context, inputs);
  if (results.some((result) => !result.ok)) throw new Error(`an enqueue failed: ${JSON.stringify(results.find((result) => !result.ok))}`);
}
const enqueueSeconds = (performance.now() - began) / 1000;

let idleSeconds = 0;
if (worker) {
  const idleFrom = performance.now();
  while ((await app.database.db.job.count({ where: { status: { in: ['PENDING', 'RUNNING'] } } })) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  idleSeconds = (performance.now() - idleFrom) / 1000;
  await worker.stop();
}
const jobs = await app.database.db.job.count();
await app.stop();
console.log(`RESULT ${JSON.stringify({ enqueuePerSecond: Math.round(total / enqueueSeconds), handlerRuns, jobs, idleSeconds })}`);
process.exit(0);
