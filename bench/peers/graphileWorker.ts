/**
 * graphile-worker under the benchmark protocol. BENCH_GRAPHILE_LOCAL_QUEUE set: its batching
 * options (a local queue of that many jobs fetched ahead, completions and failures written in
 * batches); unset: its defaults. Completion is a job's row leaving the table (graphile deletes
 * finished jobs).
 */
import { makeWorkerUtils, run, type Runner } from 'graphile-worker';
import pg from 'pg';
import { measure, report } from '../lib/measure.js';

const connectionString = process.env.BENCH_DB_URL!;
const localQueue = process.env.BENCH_GRAPHILE_LOCAL_QUEUE ? Number(process.env.BENCH_GRAPHILE_LOCAL_QUEUE) : undefined;
const utils = await makeWorkerUtils({ connectionString });
await utils.migrate();
const counter = new pg.Client({ connectionString });
await counter.connect();
let runner: Runner | undefined;
let onStart = () => {};

const remaining = async () => Number((await counter.query('SELECT count(*) FROM graphile_worker._private_jobs')).rows[0].count);

const result = await measure({
  enqueueBatch: async (_offset, count) => {
    await utils.addJobs(Array.from({ length: count }, () => ({ identifier: 'noop', payload: {} })));
  },
  startWorker: async (concurrency, started) => {
    onStart = started;
    runner = await run({
      connectionString,
      concurrency,
      noHandleSignals: true,
      pollInterval: 1_000,
      taskList: { noop: async () => onStart() },
      logger: new (await import('graphile-worker')).Logger(() => () => {}),
      preset: localQueue ? { worker: { localQueue: { size: localQueue }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } : undefined,
    });
  },
  completed: async () => {
    while ((await remaining()) > 0) await new Promise((resolve) => setTimeout(resolve, 2));
  },
  enqueueOne: async () => {
    await utils.addJob('noop', {});
  },
  stop: async () => {
    await runner?.stop();
    await utils.release();
    await counter.end();
  },
});
report(result);
process.exit(0);
