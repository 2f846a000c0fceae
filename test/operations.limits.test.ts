/**
 * Limits shared by every process on one database: a job type's concurrency (counted as handlers
 * running at once in two worker processes) and an upstream's request rate (counted as requests
 * arriving at a real HTTP upstream from two processes), including a Retry-After pause asked for
 * by the upstream. On both databases, and the rate through Redis too.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  busiestWindow,
  createTestDatabase,
  demoTypesWith,
  gqlHttp,
  isFinal,
  providers,
  redisReachable,
  redisUrl,
  startTestApp,
  waitForJob,
  type TestApp,
  type TestDatabase,
  type TestHandler,
} from './helpers.js';

const ENQUEUE = `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }`;
const SET_CONCURRENCY = `mutation ($jobType: JobType!, $concurrency: Int) {
  setJobTypeConcurrency(jobType: $jobType, concurrency: $concurrency) {
    __typename ... on JobTypeStatus { jobType concurrency } ... on InputError { field message } } }`;

async function enqueue(app: TestApp, jobType: string, prefix: string, count: number): Promise<number[]> {
  const response = await gqlHttp(app, ENQUEUE, { inputs: Array.from({ length: count }, (_, i) => ({ jobType, entityId: `${prefix}_${i}` })) });
  return response.data!.enqueueJobs.map((item: { job: { id: string } }) => Number(item.job.id));
}

/** Handlers that count how many of each type run at once, across every app of the test. */
function countingHandlers(runMs: number) {
  const running = { CUSTOMER_SYNC: 0, INVOICE_SYNC: 0 };
  const peak = { CUSTOMER_SYNC: 0, INVOICE_SYNC: 0 };
  const counted =
    (jobType: keyof typeof running): TestHandler =>
    async ({ signal }) => {
      running[jobType] += 1;
      peak[jobType] = Math.max(peak[jobType], running[jobType]);
      try {
        await new Promise((resolve) => setTimeout(resolve, runMs));
        signal.throwIfAborted();
        return { ok: true };
      } finally {
        running[jobType] -= 1;
      }
    };
  const types = demoTypesWith({ customer_sync: counted('CUSTOMER_SYNC'), invoice_sync: counted('INVOICE_SYNC') });
  return { types, peak, reset: () => Object.assign(peak, { CUSTOMER_SYNC: 0, INVOICE_SYNC: 0 }) };
}

