/**
 * `npm run bench`: SyncBridge and the Node job queues people compare it with, side by side in one
 * run on this machine, each in its own child process with a clean database (or Redis db index):
 * SyncBridge on PostgreSQL and on SQLite, graphile-worker (defaults, and with its batching
 * options), pg-boss (LISTEN/NOTIFY) and BullMQ (the machine's Redis). Same protocol for all
 * (bench/lib/measure.ts): no-op handler, concurrency 10, 20,000 jobs. Then SyncBridge with 1 and
 * 4 worker processes on one PostgreSQL database, and the GraphQL read load against SyncBridge and
 * a stock Yoga server. Loopback only; every part is bounded in time and cleans up after itself.
 *
 *   BENCH_JOBS=20000 BENCH_ROUNDS=3 BENCH_ONLY=queue|multi|reads npm run bench
 *   BENCH_BEFORE=../previous-main npm run bench    # also SyncBridge from that checkout (built, its own
 *                                                  # bench/systems/syncbridge.ts), rounds interleaved
 *
 * The peers are dependencies of bench/ only (installed on first run into bench/node_modules).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { pgReachable, scratchPostgres, scratchSqlite, type Scratch } from './lib/databases.js';
import { settings, type QueueResult } from './lib/measure.js';
import { runChild } from './lib/child.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(benchDir, 'node_modules', 'graphile-worker'))) {
  console.log('Installing the peers into bench/node_modules (once)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', benchDir], { stdio: 'inherit' });
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
/** Only the systems whose name contains one of these (comma-separated), e.g. BENCH_SYSTEMS=SyncBridge,BullMQ. */
const systemFilter = process.env.BENCH_SYSTEMS?.split(',').map((part) => part.trim().toLowerCase());
const only = new Set((process.env.BENCH_ONLY ?? 'queue,multi,reads').split(','));

interface System {
  name: string;
  file: string;
  database: 'postgresql' | 'sqlite' | 'redis';
  env?: Record<string, string>;
  /** Another checkout to run it from (BENCH_BEFORE). */
  cwd?: string;
}

/** A checkout of the previous main, measured beside this one in the same run. */
const before = process.env.BENCH_BEFORE;

