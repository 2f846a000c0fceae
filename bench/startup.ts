/**
 * `npm run bench:startup`: how long the service takes from `node` starting to /readyz answering
 * 200, and its memory then, for the compiled build (`npm start` now: node dist/start.js) against
 * the TypeScript sources through tsx (`npm start` before the build step, `npm run dev` now), side
 * by side and interleaved in one run. Three cases: a fresh SQLite file (every migration applied
 * at start-up), an existing one, and an existing PostgreSQL database. Needs the build
 * (`npm install` or `npm run build`).
 *
 *   STARTUP_ROUNDS=7 npm run bench:startup
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pgReachable, scratchPostgres, scratchSqlite, type Scratch } from './lib/databases.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.env.STARTUP_ROUNDS ?? 7);
if (!existsSync(join(root, 'dist/start.js'))) throw new Error('dist/start.js is missing: run npm run build first');

/** STARTUP_BEFORE=<another checkout, e.g. a worktree of an older commit>: its `npm start` of then (tsx) joins the comparison. */
const before = process.env.STARTUP_BEFORE;
const entries: { name: string; args: string[]; cwd?: string }[] = [
  { name: 'compiled (node dist/start.js)', args: ['dist/start.js'] },
  { name: 'tsx (node --import tsx src/start.ts)', args: ['--import', 'tsx', 'src/start.ts'] },
  ...(before ? [{ name: `tsx in ${before}`, args: ['--import', 'tsx', 'src/start.ts'], cwd: before }] : []),
];

interface Sample {
  readyMs: number;
  rssMb: number;
}

/** Starts the entry, waits for /readyz 200, reads its RSS, stops it. */
function startOnce({ args, cwd }: { args: string[]; cwd?: string }, databaseUrl: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: cwd ?? root,
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'info', SYNCBRIDGE_WORKER_POLL_SECONDS: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} was not ready within 60 s`));
    }, 60_000);
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((text) => text.includes('SyncBridge listening'));
      if (!line) return;
      buffered = '';
      const url = (JSON.parse(line) as { url: string }).url;
      const poll = async (): Promise<void> => {
        const response = await fetch(`${url}/readyz`).catch(() => undefined);
        if (response?.status !== 200) {
          await new Promise((next) => setTimeout(next, 5));
          return poll();
        }
        const readyMs = performance.now() - started;
        const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
        clearTimeout(timeout);
        child.once('exit', () => resolve({ readyMs, rssMb: rssKb / 1024 }));
        child.kill('SIGTERM');
      };
      poll().catch(reject);
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const cases: { name: string; database: () => Promise<Scratch>; fresh: boolean }[] = [
  { name: 'SQLite, new file (migrations)', database: async () => scratchSqlite(), fresh: true },
  { name: 'SQLite, existing file', database: async () => scratchSqlite(), fresh: false },
];
if (await pgReachable()) cases.push({ name: 'PostgreSQL, existing database', database: scratchPostgres, fresh: false });

console.log(`Start-up to /readyz 200, median of ${rounds} interleaved rounds (Node ${process.version})\n`);
const rows: string[][] = [];
for (const { name, database, fresh } of cases) {
  const samples = new Map<string, Sample[]>(entries.map((entry) => [entry.name, []]));
  const shared = fresh ? undefined : await database();
  if (shared) await startOnce(entries[0]!, shared.url); // migrated once, before the rounds
  for (let round = 0; round < rounds; round++) {
    for (const entry of round % 2 ? [...entries].reverse() : entries) {
      const scratch = shared ?? (await database());
      samples.get(entry.name)!.push(await startOnce(entry, scratch.url));
      if (!shared) await scratch.drop();
    }
  }
  await shared?.drop();
  const compiled = samples.get(entries[0]!.name)!;
  for (const entry of entries) {
    const values = samples.get(entry.name)!;
    const ready = median(values.map((sample) => sample.readyMs));
    const ratio = entry === entries[0] ? '' : `  (compiled ÷ this ${(median(compiled.map((sample) => sample.readyMs)) / ready).toFixed(2)}×)`;
    rows.push([name, entry.name, `${ready.toFixed(0)} ms${ratio}`, `${median(values.map((sample) => sample.rssMb)).toFixed(0)} MB`]);
  }
}
const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length), 8));
const header = ['case', 'entry', 'ready', 'RSS'];
for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