describe.each(providers)('per-type concurrency across two worker processes (%s)', (provider) => {
  let database: TestDatabase;
  let apps: TestApp[] = [];
  const handlers = countingHandlers(40);
  beforeAll(async () => {
    database = await createTestDatabase(provider);
    for (let i = 0; i < 2; i++) apps.push(await startTestApp(provider, { SYNCBRIDGE_WORKER_CONCURRENCY: '8' }, { database, ...handlers.types }));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    apps = [];
    await database?.drop();
  });

  it('never runs more of a limited type at once than its limit, while other types run freely; a new limit applies at run time', async () => {
    const [a, b] = apps as [TestApp, TestApp];
    const limited = await gqlHttp(a, SET_CONCURRENCY, { jobType: 'CUSTOMER_SYNC', concurrency: 3 });
    expect(limited.data!.setJobTypeConcurrency).toEqual({ __typename: 'JobTypeStatus', jobType: 'CUSTOMER_SYNC', concurrency: 3 });

    const ids = [...(await enqueue(b, 'CUSTOMER_SYNC', 'lim_c', 60)), ...(await enqueue(b, 'INVOICE_SYNC', 'lim_i', 40))];
    for (const id of ids) await waitForJob(apps, id, isFinal);
    const statuses = await a.database.db.job.groupBy({ by: ['status'], where: { id: { in: ids } }, _count: true });
    expect(statuses).toEqual([{ status: 'SUCCEEDED', _count: 100 }]);
    console.log(`concurrency (${provider}): peak customer_sync ${handlers.peak.CUSTOMER_SYNC} (limit 3), invoice_sync ${handlers.peak.INVOICE_SYNC} (no limit)`);
    expect(handlers.peak.CUSTOMER_SYNC).toBeLessThanOrEqual(3);
    expect(handlers.peak.CUSTOMER_SYNC).toBeGreaterThanOrEqual(2); // the limit is a ceiling, not a queue of one
    expect(handlers.peak.INVOICE_SYNC).toBeGreaterThan(3);

    // Lowered through the other process while nothing runs, then a new batch.
    handlers.reset();
    await gqlHttp(b, SET_CONCURRENCY, { jobType: 'CUSTOMER_SYNC', concurrency: 1 });
    const serial = await enqueue(a, 'CUSTOMER_SYNC', 'lim_serial', 12);
    for (const id of serial) await waitForJob(apps, id, isFinal);
    expect(handlers.peak.CUSTOMER_SYNC).toBe(1);

    // Removed: the type runs on every free slot again.
    handlers.reset();
    const cleared = await gqlHttp(a, SET_CONCURRENCY, { jobType: 'CUSTOMER_SYNC', concurrency: null });
    expect(cleared.data!.setJobTypeConcurrency.concurrency).toBeNull();
    const free = await enqueue(a, 'CUSTOMER_SYNC', 'lim_free', 30);
    for (const id of free) await waitForJob(apps, id, isFinal);
    expect(handlers.peak.CUSTOMER_SYNC).toBeGreaterThan(3);

    const { data } = await gqlHttp(a, `{ jobTypes { jobType concurrency } }`);
    expect(data!.jobTypes).toEqual([
      { jobType: 'CUSTOMER_SYNC', concurrency: null },
      { jobType: 'INVOICE_SYNC', concurrency: null },
    ]);
    const audit = await a.database.db.auditEvent.findMany({ where: { action: 'CONCURRENCY' }, orderBy: { id: 'asc' }, select: { detail: true, outcome: true } });
    expect(audit).toEqual([
      { detail: 'customer_sync: 3', outcome: 'OK' },
      { detail: 'customer_sync: 1', outcome: 'OK' },
      { detail: 'customer_sync: no limit', outcome: 'OK' },
    ]);
  }, 90_000);

  it('refuses a limit below 1 with a typed error and changes nothing', async () => {
    const [a] = apps as [TestApp];
    const response = await gqlHttp(a, SET_CONCURRENCY, { jobType: 'INVOICE_SYNC', concurrency: 0 });
    expect(response.data!.setJobTypeConcurrency).toMatchObject({ __typename: 'InputError', field: 'concurrency' });
    expect(await a.database.db.jobTypeState.findUnique({ where: { jobType: 'INVOICE_SYNC' } })).toBeNull();
  });
});

