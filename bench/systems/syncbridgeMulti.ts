/**
 * SyncBridge with BENCH_PROCESSES worker processes on one PostgreSQL database: the workers start
 * idle, then this process enqueues the jobs as fast as it can; timed from the first enqueue until
 * every job has SUCCEEDED (counted in the database).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { startSyncBridge } from '../../src/main.js';
import { jobsEnqueue } from '../../src/queue/services/jobsEnqueue.js';
import { report, settings } from '../lib/measure.js';

const url = process.env.BENCH_DB_URL!;
const processes = Number(process.env.BENCH_PROCESSES ?? 4);
const producer = await startSyncBridge(loadConfig({ DATABASE_URL: url, PORT: '0', SYNCBRIDGE_WORKER: 'off', LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
const workers: ChildProcess[] = [];
await Promise.all(
  Array.from({ length: processes }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/systems/syncbridgeWorker.ts'], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    workers.push(child);
    return new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on('line', (line) => line === 'READY' && resolve()));
  }),
);
const counter = new pg.Client({ connectionString: url });
await counter.connect();
const began = performance.now();
for (let i = 0; i < settings.jobs; i += settings.batch) {
  await jobsEnqueue(
    producer.context,
    Array.from({ length: Math.min(settings.batch, settings.jobs - i) }, (_, k) => ({ jobType: 'customer_sync', entityId: `multi_${i + k}` })),
  );
}
for (;;) {
  const { rows } = await counter.query(`SELECT count(*)::int AS n FROM "Job" WHERE "status" = 'SUCCEEDED'`);
  if (rows[0].n >= settings.jobs) break;
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const drainPerSecond = settings.jobs / ((performance.now() - began) / 1000);
await counter.end();
await Promise.all(workers.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')))));
await producer.stop();
report({ drainPerSecond });
process.exit(0);
