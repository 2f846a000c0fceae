/**
 * `npm run bench:coalesce`: a burst of 100,000 ifActive COALESCE enqueues over 1,000 entities
 * (batches of 1,000, each naming every entity once, a worker draining meanwhile, the type's
 * debounce 1 s: BENCH_DEBOUNCE_SECONDS) against the
 * plain bulk enqueue of 100,000 distinct entities, in the same run, on SQLite and PostgreSQL,
 * rounds alternating. Reports both rates, their ratio, the jobs made and the handler's runs.
 *
 *   BENCH_ROUNDS=3 BENCH_JOBS=100000 BENCH_KEYS=1000 npm run bench:coalesce
 *   BENCH_BEFORE=../previous-main npm run bench:coalesce   # also that checkout's plain bulk enqueue and burst,
 *                                                          # rounds interleaved: the ratio "against today's" is to its plain
 */
import { pgReachable, scratchPostgres, scratchSqlite, type Scratch } from './lib/databases.js';
import { runChild } from './lib/child.js';

/** A checkout of the previous main: its plain bulk enqueue is "today's rate" the burst is held to. */
const before = process.env.BENCH_BEFORE;
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
  type Mode = 'plain' | 'coalesce' | 'plain before' | 'coalesce before';
  const results: Record<Mode, Result[]> = { plain: [], coalesce: [], 'plain before': [], 'coalesce before': [] };
  for (let round = 0; round < rounds; round++) {
    const modes: Mode[] = before ? ['plain', 'coalesce', 'plain before', 'coalesce before'] : ['plain', 'coalesce'];
    const order = round % 2 ? modes.reverse() : modes;
    for (const mode of order) {
      const scratch = await database.scratch();
      try {
        const childEnv = { ...env, BENCH_MODE: mode.startsWith('coalesce') ? 'coalesce' : 'plain', BENCH_DB_URL: scratch.url };
        const result = await runChild<Result>('bench/systems/syncbridgeCoalesce.ts', childEnv, mode.endsWith('before') ? before : undefined);
        results[mode].push(result);
        console.log(`round ${round + 1}/${rounds} · ${database.name} · ${mode}: ${JSON.stringify(result)}`);
      } finally {
        await scratch.drop();
      }
    }
  }
  const plain = median(results.plain.map((result) => result.enqueuePerSecond));
  const coalesce = median(results.coalesce.map((result) => result.enqueuePerSecond));
  const plainBefore = before ? median(results['plain before'].map((result) => result.enqueuePerSecond)) : undefined;
  const coalesceBefore = before ? median(results['coalesce before'].map((result) => result.enqueuePerSecond)) : undefined;
  rows.push({
    database: database.name,
    'plain bulk enqueue, jobs/s': plain.toLocaleString('en'),
    ...(plainBefore === undefined ? {} : { 'previous main plain, jobs/s': plainBefore.toLocaleString('en') }),
    'COALESCE burst, enqueues/s': coalesce.toLocaleString('en'),
    ...(coalesceBefore === undefined ? {} : { 'previous main COALESCE burst': coalesceBefore.toLocaleString('en') }),
    'ratio (target ≥ 0.8)': (coalesce / plain).toFixed(2),
    ...(plainBefore === undefined ? {} : { 'ratio to previous main plain': (coalesce / plainBefore).toFixed(2) }),
    'jobs made': median(results.coalesce.map((result) => result.jobs)).toLocaleString('en'),
    'handler runs (target ≤ 2,000)': median(results.coalesce.map((result) => result.handlerRuns)).toLocaleString('en'),
    'idle after burst, s': median(results.coalesce.map((result) => result.idleSeconds)).toFixed(1),
  });
}
console.log(`\nCOALESCE burst: ${env.BENCH_JOBS} enqueues over ${env.BENCH_KEYS} entities, against the plain bulk enqueue (median of ${rounds})\n`);
console.table(rows);
process.exit(0);
