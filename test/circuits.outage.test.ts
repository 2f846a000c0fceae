/**
 * The circuit breaker against a real outage: Billing (a real HTTP server) answers 503 for 20 s in
 * the middle of a drain of 500 jobs. Without the breaker (measured here, as today's behaviour)
 * every job the worker reaches during the outage burns its retries and ends DEAD. With it: no job
 * is DEAD, none is charged more than one attempt for the outage, Billing sees only one probe at a
 * time while the circuit is open, and everything drains after recovery, on both databases. Also:
 * the state on metrics and Prometheus, the phase of a waiting job, and an operator's override.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { defineJobType } from '../src/index.js';
import { resolveUpstreams } from '../src/platform/upstreamClient.js';
import { defaultCircuitSettings } from '../src/queue/circuits.js';
import { jobsEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { createTestDatabase, gql, providers, startServerProcess, startTestApp, type TestApp } from './helpers.js';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Billing over real HTTP: up, or down (503) on demand; every request it received, when, and whether it was down. */
class Billing {
  down = false;
  /** Every other request fails (503), the rest succeed. */
  flaky = false;
  readonly requests: { at: number; down: boolean; entityId?: string }[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const fails = this.down || (this.flaky && this.requests.length % 2 === 0);
      const request: { at: number; down: boolean; entityId?: string } = { at: Date.now(), down: fails };
      this.requests.push(request);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        request.entityId = (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { external_id?: string }).external_id;
        res.writeHead(fails ? 503 : 200, { 'content-type': 'application/json' });
        res.end(fails ? '{"error":"maintenance"}' : '{"id":"b_1"}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const accountSync = defineJobType({
  name: 'account_sync',
  upstreams: ['billing'],
  retry: { maxRetries: 3, backoff: { baseSeconds: 1 } },
  handler: async ({ entityId, upstream }) => upstream('billing').post('/accounts', { external_id: entityId }),
});

const until = async (check: () => Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

interface OutageResult {
  dead: number;
  succeeded: number;
  attempts: number;
  /** Per job: attempts charged (failed and counted against maxRetries). */
  mostCharged: number;
  requestsWhileDown: { at: number; entityId?: string }[];
}

/** 500 jobs at 100 calls/s; Billing goes down once 100 succeeded, for 20 s; then everything is let finish. */
async function outage(app: TestApp, billing: Billing): Promise<OutageResult> {
  const db = app.database.db;
  await jobsEnqueue(
    app.context,
    Array.from({ length: 500 }, (_, index) => ({ jobType: 'account_sync', entityId: `a_${index}` })),
  );
  await until(async () => (await db.job.count({ where: { status: 'SUCCEEDED' } })) >= 100, 30_000, '100 jobs to succeed');
  billing.down = true;
  await new Promise((resolve) => setTimeout(resolve, 20_000));
  billing.down = false;
  await until(async () => (await db.job.count({ where: { status: { in: ['PENDING', 'RUNNING'] } } })) === 0, 90_000, 'the drain to end');
  const jobs = await db.job.findMany({ select: { status: true, attemptCount: true, unchargedAttempts: true } });
  return {
    dead: jobs.filter((job) => job.status === 'DEAD').length,
    succeeded: jobs.filter((job) => job.status === 'SUCCEEDED').length,
    attempts: await db.attempt.count(),
    mostCharged: Math.max(...jobs.map((job) => job.attemptCount - job.unchargedAttempts - (job.status === 'SUCCEEDED' ? 1 : 0))),
    requestsWhileDown: billing.requests.filter((request) => request.down),
  };
}

describe('circuit breaker: Billing down for 20 s during a drain of 500 jobs', () => {
  let app: TestApp | undefined;
  let billing: Billing | undefined;
  afterEach(async () => {
    await app?.close();
    await billing?.stop();
    app = undefined;
  });

  const start = async (provider: (typeof providers)[number], env: Record<string, string> = {}) => {
    billing = new Billing();
    await billing.start();
    app = await startTestApp(
      provider,
      { SYNCBRIDGE_WORKER_CONCURRENCY: '10', ...env },
      { jobTypes: [accountSync], upstreams: { billing: { baseUrl: billing.url, rateLimitPerSecond: 100, circuitBreaker: { failures: 5, openSeconds: 1, maxOpenSeconds: 4 } } } },
    );
    return { app, billing };
  };

  it('without the breaker (today): the jobs reached during the outage burn their retries and end DEAD', async () => {
    const { app, billing } = await start('sqlite', { SYNCBRIDGE_CIRCUIT_BREAKERS: 'off' });
    const result = await outage(app, billing);
    console.log(`outage without the breaker: ${result.dead} DEAD of 500, ${result.attempts} attempts, ${result.requestsWhileDown.length} calls to Billing while it was down`);
    expect(result.dead).toBeGreaterThan(50);
    expect(result.dead + result.succeeded).toBe(500);
  }, 120_000);

  it.each(providers)(
    'with the breaker (%s): none DEAD, none charged more than one attempt, only probes while open, all drained after',
    async (provider) => {
      const { app, billing } = await start(provider);
      const opened: string[] = [];
      app.bus.on('jobTypes:changed', ({ jobType }) => opened.push(jobType));
      const result = await outage(app, billing);
      // The probes, as the breaker logged them: when each went, and which job it was.
      const probeLines = app.logs.lines.filter((line) => line.msg === 'upstream circuit half-open: one probe job goes');
      const probeJobs = await app.database.db.job.findMany({ where: { id: { in: probeLines.map((line) => line.jobId as number) } }, select: { id: true, entityId: true } });
      const probes = probeLines.map((line) => ({ at: line.time as number, entityId: probeJobs.find((job) => job.id === line.jobId)!.entityId }));
      // Each call that found Billing down was a probe's, or one of the run that opened the circuit.
      const unattributed = [...result.requestsWhileDown];
      for (const probe of probes) {
        const index = unattributed.findLastIndex((request) => request.entityId === probe.entityId);
        if (index >= 0) unattributed.splice(index, 1);
      }
      const first = result.requestsWhileDown[0]!.at;
      console.log(
        `outage with the breaker (${provider}): ${result.dead} DEAD of 500, ${result.attempts} attempts, the most charged to one job ${result.mostCharged}, ` +
          `${result.requestsWhileDown.length} calls to Billing while it was down: ${unattributed.length} in the run that opened it, then ${probes.length} probes ` +
          `(at ms ${probes.map((probe) => probe.at - first).join(', ')}; the last found it back)`,
      );
      expect(result).toMatchObject({ dead: 0, succeeded: 500 });
      expect(result.mostCharged).toBeLessThanOrEqual(1);
      // The run that opens it: the 5 failures, and calls the other handlers had already sent (at most the concurrency).
      expect(unattributed.length).toBeGreaterThanOrEqual(5);
      expect(unattributed.length).toBeLessThanOrEqual(5 + 10);
      // Then only probes, one at a time, each at least the first open period (1 s) after the last.
      expect(probes.length).toBeGreaterThanOrEqual(4);
      expect(result.requestsWhileDown.length).toBe(unattributed.length + probes.length - 1);
      probes.slice(1).forEach((probe, index) => expect(probe.at - probes[index]!.at).toBeGreaterThanOrEqual(900));
      expect(opened).toContain('account_sync');
      expect((await gql(app, '{ metrics { upstreams { target circuit breaker { state failures } } } }')).data!.metrics.upstreams).toEqual([
        { target: 'billing', circuit: 'CLOSED', breaker: { state: 'CLOSED', failures: 0 } },
      ]);
    },
    120_000,
  );
});

describe.each(providers)('circuit breaker: state, phase and override (%s)', (provider) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('an operator forces it open: the jobs wait in phase UPSTREAM_OPEN, uncharged; AUTO lets them run; both audited and on /metrics', async () => {
    const billing = new Billing();
    await billing.start();
    try {
      app = await startTestApp(provider, {}, { jobTypes: [accountSync], upstreams: { billing: { baseUrl: billing.url } } });
      const set = (state: string) =>
        gql(
          app!,
          `mutation ($state: CircuitForce!) { setUpstreamCircuit(upstream: "billing", state: $state) { __typename ... on UpstreamCircuit { state forced } ... on InputError { field message } } }`,
          { state },
        );
      expect((await set('OPEN')).data!.setUpstreamCircuit).toEqual({ __typename: 'UpstreamCircuit', state: 'OPEN', forced: true });
      const [enqueued] = await jobsEnqueue(app.context, [{ jobType: 'account_sync', entityId: 'a_forced' }]);
      const id = enqueued!.ok ? enqueued!.job.id : 0;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const waiting = await gql(app, `query ($id: ID!) { job(id: $id) { status phase attemptCount } jobTypes { jobType heldBy } }`, { id: String(id) });
      expect(waiting.data!.job).toEqual({ status: 'PENDING', phase: 'UPSTREAM_OPEN', attemptCount: 0 });
      expect(waiting.data!.jobTypes).toEqual([{ jobType: 'ACCOUNT_SYNC', heldBy: 'billing' }]);
      expect((await gql(app, `{ jobs(filter: { phase: UPSTREAM_OPEN }) { totalCount } }`)).data!.jobs.totalCount).toBe(1);
      expect(billing.requests).toHaveLength(0);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      expect(metrics).toContain('syncbridge_upstream_circuit_state{target="billing",state="OPEN"} 1');

      expect((await set('AUTO')).data!.setUpstreamCircuit).toEqual({ __typename: 'UpstreamCircuit', state: 'CLOSED', forced: false });
      await until(async () => (await app!.database.db.job.findUniqueOrThrow({ where: { id } })).status === 'SUCCEEDED', 10_000, 'the job to run');
      expect((await app.database.db.job.findUniqueOrThrow({ where: { id } })).attemptCount).toBe(1);
      expect((await app.database.db.auditEvent.findMany({ where: { action: 'CIRCUIT' }, orderBy: { id: 'asc' } })).map((event) => event.detail)).toEqual([
        'billing: OPEN',
        'billing: AUTO',
      ]);
      expect((await set('CLOSED')).data!.setUpstreamCircuit).toMatchObject({ state: 'CLOSED', forced: true });
      expect((await gql(app, `mutation { setUpstreamCircuit(upstream: "nosuch", state: OPEN) { __typename ... on InputError { field } } }`)).data!.setUpstreamCircuit).toEqual({
        __typename: 'InputError',
        field: 'upstream',
      });
    } finally {
      await billing.stop();
    }
  }, 30_000);
});

describe('circuit breaker: failure rate, and holds shared by every process', () => {
  it('is on by default with its defaults, tuned per upstream, off for one that asks so or for all with SYNCBRIDGE_CIRCUIT_BREAKERS=off', () => {
    const defaults = { timeoutMs: 1000, rateLimits: {}, secretOf: () => undefined, requireCredentials: false, circuitBreakers: true };
    const resolved = resolveUpstreams(
      {
        billing: { baseUrl: 'http://127.0.0.1:9' },
        crm: { baseUrl: 'http://127.0.0.1:9', circuitBreaker: { failures: 3 } },
        ledger: { baseUrl: 'http://127.0.0.1:9', circuitBreaker: false },
      },
      defaults,
    );
    expect(Object.fromEntries(resolved.map((upstream) => [upstream.name, upstream.circuit]))).toEqual({
      billing: defaultCircuitSettings,
      crm: { ...defaultCircuitSettings, failures: 3 },
      ledger: undefined,
    });
    expect(resolveUpstreams({ billing: { baseUrl: 'http://127.0.0.1:9' } }, { ...defaults, circuitBreakers: false })[0]!.circuit).toBeUndefined();
    expect(() => resolveUpstreams({ billing: { circuitBreaker: { failureRate: 2, openSeconds: 10, maxOpenSeconds: 5 } } }, defaults)).toThrow(
      /circuitBreaker failureRate must be a number from 0.01 to 1[\s\S]*circuitBreaker maxOpenSeconds must be at least openSeconds/,
    );
  });

  it('opens on a failure rate over its window when failures never come five in a row', async () => {
    const billing = new Billing();
    await billing.start();
    billing.flaky = true;
    const app = await startTestApp(
      'sqlite',
      { SYNCBRIDGE_WORKER_CONCURRENCY: '1' },
      {
        jobTypes: [accountSync],
        upstreams: { billing: { baseUrl: billing.url, circuitBreaker: { failures: 100, failureRate: 0.5, windowSeconds: 30, minCalls: 10, openSeconds: 60 } } },
      },
    );
    try {
      await jobsEnqueue(
        app.context,
        Array.from({ length: 40 }, (_, index) => ({ jobType: 'account_sync', entityId: `f_${index}` })),
      );
      await until(
        async () => app.context.db.upstreamCircuit.findUniqueOrThrow({ where: { upstream: 'billing' } }).then((row) => row.state === 'OPEN'),
        15_000,
        'the circuit to open',
      );
      const row = await app.context.db.upstreamCircuit.findUniqueOrThrow({ where: { upstream: 'billing' } });
      expect(row.lastError).toMatch(/^failure rate over 30 s/);
      const calls = billing.requests.length;
      expect(calls).toBeGreaterThanOrEqual(10);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(billing.requests.length).toBe(calls); // open: nothing more reaches it
    } finally {
      await app.close();
      await billing.stop();
    }
  }, 30_000);

  it.each(providers)(
    'a circuit opened through one process holds the jobs in another that works them (%s)',
    async (provider) => {
      const billing = new Billing();
      await billing.start();
      const database = await createTestDatabase(provider);
      const dir = mkdtempSync(join(tmpdir(), 'syncbridge-circuits-'));
      const module = join(dir, 'jobs.mjs');
      writeFileSync(
        module,
        `import { defineJobType } from '${pathToFileURL(resolve('src/index.ts')).href}';
export default [defineJobType({ name: 'account_sync', upstreams: ['billing'], handler: ({ entityId, upstream }) => upstream('billing').post('/accounts', { external_id: entityId }) })];
export const upstreams = { billing: { baseUrl: '${billing.url}' } };`,
      );
      const api = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' }, { database, jobTypes: [accountSync], upstreams: { billing: { baseUrl: billing.url } } });
      const worker = await startServerProcess({ DATABASE_URL: database.url, SYNCBRIDGE_API: 'off', SYNCBRIDGE_JOB_TYPES: module });
      try {
        await gql(api, `mutation { setUpstreamCircuit(upstream: "billing", state: OPEN) { __typename } }`);
        const [enqueued] = await jobsEnqueue(api.context, [{ jobType: 'account_sync', entityId: 'x_1' }]);
        const id = enqueued!.ok ? enqueued!.job.id : 0;
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        expect(billing.requests).toHaveLength(0);
        expect((await gql(api, `query ($id: ID!) { job(id: $id) { status phase } }`, { id: String(id) })).data!.job).toEqual({ status: 'PENDING', phase: 'UPSTREAM_OPEN' });
        await gql(api, `mutation { setUpstreamCircuit(upstream: "billing", state: AUTO) { __typename } }`);
        await until(async () => (await api.database.db.job.findUniqueOrThrow({ where: { id } })).status === 'SUCCEEDED', 15_000, 'the other process to run the job');
        expect(billing.requests).toHaveLength(1);
      } finally {
        await worker.stop();
        await api.close();
        await database.drop();
        await billing.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
