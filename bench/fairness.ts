/**
 * `npm run bench:fairness`: fair share between groups, on SQLite and PostgreSQL, rounds alternating.
 * One group of 50,000 no-op jobs and 100 groups of 100, all enqueued before the worker starts:
 * the small groups' p99 time to finish against what they take with the big group absent (target
 * ≤ 1.5×), and the whole drain against the ungrouped drain of the same 60,000 jobs (target ≥ 0.9×).
 * The ungrouped drain against the previous main is the queue bench's (`BENCH_BEFORE=… npm run bench`).
 *
 *   BENCH_ROUNDS=3 BENCH_BIG=50000 BENCH_GROUPS=100 BENCH_SMALL=100 npm run bench:fairness
 */
import { pgReachable, scratchPostgres, scratchSqlite, type Scratch } from './lib/databases.js';
import { runChild } from './lib/child.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const env = { BENCH_BIG: process.env.BENCH_BIG ?? '50000', BENCH_GROUPS: process.env.BENCH_GROUPS ?? '100', BENCH_SMALL: process.env.BENCH_SMALL ?? '100' };
interface Result {
  jobs: number;
  drainPerSecond: number;
  smallP99Ms: number;
  smallP50Ms: number;
}

const databases: { name: string; scratch: () => Promise<Scratch> | Scratch }[] = [{ name: 'SQLite', scratch: scratchSqlite }];
if (await pgReachable()) databases.push({ name: 'PostgreSQL', scratch: scratchPostgres });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rows: Record<string, string>[] = [];
for (const database of databases) {
  type Mode = 'grouped' | 'small' | 'ungrouped';
  const results: Record<Mode, Result[]> = { grouped: [], small: [], ungrouped: [] };
  for (let round = 0; round < rounds; round++) {
    const modes: Mode[] = ['grouped', 'small', 'ungrouped'];
    for (const mode of round % 2 ? modes.reverse() : modes) {
      const scratch = await database.scratch();
      try {
        const result = await runChild<Result>('bench/systems/syncbridgeFairness.ts', { ...env, BENCH_MODE: mode, BENCH_DB_URL: scratch.url });
        results[mode].push(result);
        console.log(`round ${round + 1}/${rounds} · ${database.name} · ${mode}: ${JSON.stringify(result)}`);
      } finally {
        await scratch.drop();
      }
    }
  }
  const of = (mode: Mode, key: keyof Result) => median(results[mode].map((result) => result[key]));
  rows.push({
    database: database.name,
    'small p99 with the big group, ms': of('grouped', 'smallP99Ms').toLocaleString('en'),
    'small p99 alone, ms': of('small', 'smallP99Ms').toLocaleString('en'),
    'ratio (target ≤ 1.5)': (of('grouped', 'smallP99Ms') / of('small', 'smallP99Ms')).toFixed(2),
    'grouped drain, jobs/s': of('grouped', 'drainPerSecond').toLocaleString('en'),
    'ungrouped drain, jobs/s': of('ungrouped', 'drainPerSecond').toLocaleString('en'),
    'ratio (target ≥ 0.9)': (of('grouped', 'drainPerSecond') / of('ungrouped', 'drainPerSecond')).toFixed(2),
  });
}
console.log(`\nFair share: one group of ${env.BENCH_BIG} and ${env.BENCH_GROUPS} groups of ${env.BENCH_SMALL} no-op jobs, one worker of 10 (median of ${rounds})\n`);
console.table(rows);
process.exit(0);