/** A real HTTP upstream that records when each request arrived and can ask callers to slow down. */
class RecordingUpstream {
  readonly arrivals: number[] = [];
  /** The next request gets 429 with this Retry-After (seconds). */
  slowDownNext: number | undefined;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.arrivals.push(performance.timeOrigin + performance.now());
      req.resume();
      req.on('end', () => {
        if (this.slowDownNext !== undefined) {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(this.slowDownNext) });
          this.slowDownNext = undefined;
          res.end('{"error":"slow down"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"b_1"}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Each job makes one Billing call, and says which process made it. */
function billingCallers(label: string, callers: string[]) {
  const call: TestHandler = async ({ entityId, upstream }) => {
    const record = await upstream('billing').post('/customers', { external_id: entityId, email: `${entityId}@example.com`, name: entityId });
    callers.push(label);
    return record;
  };
  return demoTypesWith({ customer_sync: call });
}

const paceStores = [
  ...providers.map((provider) => ({ name: `database, ${provider}`, provider, env: {} as Record<string, string> })),
  ...(providers.includes('postgresql') ? [{ name: 'redis', provider: 'postgresql' as const, env: { REDIS_URL: redisUrl } }] : []),
];

describe.each(paceStores)('upstream rate limit shared by two processes ($name)', ({ provider, env }) => {
  const limitPerSecond = 10;
  let database: TestDatabase;
  let apps: TestApp[] = [];
  let upstream: RecordingUpstream;
  const callers: string[] = [];
  let skip = false;
  beforeAll(async () => {
    if (env.REDIS_URL && !(await redisReachable())) {
      skip = true;
      return;
    }
    upstream = new RecordingUpstream();
    const billing = await upstream.start();
    database = await createTestDatabase(provider);
    const settings = { ...env, SYNCBRIDGE_BILLING_BASE_URL: billing, SYNCBRIDGE_UPSTREAM_RATE_LIMITS: `billing=${limitPerSecond}`, SYNCBRIDGE_WORKER_CONCURRENCY: '10' };
    for (const label of ['a', 'b']) apps.push(await startTestApp(provider, settings, { database, ...billingCallers(label, callers) }));
  });
  afterEach(() => {
    callers.length = 0;
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    apps = [];
    await database?.drop();
    await upstream?.stop();
  });

  it('lets no more than the limit per second reach the upstream, the jobs waiting their turn instead of failing', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const [a, b] = apps as [TestApp, TestApp];
    const ids = [...(await enqueue(a, 'CUSTOMER_SYNC', 'rate_a', 20)), ...(await enqueue(b, 'CUSTOMER_SYNC', 'rate_b', 20))];
    for (const id of ids) await waitForJob(apps, id, isFinal);
    const jobs = await a.database.db.job.findMany({ where: { id: { in: ids } }, select: { status: true, attemptCount: true } });
    expect(jobs.every((job) => job.status === 'SUCCEEDED' && job.attemptCount === 1)).toBe(true);
    expect(new Set(callers)).toEqual(new Set(['a', 'b'])); // both processes called, sharing one pace

    expect(upstream.arrivals).toHaveLength(40);
    // When each call left, as its attempt recorded it: taken once the pace let it go. Arrival
    // times, stamped by this process's busy event loop, bunch when it stalls (a run beside other
    // load saw 11 arrive within 950 ms although they left in order), so they are only printed.
    const attempts = await a.database.db.attempt.findMany({ where: { jobId: { in: ids } }, select: { details: true } });
    const sent = attempts.flatMap((attempt) =>
      (JSON.parse(attempt.details ?? '{"calls":[]}') as { calls: { method: string; startedAt?: string }[] }).calls
        .filter((call) => call.method === 'POST')
        .map((call) => Date.parse(call.startedAt!)),
    );
    const spanMs = Math.max(...sent) - Math.min(...sent);
    // Slots are 100 ms apart and a call leaves within a quarter slot of its own (one that wakes
    // later takes a new slot), so 11 calls leave at least 975 ms apart: no window of 950 ms holds more than 10.
    const windowMs = 1000 - 1000 / limitPerSecond / 2;
    const busiest = busiestWindow(sent, windowMs);
    console.log(
      `rate limit (${provider}${env.REDIS_URL ? ', redis' : ''}): ${sent.length} calls sent over ${spanMs.toFixed(0)} ms; busiest ${windowMs} ms: ${busiest} sent, ` +
        `${busiestWindow(upstream.arrivals, windowMs)} arrived (limit ${limitPerSecond}/s)`,
    );
    expect(sent).toHaveLength(40);
    expect(busiest).toBeLessThanOrEqual(limitPerSecond);
    expect(spanMs).toBeGreaterThanOrEqual(((40 - 1) * 1000) / limitPerSecond - 1000 / limitPerSecond / 2);

    const { data } = await gqlHttp(a, `{ metrics { upstreams { target limitPerSecond waited } } }`);
    expect(data!.metrics.upstreams).toEqual([
      { target: 'crm', limitPerSecond: null, waited: 0 },
      { target: 'billing', limitPerSecond: limitPerSecond, waited: expect.any(Number) },
    ]);
    expect(data!.metrics.upstreams[1].waited).toBeGreaterThan(0);
    const exposition = await (await fetch(`${a.url}/metrics`)).text();
    expect(exposition).toContain(`syncbridge_upstream_rate_limit_per_second{target="billing"} ${limitPerSecond}`);
    const waits = Number(/^syncbridge_upstream_waits_total\{target="billing"\} (\d+)$/m.exec(exposition)?.[1]);
    expect(waits).toBe(data!.metrics.upstreams[1].waited);
  }, 60_000);

  it('holds every process for the Retry-After of a 429', async ({ skip: skipTest }) => {
    if (skip) return skipTest();
    const [a, b] = apps as [TestApp, TestApp];
    upstream.arrivals.length = 0;
    upstream.slowDownNext = 2;
    const ids = [...(await enqueue(a, 'CUSTOMER_SYNC', 'pause_a', 3)), ...(await enqueue(b, 'CUSTOMER_SYNC', 'pause_b', 3))];
    for (const id of ids) await waitForJob(apps, id, isFinal);
    const arrivals = [...upstream.arrivals].sort((x, y) => x - y);
    // The first request is refused; nothing else arrives for the two seconds it asked for.
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(1_950);
    const jobs = await a.database.db.job.findMany({ where: { id: { in: ids } }, select: { status: true } });
    expect(jobs.every((job) => job.status === 'SUCCEEDED')).toBe(true);
    const paused = await Promise.all(apps.map((app) => gqlHttp(app, `{ metrics { upstreams { target pausesRequested } } }`)));
    expect(paused.map((response) => response.data!.metrics.upstreams[1].pausesRequested).reduce((x, y) => x + y)).toBe(1);
  }, 60_000);
});
