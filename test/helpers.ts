/**
 * Test fixtures. Every test gets its own database: a temp SQLite file, or a fresh PostgreSQL
 * database (dropped afterwards). PostgreSQL tests need a server at TEST_PG_URL (default
 * postgresql://postgres@127.0.0.1:5432/postgres); without one they are skipped, unless CI is set,
 * in which case they fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import pg from 'pg';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig, type DatabaseProvider } from '../src/config/index.js';
import { isFinalStatus, type NewJobRow } from '../src/domain/index.js';
import type { Job } from '../src/db/client.js';
import type { EventBus } from '../src/events/bus.js';
import type { JobTransition } from '../src/events/events.js';
import { logRedactPaths, startSyncBridge, type StartOptions, type SyncBridge } from '../src/main.js';
import { customerSync, demoUpstreams, invoiceSync } from '../src/demo/jobTypes.js';
import { defineJobType, type HandlerContext } from '../src/platform/defineJobType.js';

export const pgServerUrl = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgServerUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function resolveProviders(): Promise<DatabaseProvider[]> {
  if (await pgReachable()) return ['sqlite', 'postgresql'];
  if (process.env.CI) throw new Error(`PostgreSQL is required in CI but ${pgServerUrl} is not reachable`);
  console.warn(`PostgreSQL not reachable at ${pgServerUrl}: PostgreSQL tests are skipped (set CI=1 to make that an error)`);
  return ['sqlite'];
}

export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether Redis answers (tests that need it skip otherwise, except in CI). */
export async function redisReachable(): Promise<boolean> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    if (process.env.CI) throw new Error(`Redis is required in CI but ${redisUrl} is not reachable`);
    console.warn(`Redis not reachable at ${redisUrl}: tests that need it are skipped`);
    return false;
  } finally {
    client.disconnect();
  }
}

/** The databases to run behavioural suites on. */
export const providers = await resolveProviders();

export interface TestDatabase {
  url: string;
  provider: DatabaseProvider;
  drop(): Promise<void>;
}

let counter = 0;

