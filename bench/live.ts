/**
 * `npm run bench:live`: live fan-out the way it is deployed. The server runs in its own process;
 * subscribers are graphql-transport-ws connections in other processes (bench/live/subscribers.ts);
 * this process enqueues jobs at a steady rate over HTTP (unknown CRM ids: each job goes PENDING →
 * RUNNING → FAILED through the real handler and the built-in mock CRM, three transitions). The
 * worker runs in the server process, or in a process of its own with events crossing through
 * PostgreSQL NOTIFY or Redis. The stock recipe (Yoga + graphql-ws, bench/live/stockServer.ts) runs
 * the same loads in the same sitting as the baseline.
 *
 * Reported per run: transitions a second each subscriber received (asked vs reached), deliveries a
 * second, commit→client latency (now − the job's updatedAt, stamped before the commit; publish→
 * client for the stock recipe), losses (a subscriber's last status of a job ≠ the job's final
 * status), CPU and RSS of the server (and worker) process.
 *
 * Sections (LIVE_ONLY, comma-separated): fanout (1,000 and 100 subscribers), sweep (the highest
 * rate meeting p99 ≤ 50 ms at 1,000 subscribers), slow (subscribers that stop reading), idle
 * (10,000 idle connections: memory and `job(id)` latency). Everything on 127.0.0.1, bounded in time.
 *
 *   LIVE_ROUNDS=1 LIVE_SECONDS=10 LIVE_ONLY=fanout,sweep,slow,idle LIVE_SYSTEMS=sqlite,stock npm run bench:live
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pgReachable, redisUrl, scratchPostgres, scratchSqlite, type Scratch } from './lib/databases.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');
if (!existsSync(join(benchDir, 'node_modules', 'autocannon'))) {
  console.log('Installing the bench dependencies into bench/node_modules (once)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', benchDir], { stdio: 'inherit' });
}
const { default: autocannon } = await import('autocannon');

const rounds = Number(process.env.LIVE_ROUNDS ?? 1);
const seconds = Number(process.env.LIVE_SECONDS ?? 10);
const clientProcesses = Number(process.env.LIVE_CLIENT_PROCESSES ?? 2);
const only = new Set((process.env.LIVE_ONLY ?? 'fanout,sweep,slow,idle').split(','));
const systemFilter = process.env.LIVE_SYSTEMS?.split(',').map((part) => part.trim().toLowerCase());
const idleConnections = Number(process.env.LIVE_IDLE_CONNECTIONS ?? 10_000);
const port = Number(process.env.LIVE_PORT ?? 4650);
const url = `http://127.0.0.1:${port}`;
const latencyTarget = 50;

const selection = 'id status phase entityId jobType attemptCount lastErrorType updatedAt';
const everyJob = `subscription { jobUpdated { ${selection} } }`;

// ─── processes ──────────────────────────────────────────────────────────────────────────────────

interface Child {
  process: ChildProcess;
  lines: Interface;
  /** Lines of its stdout that contained this text, counted (server logs). */
  count(text: string): number;
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  send(line: string): void;
  stop(): Promise<void>;
}

