/**
 * GraphQL read load: SyncBridge (SQLite, worker off, 1,000 jobs with three attempts each) and the
 * stock Yoga recipe answering the same queries from memory (peers/stockYoga.ts), each server in
 * its own process, autocannon (50 connections) in this one. Prints one RESULT line.
 *   BENCH_READ_SECONDS=10 BENCH_ROUNDS=1
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { startSyncBridge } from '../src/main.js';
import { scratchSqlite } from './lib/databases.js';
import { report } from './lib/measure.js';

const seconds = Number(process.env.BENCH_READ_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
const scratch = scratchSqlite();

// Seed through the service's own schema (migrations applied at start).
const seeder = await startSyncBridge(loadConfig({ DATABASE_URL: scratch.url, PORT: '0', SYNCBRIDGE_WORKER: 'off', LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
const now = new Date();
for (let i = 0; i < 1_000; i++) {
  await seeder.database.db.job.create({
    data: {
      jobType: 'customer_sync',
      sourceSystem: 'crm',
      targetSystem: 'billing',
      entityType: 'customer',
      entityId: `read_${i}`,
      status: 'SUCCEEDED',
      priority: 1,
      maxRetries: 3,
      attemptCount: 3,
      correlationId: `c-${i}`,
      nextRunAt: now,
      createdAt: now,
      attempts: {
        create: [1, 2, 3].map((n) => ({ attemptNumber: n, startedAt: now, finishedAt: now, success: n === 3, errorType: n === 3 ? null : 'UpstreamTimeout', durationMs: 12 })),
      },
    },
  });
}
await seeder.stop();

function server(args: string[], env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args[0]} did not start within 30 s`));
    }, 30_000);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('READY') || line.includes('SyncBridge listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

const queries = {
  'job(id)': { query: 'query ($id: ID!) { job(id: $id) { id status attemptCount updatedAt } }', variables: { id: '500' } },
  'jobs(first: 50) with attempts': {
    query: '{ jobs(first: 50) { edges { node { id status attemptCount updatedAt attempts { id attemptNumber success errorType durationMs } } } } }',
  },
};

const servers = [
  { name: 'SyncBridge', port: 4601, start: () => server(['src/start.ts'], { DATABASE_URL: scratch.url, PORT: '4601', SYNCBRIDGE_WORKER: 'off', LOG_LEVEL: 'info' }) },
  { name: 'stock Yoga (in-memory)', port: 4602, start: () => server(['bench/peers/stockYoga.ts'], { PORT: '4602' }) },
];

const results: Record<string, { requestsPerSecond: number; p50: number; p99: number }[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const { name, port, start } of servers) {
    const child = await start();
    try {
      for (const [label, body] of Object.entries(queries)) {
        const request = { url: `http://127.0.0.1:${port}/graphql`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
        await autocannon({ ...request, connections: 50, duration: 1 }); // warm-up
        const result = await autocannon({ ...request, connections: 50, duration: seconds });
        if (result.non2xx || result.errors) throw new Error(`${name} ${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        (results[`${name} · ${label}`] ??= []).push({ requestsPerSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 });
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}
await scratch.drop();
report(results);
process.exit(0);
