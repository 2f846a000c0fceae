/**
 * Queue benchmark: bulk enqueue, drain throughput and enqueue→start latency, on SQLite and (when
 * reachable) PostgreSQL, side by side in one run. No-op handler, worker concurrency 10, everything
 * a job normally does included (lease, attempt row, transition events). Sized for a 2-core machine;
 * stops by itself.   npm run bench   (BENCH_JOBS=20000 BENCH_PG_URL=postgresql://…/postgres)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig, type DatabaseProvider } from '../src/config/index.js';
import { HandlerRegistry } from '../src/handlers/registry.js';
import { jobsEnqueue } from '../src/queue/jobsEnqueue.js';
import { startSyncBridge, type SyncBridge } from '../src/main.js';

const jobs = Number(process.env.BENCH_JOBS ?? 20_000);
const latencySamples = Number(process.env.BENCH_LATENCY_SAMPLES ?? 300);
const pgServer = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

interface Result {
  provider: DatabaseProvider;
  enqueuePerSecond: number;
  drainPerSecond: number;
  latencyP50: number;
  latencyP99: number;
}

async function database(provider: DatabaseProvider): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
    return { url: `file:${join(dir, 'bench.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = new pg.Client({ connectionString: pgServer });
  try {
    await admin.connect();
  } catch {
    console.warn(`PostgreSQL not reachable at ${pgServer}: skipped`);
    return undefined;
  }
  const name = `sb_bench_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgServer);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: pgServer });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

async function start(url: string, worker: boolean, onStart: () => void): Promise<SyncBridge> {
  const handlers = new HandlerRegistry().register('customer_sync', 1, async () => onStart());
  const config = loadConfig({ DATABASE_URL: url, PORT: '0', SYNCBRIDGE_WORKER: worker ? 'on' : 'off', SYNCBRIDGE_WORKER_CONCURRENCY: '10', LOG_LEVEL: 'silent', SYNCBRIDGE_WORKER_POLL_SECONDS: '1' });
  return startSyncBridge(config, { handlers, logger: pino({ level: 'silent' }) });
}

function waitForSucceeded(app: SyncBridge, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const off = app.bus.on('job:transition', (transition) => {
      if (transition.to === 'SUCCEEDED' && ++seen === count) {
        off();
        resolve();
      }
    });
  });
}

async function run(provider: DatabaseProvider): Promise<Result | undefined> {
  const db = await database(provider);
  if (!db) return undefined;
  try {
    // 1. Bulk enqueue, worker off.
    const producer = await start(db.url, false, () => {});
    const inputs = Array.from({ length: jobs }, (_, i) => ({ jobType: 'customer_sync', entityId: `bench_${i}` }));
    let began = performance.now();
    for (let i = 0; i < inputs.length; i += 5_000) await jobsEnqueue(producer.context, inputs.slice(i, i + 5_000));
    const enqueuePerSecond = jobs / ((performance.now() - began) / 1000);
    await producer.stop();

    // 2. Drain the backlog with one worker process.
    let started = 0;
    let startedAt = 0;
    const consumer = await start(db.url, true, () => {
      started += 1;
      startedAt = performance.now();
    });
    began = performance.now();
    await waitForSucceeded(consumer, jobs);
    const drainPerSecond = jobs / ((performance.now() - began) / 1000);

    // 3. Enqueue → handler start on an idle worker, one job at a time.
    const latencies: number[] = [];
    for (let i = 0; i < latencySamples; i++) {
      const before = started;
      const t0 = performance.now();
      await jobsEnqueue(consumer.context, [{ jobType: 'customer_sync', entityId: `latency_${i}` }]);
      while (started === before) await new Promise((resolve) => setImmediate(resolve));
      latencies.push(startedAt - t0);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await consumer.stop();
    return { provider, enqueuePerSecond, drainPerSecond, latencyP50: percentile(latencies, 50), latencyP99: percentile(latencies, 99) };
  } finally {
    await db.drop();
  }
}

const results: Result[] = [];
for (const provider of ['sqlite', 'postgresql'] as const) {
  const result = await run(provider);
  if (result) results.push(result);
}
console.log(`\nSyncBridge queue benchmark: ${jobs} jobs, no-op handler, concurrency 10, node ${process.version}\n`);
console.table(
  results.map((r) => ({
    database: r.provider,
    'bulk enqueue (jobs/s)': Math.round(r.enqueuePerSecond),
    'drain (jobs/s)': Math.round(r.drainPerSecond),
    'enqueue→start p50 (ms)': r.latencyP50.toFixed(2),
    'enqueue→start p99 (ms)': r.latencyP99.toFixed(2),
  })),
);
console.log('Targets (SPEC): drain ≥ 17k/s SQLite, ≥ 12k/s PostgreSQL; bulk enqueue ≥ 60k/s; start p50 ≤ 2 ms, p99 ≤ 5 ms.');
