/**
 * `npm run bench:coalesce`: a burst of 100,000 ifActive COALESCE enqueues over 1,000 entities
 * (batches of 1,000, each naming every entity once, a worker draining meanwhile, the type's
 * debounce 1 s: BENCH_DEBOUNCE_SECONDS) against the
 * plain bulk enqueue of 100,000 distinct entities, in the same run, on SQLite and PostgreSQL,
 * rounds alternating. Reports both rates, their ratio, the jobs made and the handler's runs.
 *
 *   BENCH_ROUNDS=3 BENCH_JOBS=100000 BENCH_KEYS=1000 npm run bench:coalesce
 */
import { pgReachable, scratchPostgres, scratchSqlite, type Scratch } from './lib/databases.js';
import { runChild } from './lib/child.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const env = { BENCH_JOBS: process.env.BENCH_JOBS ?? '100000', BENCH_KEYS: process.env.BENCH_KEYS ?? '1000' };
interface Result {
  enqueuePerSecond: number;
  handlerRuns: number;
  jobs: number;
  idleSeconds: number;
}

const databases: { name: string; scratch: () => Promise<Scratch> | Scratch }[] = [{ name: 'SQLite', scratch: scratchSqlite }];
if (await pgReachable()) databases.push({ name: 'PostgreSQL', scratch: scratchPostgres });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rows: Record<string, string | number>[] = [];
for (const database of databases) {
  const results: Record<'plain' | 'coalesce', Result[]> = { plain: [], coalesce: [] };
  for (let round = 0; round < rounds; round++) {
    const order: ('plain' | 'coalesce')[] = round % 2 ? ['coalesce', 'plain'] : ['plain', 'coalesce'];
    for (const mode of order) {
      const scratch = await database.scratch();
      try {
        const result = await runChild<Result>('bench/systems/syncbridgeCoalesce.ts', { ...env, BENCH_MODE: mode, BENCH_DB_URL: scratch.url });
        results[mode].push(result);
        console.log(`round ${round + 1}/${rounds} · ${database.name} · ${mode}: ${JSON.stringify(result)}`);
      } finally {
        await scratch.drop();
      }
    }
  }
  const plain = median(results.plain.map((result) => result.enqueuePerSecond));
  const coalesce = median(results.coalesce.map((result) => result.enqueuePerSecond));
  rows.push({
    database: database.name,
    'plain bulk enqueue, jobs/s': plain.toLocaleString('en'),
    'COALESCE burst, enqueues/s': coalesce.toLocaleString('en'),
    'ratio (target ≥ 0.8)': (coalesce / plain).toFixed(2),
    'jobs made': median(results.coalesce.map((result) => result.jobs)).toLocaleString('en'),
    'handler runs (target ≤ 2,000)': median(results.coalesce.map((result) => result.handlerRuns)).toLocaleString('en'),
    'idle after burst, s': median(results.coalesce.map((result) => result.idleSeconds)).toFixed(1),
  });
}
console.log(`\nCOALESCE burst: ${env.BENCH_JOBS} enqueues over ${env.BENCH_KEYS} entities, against the plain bulk enqueue (median of ${rounds})\n`);
console.table(rows);
process.exit(0);