// The same depth of jobs fetched ahead as SyncBridge's default SYNCBRIDGE_WORKER_PREFETCH (its most).
const graphileLocalQueue = process.env.BENCH_GRAPHILE_LOCAL_QUEUE ?? '500';
const systems: System[] = [
  { name: 'SyncBridge (PostgreSQL)', file: 'bench/systems/syncbridge.ts', database: 'postgresql' },
  { name: 'SyncBridge (SQLite)', file: 'bench/systems/syncbridge.ts', database: 'sqlite' },
  ...(before
    ? [
        { name: 'SyncBridge before (PostgreSQL)', file: 'bench/systems/syncbridge.ts', database: 'postgresql' as const, cwd: before },
        { name: 'SyncBridge before (SQLite)', file: 'bench/systems/syncbridge.ts', database: 'sqlite' as const, cwd: before },
      ]
    : []),
  { name: 'graphile-worker 0.18 (defaults)', file: 'bench/peers/graphileWorker.ts', database: 'postgresql' },
  {
    name: `graphile-worker 0.18 (localQueue ${graphileLocalQueue}, batched completion)`,
    file: 'bench/peers/graphileWorker.ts',
    database: 'postgresql',
    env: { BENCH_GRAPHILE_LOCAL_QUEUE: graphileLocalQueue },
  },
  { name: 'pg-boss 12 (LISTEN/NOTIFY)', file: 'bench/peers/pgBoss.ts', database: 'postgresql' },
  { name: 'BullMQ 6 (Redis)', file: 'bench/peers/bullmq.ts', database: 'redis' },
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const figure = (values: number[], digits = 0) => {
  const fmt = (v: number) => (digits ? v.toFixed(digits) : Math.round(v).toLocaleString('en-US'));
  return values.length > 1 ? `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})` : fmt(values[0]!);
};

async function scratchFor(database: System['database']): Promise<Scratch | undefined> {
  if (database === 'sqlite') return scratchSqlite();
  if (database === 'postgresql') return scratchPostgres();
  return undefined;
}

async function queueSection(havePg: boolean) {
  const results = new Map<string, QueueResult[]>();
  for (let round = 1; round <= rounds; round++) {
    // Every other round in reverse order: no system always runs first, or always after the same one.
    for (const system of round % 2 ? systems : [...systems].reverse()) {
      if (system.database === 'postgresql' && !havePg) continue;
      if (systemFilter && !systemFilter.some((part) => system.name.toLowerCase().includes(part))) continue;
      const scratch = await scratchFor(system.database);
      process.stdout.write(`round ${round}/${rounds}: ${system.name}… `);
      try {
        const result = await runChild<QueueResult>(system.file, { ...system.env, ...(scratch ? { BENCH_DB_URL: scratch.url } : {}) }, system.cwd);
        results.set(system.name, [...(results.get(system.name) ?? []), result]);
        console.log(`${Math.round(result.drainPerSecond)} jobs/s`);
      } catch (error) {
        console.log(`failed: ${(error as Error).message}`);
      } finally {
        await scratch?.drop();
      }
    }
  }
  const of = (name: string, key: keyof QueueResult) => (results.get(name) ?? []).map((r) => r[key]);
  console.log(
    `\nQueues: ${settings.jobs} no-op jobs, concurrency ${settings.concurrency}, ${rounds} round(s) (median, min–max); node ${process.version}, ${cpus().length} cores\n`,
  );
  console.table(
    [...results.keys()].map((name) => ({
      system: name,
      'bulk enqueue jobs/s': figure(of(name, 'enqueuePerSecond')),
      'drain jobs/s': figure(of(name, 'drainPerSecond')),
      'start p50 ms': figure(of(name, 'latencyP50'), 2),
      'start p99 ms': figure(of(name, 'latencyP99'), 2),
      'client CPU (cores)': figure(of(name, 'drainCpuCores'), 2),
      'client RSS MB': figure(of(name, 'rssMb')),
    })),
  );
  const sb = (database: string) => `SyncBridge (${database})`;
  const ratios = [...results.keys()]
    .filter((name) => !name.startsWith('SyncBridge'))
    .map((name) => {
      const row: Record<string, string> = { peer: name };
      for (const database of ['PostgreSQL', 'SQLite']) {
        if (!results.has(sb(database))) continue;
        const ratio = (key: keyof QueueResult, inverse = false) => {
          const ours = median(of(sb(database), key));
          const theirs = median(of(name, key));
          return `${(inverse ? theirs / ours : ours / theirs).toFixed(2)}×`;
        };
        row[`${database}: drain`] = ratio('drainPerSecond');
        row[`${database}: enqueue`] = ratio('enqueuePerSecond');
        row[`${database}: p50 (peer ÷ ours)`] = ratio('latencyP50', true);
      }
      return row;
    });
  console.log('\nSyncBridge ÷ peer (above 1×: SyncBridge is faster)\n');
  console.table(ratios);
  if (before) {
    const rows = ['PostgreSQL', 'SQLite']
      .filter((database) => results.has(sb(database)) && results.has(`SyncBridge before (${database})`))
      .map((database) => {
        const ratio = (key: keyof QueueResult, inverse = false) => {
          const ours = median(of(sb(database), key));
          const theirs = median(of(`SyncBridge before (${database})`, key));
          return `${(inverse ? theirs / ours : ours / theirs).toFixed(3)}×`;
        };
        return { database, drain: ratio('drainPerSecond'), 'bulk enqueue': ratio('enqueuePerSecond'), 'p50 (before ÷ now)': ratio('latencyP50', true) };
      });
    console.log(`\nThis checkout ÷ ${before} (above 1×: this checkout is faster)\n`);
    console.table(rows);
  }
}

async function multiSection() {
  const rows: Record<string, string>[] = [];
  const rates = new Map<number, number[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const processes of [1, 4]) {
      const scratch = await scratchPostgres();
      try {
        const result = await runChild<{ drainPerSecond: number }>('bench/systems/syncbridgeMulti.ts', { BENCH_DB_URL: scratch.url, BENCH_PROCESSES: String(processes) });
        rates.set(processes, [...(rates.get(processes) ?? []), result.drainPerSecond]);
        console.log(`round ${round}/${rounds}: ${processes} worker process(es): ${Math.round(result.drainPerSecond)} jobs/s`);
      } finally {
        await scratch.drop();
      }
    }
  }
  for (const [processes, values] of rates)
    rows.push({ 'worker processes': String(processes), 'drain jobs/s': figure(values), 'vs one process': `${(median(values) / median(rates.get(1)!)).toFixed(2)}×` });
  console.log(`\nSyncBridge on one PostgreSQL database, ${settings.jobs} jobs enqueued while the workers run\n`);
  console.table(rows);
}

async function readsSection() {
  const result = await runChild<Record<string, { requestsPerSecond: number; p99: number; p50: number }[]>>('bench/reads.ts', { BENCH_ROUNDS: String(rounds) });
  console.log('\nGraphQL reads: 50 connections, autocannon in its own process (median, min–max)\n');
  const table = Object.entries(result).map(([name, runs]) => ({
    'server · query': name,
    'req/s': figure(runs.map((r) => r.requestsPerSecond)),
    'p50 ms': figure(
      runs.map((r) => r.p50),
      1,
    ),
    'p99 ms': figure(
      runs.map((r) => r.p99),
      1,
    ),
  }));
  console.table(table);
  for (const query of ['job(id)', 'jobs(first: 50) with attempts']) {
    const ours = result[`SyncBridge · ${query}`];
    const stock = result[`stock Yoga (in-memory) · ${query}`];
    if (ours && stock)
      console.log(`${query}: SyncBridge ÷ stock Yoga = ${(median(ours.map((r) => r.requestsPerSecond)) / median(stock.map((r) => r.requestsPerSecond))).toFixed(2)}×`);
  }
}

const havePg = await pgReachable();
if (!havePg) console.warn('PostgreSQL is not reachable: its rows are skipped.');
if (only.has('queue')) await queueSection(havePg);
if (only.has('multi') && havePg) await multiSection();
if (only.has('reads')) await readsSection();