function startChild(args: string[], env: Record<string, string>, counted: string[] = []): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const counts = new Map(counted.map((text) => [text, 0]));
  const waiters: { prefix: string; resolve(line: string): void }[] = [];
  lines.on('line', (line) => {
    for (const [text, n] of counts) if (line.includes(text)) counts.set(text, n + 1);
    for (const waiter of [...waiters]) {
      if (line.includes(waiter.prefix)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    lines,
    count: (text) => counts.get(text) ?? 0,
    waitFor: (prefix, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${args[0]}: no "${prefix}" within ${timeoutMs} ms`)), timeoutMs);
        void exited.then(() => reject(new Error(`${args[0]} exited before "${prefix}"`)));
        waiters.push({
          prefix,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      }),
    send: (line) => child.stdin!.write(`${line}\n`),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU seconds used so far and memory of a process, from /proc. */
function processFigures(pid: number): { cpuSeconds: number; rssMb: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

// ─── the systems ────────────────────────────────────────────────────────────────────────────────

interface Setup {
  name: string;
  key: string;
  kind: 'syncbridge' | 'stock';
  database?: 'sqlite' | 'postgresql';
  /** Where the worker runs: in the server process, or in another one with events through… */
  worker?: 'in-process' | 'notify' | 'redis';
}

const setups: Setup[] = [
  { name: 'SyncBridge · SQLite · worker in-process', key: 'sqlite', kind: 'syncbridge', database: 'sqlite', worker: 'in-process' },
  { name: 'SyncBridge · PostgreSQL · worker in-process', key: 'pg', kind: 'syncbridge', database: 'postgresql', worker: 'in-process' },
  { name: 'SyncBridge · PostgreSQL · worker process, NOTIFY', key: 'notify', kind: 'syncbridge', database: 'postgresql', worker: 'notify' },
  { name: 'SyncBridge · PostgreSQL · worker process, Redis', key: 'redis', kind: 'syncbridge', database: 'postgresql', worker: 'redis' },
  { name: 'stock Yoga + graphql-ws (in-memory pub/sub)', key: 'stock', kind: 'stock' },
];

const wanted = (setup: Setup) => !systemFilter || systemFilter.some((part) => setup.key === part || setup.name.toLowerCase().includes(part));

interface Running {
  setup: Setup;
  /** The process subscribers connect to. */
  server: Child;
  /** The worker process, when it is not the server. */
  worker?: Child;
  scratch?: Scratch;
  stop(): Promise<void>;
}

const slowClosedLog = 'closing a WebSocket that stopped reading';

async function startSetup(setup: Setup, extraEnv: Record<string, string> = {}): Promise<Running> {
  if (setup.kind === 'stock') {
    // Yoga's pub/sub warns past ten listeners on its EventTarget; a thousand is the point here.
    const server = startChild(['bench/live/stockServer.ts'], { PORT: String(port), NODE_NO_WARNINGS: '1' });
    await server.waitFor('READY');
    return { setup, server, stop: () => server.stop() };
  }
  const scratch = setup.database === 'postgresql' ? await scratchPostgres() : scratchSqlite();
  const common = { DATABASE_URL: scratch.url, LOG_LEVEL: 'info', ...(setup.worker === 'redis' ? { REDIS_URL: redisUrl } : {}), ...extraEnv };
  const separateWorker = setup.worker === 'notify' || setup.worker === 'redis';
  const server = startChild(['src/start.ts'], { ...common, PORT: String(port), ...(separateWorker ? { SYNCBRIDGE_WORKER: 'off' } : {}) }, [slowClosedLog]);
  await server.waitFor('SyncBridge listening');
  let worker: Child | undefined;
  if (separateWorker) {
    worker = startChild(['src/start.ts'], { ...common, PORT: String(port + 1) });
    await worker.waitFor('SyncBridge listening');
  }
  return {
    setup,
    server,
    worker,
    scratch,
    stop: async () => {
      await Promise.all([server.stop(), worker?.stop()]);
      await scratch.drop();
    },
  };
}

async function graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function subscriptionsHeld(running: Running): Promise<number> {
  if (running.setup.kind === 'stock') return Number(await (await fetch(`${url}/bench/subscriptions`)).text());
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^syncbridge_subscriptions (\d+)/m.exec(metrics)?.[1] ?? 0);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const enqueueMutation = 'mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }';
let entitySeq = 0;

/** Enqueues at `rate` transitions a second (three per job) for `forSeconds`, in 50 ms ticks; resolves with the job ids. */
async function enqueueSteadily(rate: number, forSeconds: number): Promise<number[]> {
  const jobsPerTick = rate / 3 / 20;
  const requests: Promise<number[]>[] = [];
  const started = Date.now();
  let carry = 0;
  for (let tick = 0; Date.now() - started < forSeconds * 1000; tick++) {
    carry += jobsPerTick;
    const count = Math.floor(carry);
    carry -= count;
    if (count) {
      const inputs = Array.from({ length: count }, () => ({ jobType: 'CUSTOMER_SYNC', entityId: `c_live_${++entitySeq}` }));
      // Not awaited: a slow answer must not lower the asked rate.
      requests.push(graphql<{ enqueueJobs: { job: { id: string } }[] }>(enqueueMutation, { inputs }).then((data) => data.enqueueJobs.map((item) => Number(item.job.id))));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (tick + 1) * 50 - Date.now())));
  }
  return (await Promise.all(requests)).flat();
}

async function unfinishedJobs(): Promise<number> {
  const data = await graphql<{ jobs: { totalCount: number } }>('{ jobs(status: [PENDING, RUNNING]) { totalCount } }');
  return data.jobs.totalCount;
}

/** Every job's status, by id. */
async function jobStatuses(): Promise<Map<number, string>> {
  const statuses = new Map<number, string>();
  let after: string | null = null;
  for (;;) {
    const data: { jobs: { edges: { node: { id: string; status: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await graphql(
      'query ($after: String) { jobs(first: 200, after: $after) { edges { node { id status } } pageInfo { hasNextPage endCursor } } }',
      { after },
    );
    for (const { node } of data.jobs.edges) statuses.set(Number(node.id), node.status);
    if (!data.jobs.pageInfo.hasNextPage) return statuses;
    after = data.jobs.pageInfo.endCursor;
  }
}

// ─── one measured run ───────────────────────────────────────────────────────────────────────────

interface ClientResult {
  subscribers: number;
  histogram: [number, number][];
  firstAt: number;
  lastAt: number;
  deliveries: number;
  minDeliveries: number;
  lostFinals: number;
  subscribersWithLoss: number;
  errors: number;
  closes: Record<string, number>;
  cpuCores: number;
  rssMb: number;
}

interface RunResult {
  subscribers: number;
  asked: number;
  /** Transitions a second each subscriber received, from the start of the load to its last delivery. */
  reached: number;
  deliveriesPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  lostFinals: number;
  subscribersWithLoss: number;
  serverCpu: number;
  serverRssMb: number;
  serverPeakRssMb: number;
  workerCpu?: number;
  clientCpu: number;
  slowClosed?: number;
}

function startSubscribers(count: number, mode: 'subscribe' | 'idle' | 'slow', query: string, maxJobId: number, extra: Record<string, string> = {}): Child[] {
  const processes = mode === 'subscribe' ? Math.min(clientProcesses, count) : 1;
  return Array.from({ length: processes }, (_, index) => {
    const share = Math.floor(count / processes) + (index < count % processes ? 1 : 0);
    return startChild(['bench/live/subscribers.ts'], { LIVE_URL: url, LIVE_COUNT: String(share), LIVE_MODE: mode, LIVE_QUERY: query, LIVE_MAX_JOB_ID: String(maxJobId), ...extra });
  });
}

async function finishClients(clients: Child[], expected: [number, string][]): Promise<ClientResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-live-'));
  const file = join(dir, 'expected.json');
  writeFileSync(file, JSON.stringify(expected));
  try {
    return await Promise.all(
      clients.map(async (client) => {
        const line = client.waitFor('RESULT ');
        client.send(`FINISH ${file}`);
        const result = JSON.parse((await line).slice(7)) as ClientResult;
        await client.stop();
        return result;
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentiles(histograms: [number, number][][]): { p50: number; p99: number; max: number } {
  const merged = new Map<number, number>();
  for (const histogram of histograms) for (const [ms, n] of histogram) merged.set(ms, (merged.get(ms) ?? 0) + n);
  const sorted = [...merged].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  const at = (p: number) => {
    let seen = 0;
    for (const [ms, n] of sorted) if ((seen += n) >= p * total) return ms;
    return NaN;
  };
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1)?.[0] ?? NaN };
}

async function measureRun(setup: Setup, subscribers: number, rate: number, options: { slow?: number } = {}): Promise<RunResult> {
  const running = await startSetup(setup);
  const maxJobId = Math.ceil((rate / 3) * (seconds + 2)) + 1_000;
  const clients: Child[] = [];
  try {
    clients.push(...startSubscribers(subscribers, 'subscribe', everyJob, maxJobId));
    await Promise.all(clients.map((client) => client.waitFor('READY')));
    let slow: Child[] = [];
    if (options.slow) {
      // Many panels each: enough traffic to outgrow the kernel's socket buffers within the run.
      slow = startSubscribers(options.slow, 'slow', everyJob, maxJobId, { LIVE_SUBSCRIPTIONS_PER_CONNECTION: '50' });
      await Promise.all(slow.map((client) => client.waitFor('READY')));
    }
    const held = subscribers + (options.slow ?? 0) * 50;
    await until(async () => (await subscriptionsHeld(running)) >= held, `${held} subscriptions`);

    // Warm-up (JIT, pools, statement caches), then the figures start from zero.
    if (setup.kind === 'stock') await fetch(`${url}/bench/publish`, { method: 'POST', body: JSON.stringify({ rate, seconds: 1 }) });
    else {
      await enqueueSteadily(rate, 1);
      await until(async () => (await unfinishedJobs()) === 0, 'the warm-up jobs');
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all(
      clients.map(async (client) => {
        const done = client.waitFor('RESET');
        client.send('RESET');
        await done;
      }),
    );

    const serverBefore = processFigures(running.server.process.pid!);
    const workerBefore = running.worker && processFigures(running.worker.process.pid!);
    const loadStart = Date.now();
    let expected: [number, string][];
    if (setup.kind === 'stock') {
      const response = await fetch(`${url}/bench/publish`, { method: 'POST', body: JSON.stringify({ rate, seconds }) });
      expected = (await response.json()) as [number, string][];
    } else {
      const ids = await enqueueSteadily(rate, seconds);
      await until(async () => (await unfinishedJobs()) === 0, 'the jobs to finish');
      const statuses = await jobStatuses();
      expected = ids.map((id) => [id, statuses.get(id)!]);
    }
    const loadSeconds = (Date.now() - loadStart) / 1000;
    const serverAfter = processFigures(running.server.process.pid!);
    const workerAfter = running.worker && processFigures(running.worker.process.pid!);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the last deliveries in flight
    const results = await finishClients(clients, expected);
    if (slow.length) await finishClients(slow, []);
    const lastAt = Math.max(...results.map((result) => result.lastAt));
    const deliveries = results.reduce((sum, result) => sum + result.deliveries, 0);
    const windowSeconds = (lastAt - loadStart) / 1000;
    return {
      subscribers,
      asked: rate,
      reached: deliveries / subscribers / windowSeconds,
      deliveriesPerSecond: deliveries / windowSeconds,
      ...percentiles(results.map((result) => result.histogram)),
      lostFinals: results.reduce((sum, result) => sum + result.lostFinals, 0),
      subscribersWithLoss: results.reduce((sum, result) => sum + result.subscribersWithLoss, 0),
      serverCpu: (serverAfter.cpuSeconds - serverBefore.cpuSeconds) / loadSeconds,
      serverRssMb: serverAfter.rssMb,
      serverPeakRssMb: serverAfter.peakRssMb,
      workerCpu: workerBefore && workerAfter ? (workerAfter.cpuSeconds - workerBefore.cpuSeconds) / loadSeconds : undefined,
      clientCpu: results.reduce((sum, result) => sum + result.cpuCores, 0),
      slowClosed: options.slow ? running.server.count(slowClosedLog) : undefined,
    };
  } finally {
    for (const client of clients) if (client.process.exitCode === null) client.process.kill('SIGKILL');
    await running.stop();
  }
}

// ─── reporting ──────────────────────────────────────────────────────────────────────────────────

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const figure = (values: number[], digits = 0) => {
  const defined = values.filter((value) => Number.isFinite(value));
  if (!defined.length) return '–';
  const fmt = (v: number) => (digits ? v.toFixed(digits) : Math.round(v).toLocaleString('en-US'));
  return defined.length > 1 ? `${fmt(median(defined))} (${fmt(Math.min(...defined))}–${fmt(Math.max(...defined))})` : fmt(defined[0]!);
};

function row(name: string, runs: RunResult[]): Record<string, string> {
  const of = (key: keyof RunResult) => runs.map((run) => run[key] as number);
  return {
    system: name,
    'asked/s': String(runs[0]!.asked),
    'reached/s': figure(of('reached')),
    'deliveries/s': figure(of('deliveriesPerSecond')),
    'p50 ms': figure(of('p50')),
    'p99 ms': figure(of('p99')),
    'max ms': figure(of('max')),
    lost: figure(of('lostFinals')),
    'server CPU': figure(of('serverCpu'), 2),
    'server RSS MB': figure(of('serverRssMb')),
    'worker CPU': figure(
      runs.map((run) => run.workerCpu ?? NaN),
      2,
    ),
    'clients CPU': figure(of('clientCpu'), 2),
  };
}

const machine = `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()})`;

// ─── sections ───────────────────────────────────────────────────────────────────────────────────

async function loads(title: string, list: { subscribers: number; rate: number }[], systems: Setup[]): Promise<Map<string, RunResult[]>> {
  const results = new Map<string, RunResult[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const { subscribers, rate } of list) {
      for (const setup of systems) {
        const key = `${subscribers}×${rate}\u0000${setup.name}`;
        process.stdout.write(`round ${round}/${rounds}: ${subscribers} subscribers × ${rate}/s · ${setup.name}… `);
        try {
          const result = await measureRun(setup, subscribers, rate);
          results.set(key, [...(results.get(key) ?? []), result]);
          console.log(`reached ${result.reached.toFixed(0)}/s, p99 ${result.p99} ms, lost ${result.lostFinals}`);
        } catch (error) {
          console.log(`failed: ${(error as Error).message}`);
        }
      }
    }
  }
  console.log(`\n${title} — ${rounds} round(s), ${seconds} s each (median, min–max); ${machine}\n`);
  for (const { subscribers, rate } of list) {
    const rows = systems.flatMap((setup) => {
      const runs = results.get(`${subscribers}×${rate}\u0000${setup.name}`);
      return runs ? [row(setup.name, runs)] : [];
    });
    if (!rows.length) continue;
    console.log(`${subscribers} subscribers × ${rate} transitions/s`);
    console.table(rows);
  }
  return results;
}

async function fanoutSection(systems: Setup[]) {
  const results = await loads(
    'Live fan-out',
    [
      { subscribers: 1_000, rate: 100 },
      { subscribers: 100, rate: 100 },
      { subscribers: 100, rate: 500 },
    ],
    systems,
  );
  // The worker in another process, against the same setup with the worker in the server.
  const p99 = (name: string, load: string) => {
    const runs = results.get(`${load}\u0000${name}`);
    return runs ? median(runs.map((run) => run.p99)) : undefined;
  };
  const inProcess = setups.find((setup) => setup.key === 'pg')!.name;
  for (const load of ['1000×100', '100×100']) {
    for (const other of setups.filter((setup) => setup.worker === 'notify' || setup.worker === 'redis')) {
      const ours = p99(other.name, load);
      const base = p99(inProcess, load);
      if (ours !== undefined && base !== undefined)
        console.log(`${load}: p99 with ${other.worker === 'notify' ? 'NOTIFY' : 'Redis'} ÷ worker in-process = ${(ours / Math.max(1, base)).toFixed(2)}×`);
    }
  }
}

async function sweepSection(systems: Setup[]) {
  const rates = [100, 250, 500, 1_000];
  const results = await loads(
    `Highest rate at 1,000 subscribers (p99 ≤ ${latencyTarget} ms, nothing lost)`,
    rates.map((rate) => ({ subscribers: 1_000, rate })),
    systems,
  );
  for (const setup of systems) {
    const meeting = rates.filter((rate) => {
      const runs = results.get(`1000×${rate}\u0000${setup.name}`);
      return runs && median(runs.map((run) => run.p99)) <= latencyTarget && runs.every((run) => run.lostFinals === 0) && median(runs.map((run) => run.reached)) >= rate * 0.95;
    });
    console.log(`${setup.name}: ${meeting.length ? `${Math.max(...meeting)}/s` : `below ${rates[0]}/s`}`);
  }
}

async function slowSection(systems: Setup[]) {
  const rows: Record<string, string>[] = [];
  for (const setup of systems.filter((system) => system.kind === 'syncbridge')) {
    const base: RunResult[] = [];
    const slow: RunResult[] = [];
    for (let round = 1; round <= rounds; round++) {
      process.stdout.write(`round ${round}/${rounds}: slow readers · ${setup.name}… `);
      base.push(await measureRun(setup, 1_000, 100));
      slow.push(await measureRun(setup, 1_000, 100, { slow: 5 }));
      console.log(`p99 ${base.at(-1)!.p99} → ${slow.at(-1)!.p99} ms, ${slow.at(-1)!.slowClosed} of 5 closed`);
    }
    rows.push({
      system: setup.name,
      'p99 ms (no slow readers)': figure(base.map((run) => run.p99)),
      'p99 ms (5 slow readers)': figure(slow.map((run) => run.p99)),
      change: `${((median(slow.map((run) => run.p99)) / Math.max(1, median(base.map((run) => run.p99))) - 1) * 100).toFixed(0)}%`,
      'lost (others)': figure(slow.map((run) => run.lostFinals)),
      'slow ones closed': figure(slow.map((run) => run.slowClosed ?? 0)),
      'server peak RSS MB (without → with)': `${figure(base.map((run) => run.serverPeakRssMb))} → ${figure(slow.map((run) => run.serverPeakRssMb))}`,
    });
  }
  console.log(`\n1,000 subscribers × 100/s with 5 connections that stop reading (50 subscriptions each) — ${machine}\n`);
  console.table(rows);
}

async function jobReadLatency(): Promise<{ requestsPerSecond: number; p99: number }> {
  const request = {
    url: `${url}/graphql`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query ($id: ID!) { job(id: $id) { id status attemptCount updatedAt } }', variables: { id: '50' } }),
  };
  await autocannon({ ...request, connections: 50, duration: 1 });
  const result = await autocannon({ ...request, connections: 50, duration: 5 });
  if (result.non2xx || result.errors) throw new Error(`job(id): ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { requestsPerSecond: result.requests.average, p99: result.latency.p99 };
}

async function idleSection(systems: Setup[]) {
  const rows: Record<string, string>[] = [];
  for (const setup of systems.filter((system) => system.kind === 'syncbridge' && system.worker === 'in-process')) {
    for (let round = 1; round <= rounds; round++) {
      process.stdout.write(`round ${round}/${rounds}: ${idleConnections} idle connections · ${setup.name}… `);
      const running = await startSetup(setup);
      let idle: Child[] = [];
      try {
        await enqueueSteadily(300, 1);
        await until(async () => (await unfinishedJobs()) === 0, 'the seed jobs');
        const before = await jobReadLatency();
        const rssBefore = processFigures(running.server.process.pid!).rssMb;
        // Each holds a quiet subscription, as an open dashboard tab does.
        idle = startSubscribers(idleConnections, 'idle', 'subscription { jobUpdated(status: [DEAD]) { id status updatedAt } }', 10);
        await Promise.all(idle.map((client) => client.waitFor('READY', 180_000)));
        await until(async () => (await subscriptionsHeld(running)) >= idleConnections, `${idleConnections} subscriptions`);
        const rssHeld = processFigures(running.server.process.pid!).rssMb;
        const during = await jobReadLatency();
        const [held] = await finishClients(idle, []);
        idle = [];
        console.log(`job(id) p99 ${before.p99} → ${during.p99} ms, RSS ${rssBefore.toFixed(0)} → ${rssHeld.toFixed(0)} MB`);
        rows.push({
          system: setup.name,
          round: String(round),
          'connections held': String(held?.closes.open ?? 0),
          'server RSS MB (before → held)': `${rssBefore.toFixed(0)} → ${rssHeld.toFixed(0)}`,
          'KB per connection': (((rssHeld - rssBefore) * 1024) / idleConnections).toFixed(1),
          'job(id) req/s (before → held)': `${Math.round(before.requestsPerSecond)} → ${Math.round(during.requestsPerSecond)}`,
          'job(id) p99 ms (before → held)': `${before.p99} → ${during.p99}`,
        });
      } finally {
        for (const client of idle) if (client.process.exitCode === null) client.process.kill('SIGKILL');
        await running.stop();
      }
    }
  }
  console.log(`\n${idleConnections.toLocaleString('en-US')} idle WebSocket connections (one quiet subscription each) — ${machine}\n`);
  console.table(rows);
}

const havePg = await pgReachable();
if (!havePg) console.warn('PostgreSQL is not reachable: its rows are skipped.');
const systems = setups.filter((setup) => wanted(setup) && (setup.database !== 'postgresql' || havePg));
if (only.has('fanout')) await fanoutSection(systems);
if (only.has('sweep')) await sweepSection(systems.filter((setup) => setup.worker !== 'notify' && setup.worker !== 'redis'));
if (only.has('slow')) await slowSection(systems.filter((setup) => setup.worker === 'in-process'));
if (only.has('idle')) await idleSection(systems);
process.exit(0);