/** `icu`: a PostgreSQL database with an ICU collation (en-US), where text order is not byte order. */
export async function createTestDatabase(provider: DatabaseProvider, options: { icu?: boolean } = {}): Promise<TestDatabase> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'syncbridge-test-'));
    return { provider, url: `file:${join(dir, 'test.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `sb_test_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  const admin = new pg.Client({ connectionString: pgServerUrl });
  await admin.connect();
  await admin.query(options.icu ? `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'` : `CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgServerUrl);
  url.pathname = `/${name}`;
  return {
    provider,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: pgServerUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Log lines captured from the app's pino logger. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(JSON.parse(line));
      callback();
    },
  });
}

export interface TestApp extends SyncBridge {
  logs: LogCapture;
  testDatabase: TestDatabase;
  /** Stops the app and drops its database. */
  close(): Promise<void>;
}

/** Test-sized settings: fast backoff, short leases and polls. */
export const testEnv = {
  PORT: '0',
  SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS: '0.02',
  // Long enough that a CPU-starved CI machine never lets a live worker's lease lapse; the lease
  // tests set their own short one.
  SYNCBRIDGE_JOB_LEASE_SECONDS: '10',
  SYNCBRIDGE_WORKER_POLL_SECONDS: '0.05',
  SYNCBRIDGE_SHUTDOWN_GRACE_SECONDS: '2',
  // Generous: a loaded CI machine must not turn a slow mock answer into a retry.
  SYNCBRIDGE_UPSTREAM_TIMEOUT_SECONDS: '15',
};

/** A customer_sync row as the enqueue service would insert it (for the store-level tests). */
export function newRowFixture(entityId: string, now: Date, correlationId = `corr-${entityId}`): NewJobRow {
  return {
    jobType: 'customer_sync',
    sourceSystem: 'crm',
    targetSystem: 'billing',
    entityType: 'customer',
    entityId,
    priority: 1,
    scheduledAt: null,
    maxRetries: 3,
    payloadVersion: 1,
    correlationId,
    activeKey: `customer_sync:${entityId}`,
    followUpKey: null,
    createdAt: now,
    nextRunAt: now,
    isReplay: false,
    replayOfId: null,
    replayOfAttemptId: null,
    payload: null,
    groupKey: null,
  };
}

export type TestHandler = (context: HandlerContext<undefined>) => unknown;

/**
 * The demo's two job types, with handlers of the test's own where given (the demo's elsewhere),
 * and the demo's upstreams: StartOptions to spread into startTestApp's.
 */
export function demoTypesWith(handlers: { customer_sync?: TestHandler; invoice_sync?: TestHandler }): Pick<StartOptions, 'jobTypes' | 'upstreams'> {
  const own = (demo: typeof customerSync, handler: TestHandler | undefined) =>
    handler ? defineJobType({ name: demo.name, entityType: demo.entityType, source: demo.source, target: demo.target, handler }) : demo;
  return { jobTypes: [own(customerSync, handlers.customer_sync), own(invoiceSync, handlers.invoice_sync)], upstreams: demoUpstreams };
}

export async function startTestApp(provider: DatabaseProvider, env: Record<string, string> = {}, options: StartOptions & { database?: TestDatabase } = {}): Promise<TestApp> {
  const testDatabase = options.database ?? (await createTestDatabase(provider));
  const config = loadConfig({ ...testEnv, DATABASE_URL: testDatabase.url, ...env });
  const logs = new LogCapture();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'debug', redact: logRedactPaths }, logs.stream);
  const app = await startSyncBridge(config, { logger, ...options });
  return {
    ...app,
    logs,
    testDatabase,
    close: async () => {
      await app.stop();
      if (!options.database) await testDatabase.drop();
    },
  };
}

/**
 * Resolves with the job once `predicate` holds, looking at the committed row first and then at
 * every transition published for it (on any of the given apps' buses: with several worker
 * processes the change may happen in any of them): no sleeps, no polling.
 */
export function waitForJob(
  apps: Pick<SyncBridge, 'bus' | 'database'> | Pick<SyncBridge, 'bus' | 'database'>[],
  jobId: number,
  predicate: (job: Job) => boolean,
  timeoutMs = 15_000,
): Promise<Job> {
  const list = Array.isArray(apps) ? apps : [apps];
  const db = list[0]!.database.db;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error: Error | undefined, job?: Job) => {
      if (done) return;
      done = true;
      offs.forEach((off) => off());
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(job!);
    };
    const offs = list.map((app) =>
      app.bus.on('job:transitions', (transitions) => {
        for (const transition of transitions) if (transition.jobId === jobId && predicate(transition.job)) finish(undefined, transition.job);
      }),
    );
    const timer = setTimeout(async () => {
      const job = await db.job.findUnique({ where: { id: jobId } });
      finish(new Error(`timed out waiting for job ${jobId}; it is ${JSON.stringify(job?.status)} after ${job?.attemptCount} attempts`));
    }, timeoutMs);
    void db.job.findUnique({ where: { id: jobId } }).then((job) => {
      if (job && predicate(job)) finish(undefined, job);
    });
  });
}

export const isFinal = (job: Job) => isFinalStatus(job.status);

/** Records every transition published on a bus. */
export function recordTransitions(bus: EventBus): { transitions: JobTransition[]; stop(): void } {
  const transitions: JobTransition[] = [];
  const stop = bus.on('job:transitions', (batch) => transitions.push(...batch));
  return { transitions, stop };
}

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Runs an operation in-process through Yoga (no socket). */
export async function gql<T = Record<string, any>>(app: Pick<SyncBridge, 'yoga'>, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const response = await app.yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

/** Runs an operation over a real HTTP connection to the app's port. */
export async function gqlHttp<T = Record<string, any>>(
  app: Pick<SyncBridge, 'url'>,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Its log lines so far (pino JSON, parsed). */
  logs: Record<string, unknown>[];
  /** SIGTERM, and resolves once it exited. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown at all, as a crash or the OOM killer. */
  kill9(): Promise<void>;
}

/** Starts `npm start`'s entry (src/start.ts) in a child process; resolves once it listens. `onLog` sees every log line as it comes. */
export async function startServerProcess(env: Record<string, string>, onLog?: (entry: Record<string, unknown>) => void): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
    env: { ...process.env, ...testEnv, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child server did not start in time')), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a log line
      }
      logs.push(entry);
      onLog?.(entry);
      if (logs.length > 20_000) logs.splice(0, 10_000);
      if (entry.msg === 'SyncBridge listening') {
        clearTimeout(timer);
        resolve(entry.url as string);
      }
    });
    void exited.then(() => reject(new Error(`child server exited with ${child.exitCode}`)));
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    await exited;
  };
  return { child, url, logs, stop: () => signal('SIGTERM'), kill9: () => signal('SIGKILL') };
}

/** Most of `times` (ms) within any window of `windowMs`. */
export function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((x, y) => x - y);
  let best = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++;
    best = Math.max(best, last - first + 1);
  }
  return best;
}
