/**
 * Fault suite, PostgreSQL side: two SyncBridge processes (this one, and `npm start` in a child)
 * drain jobs through a TCP proxy in front of PostgreSQL, against a stub CRM/Billing that counts
 * every write, while subscribers on both processes watch. Then a fault mid-drain: a restart (every
 * connection dropped at once), a 20 s outage, or kill -9 of the child. Each ends with every job
 * SUCCEEDED, no success run twice, every subscriber having seen every final state, and both
 * processes alive and ready again.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, gqlHttp, pgServerUrl, providers, startServerProcess, startTestApp, type ServerProcess, type TestApp, type TestDatabase } from './helpers.js';
import { sseSubscribe, wsClient, wsSubscribe } from './live.helpers.js';
import { StubUpstream, TcpProxy } from './faults.helpers.js';

const finalStates = `subscription { jobUpdated(jobType: CUSTOMER_SYNC, status: [SUCCEEDED, FAILED, DEAD, CANCELED]) { id status } }`;

interface Rig {
  database: TestDatabase;
  proxy: TcpProxy;
  stub: StubUpstream;
  api: TestApp;
  child: ServerProcess;
  observer: pg.Client;
  subscribers: ReturnType<typeof wsSubscribe | typeof sseSubscribe>[];
  close(): Promise<void>;
}

let rig: Rig | undefined;

async function startRig(options: { leaseSeconds: number; stubDelayMs: number; subscribeOnChild?: boolean }): Promise<Rig> {
  const database = await createTestDatabase('postgresql');
  const target = new URL(pgServerUrl);
  const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
  const stub = await new StubUpstream(options.stubDelayMs).start();
  const url = proxy.via(database.url);
  const env = {
    SYNCBRIDGE_CRM_BASE_URL: stub.crmUrl,
    SYNCBRIDGE_BILLING_BASE_URL: stub.billingUrl,
    SYNCBRIDGE_JOB_LEASE_SECONDS: String(options.leaseSeconds),
    SYNCBRIDGE_WORKER_POLL_SECONDS: '0.2',
    SYNCBRIDGE_WORKER_CONCURRENCY: '10',
    SYNCBRIDGE_DB_CONNECT_TIMEOUT_SECONDS: '1',
  };
  const api = await startTestApp('postgresql', env, { database: { ...database, url } });
  const child = await startServerProcess({ ...env, DATABASE_URL: url, PORT: '0' });
  // Looks at the database directly, not through the proxy.
  const observer = new pg.Client({ connectionString: database.url });
  await observer.connect();
  const clients = [wsClient(api.url), ...(options.subscribeOnChild === false ? [] : [wsClient(child.url)])];
  const subscribers = [...clients.map((client) => wsSubscribe(client, finalStates)), sseSubscribe(api.url, finalStates)];
  await expect.poll(() => api.live.engine.stats.members).toBe(2); // the WebSocket and the SSE one here
  return {
    database,
    proxy,
    stub,
    api,
    child,
    observer,
    subscribers,
    close: async () => {
      for (const subscriber of subscribers) subscriber.dispose();
      await Promise.all(clients.map((client) => client.dispose()));
      await child.stop();
      await api.stop();
      await proxy.stop();
      await stub.stop();
      await observer.end();
      await database.drop();
    },
  };
}

async function enqueue(app: TestApp, count: number): Promise<string[]> {
  const { data } = await gqlHttp(app, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }`, {
    inputs: Array.from({ length: count }, (_, i) => ({ jobType: 'CUSTOMER_SYNC', entityId: `fault_${i}` })),
  });
  return data!.enqueueJobs.map((item: { job: { id: string } }) => item.job.id);
}

/** The suite's figures, printed for the README's reliability section. */
function report(rig: Rig, fault: string, figures: Record<string, unknown>): void {
  const caughtUp = [...rig.api.logs.lines, ...rig.child.logs]
    .filter((line) => line.msg === 'live channel back: delivered the state of jobs changed meanwhile')
    .reduce((sum, line) => sum + Number(line.jobs), 0);
  console.log(`fault suite · ${fault}: ${JSON.stringify({ ...figures, jobStatesCaughtUpAfterReconnect: caughtUp })}`);
}

async function countWhere(observer: pg.Client, condition: string): Promise<number> {
  const { rows } = await observer.query<{ n: string }>(`SELECT count(*) AS n FROM "Job" WHERE ${condition}`);
  return Number(rows[0]!.n);
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The end state every fault must leave. */
async function expectIntact(rig: Rig, ids: string[], options: { allowedRerun?: Set<string> } = {}) {
  const { observer, stub, api, child, subscribers } = rig;
  // 0 lost: every job SUCCEEDED.
  expect(await countWhere(observer, `"status" = 'SUCCEEDED'`)).toBe(ids.length);
  // 0 re-executed successes: one successful attempt per job, one Billing write per entity.
  const { rows: twice } = await observer.query(`SELECT "jobId" FROM "Attempt" WHERE "success" GROUP BY "jobId" HAVING count(*) > 1`);
  expect(twice).toEqual([]);
  expect(stub.duplicateWrites.filter((entity) => !options.allowedRerun?.has(entity))).toEqual([]);
  expect(stub.billingWrites.size).toBe(ids.length);
  // Every subscriber saw every final state.
  for (const subscriber of subscribers) {
    await subscriber.until((items) => ids.every((id) => items.some((item: any) => item.id === id && item.status === 'SUCCEEDED')), 20_000);
  }
  // Alive, and ready again (its LISTEN session and pools are back).
  await expect.poll(async () => (await fetch(`${api.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
  if (child.child.exitCode === null && child.child.signalCode === null) {
    await expect.poll(async () => (await fetch(`${child.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
  }
}

describe.skipIf(!providers.includes('postgresql'))('faults: two processes on PostgreSQL', () => {
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('a PostgreSQL restart mid-drain loses nothing and runs no success twice', async () => {
    rig = await startRig({ leaseSeconds: 20, stubDelayMs: 50 });
    const ids = await enqueue(rig.api, 400);
    await until(async () => (await countWhere(rig!.observer, `"status" = 'SUCCEEDED'`)) >= 100, 30_000, 'a quarter done');
    rig.proxy.cut();
    const cutAt = Date.now();
    await until(async () => (await countWhere(rig!.observer, `"status" = 'SUCCEEDED'`)) === ids.length, 60_000, 'every job done');
    await expectIntact(rig, ids);
    report(rig, 'restart', { jobs: ids.length, doneSecondsAfterRestart: (Date.now() - cutAt) / 1000, duplicateBillingWrites: rig.stub.duplicateWrites.length });
    expect(rig.child.child.exitCode).toBeNull();
  }, 120_000);

  it('a 20 s outage mid-drain loses nothing and runs no success twice (the leases outlast it)', async () => {
    rig = await startRig({ leaseSeconds: 60, stubDelayMs: 50 });
    const ids = await enqueue(rig.api, 400);
    await until(async () => (await countWhere(rig!.observer, `"status" = 'SUCCEEDED'`)) >= 100, 30_000, 'a quarter done');
    const outageMs = 20_000;
    await rig.proxy.down(outageMs);
    const backAt = Date.now();
    await until(async () => (await countWhere(rig!.observer, `"status" = 'SUCCEEDED'`)) === ids.length, 60_000, 'every job done');
    await expectIntact(rig, ids);
    report(rig, `${outageMs / 1000} s outage`, { jobs: ids.length, doneSecondsAfterOutage: (Date.now() - backAt) / 1000, duplicateBillingWrites: rig.stub.duplicateWrites.length });
    expect(rig.child.child.exitCode).toBeNull();
  }, 120_000);

  it('kill -9 of a worker process: its started jobs come back within about a lease, the ones it had not started uncharged', async () => {
    const leaseSeconds = 3;
    rig = await startRig({ leaseSeconds, stubDelayMs: 200, subscribeOnChild: false });
    const ids = await enqueue(rig.api, 300);
    const pid = rig.child.child.pid!;
    const ownedByChild = `"leaseOwner" LIKE '%:${pid}:%' AND "status" = 'RUNNING'`;
    await until(async () => (await countWhere(rig!.observer, ownedByChild)) >= 5, 30_000, 'the child to hold jobs');
    await rig.child.kill9();
    const killedAt = Date.now();
    const { rows: held } = await rig.observer.query<{ id: number; entityId: string; started: boolean }>(
      `SELECT "id", "entityId", "lastStartedAt" IS NOT NULL AS "started" FROM "Job" WHERE "leaseOwner" LIKE '%:${pid}:%' AND "status" = 'RUNNING'`,
    );
    expect(held.length).toBeGreaterThan(0);
    await until(async () => (await countWhere(rig!.observer, ownedByChild)) === 0, 30_000, "the dead worker's jobs to be recovered");
    const recoveredInMs = Date.now() - killedAt;
    // About one lease (they were renewed up to a third of it before the kill), plus a sweep.
    expect(recoveredInMs).toBeLessThan(leaseSeconds * 1000 + 3_000);
    await until(async () => (await countWhere(rig!.observer, `"status" = 'SUCCEEDED'`)) === ids.length, 60_000, 'every job done');
    // What it was running may have reached Billing before it died: those may run again (at least once).
    await expectIntact(rig, ids, { allowedRerun: new Set(held.filter((job) => job.started).map((job) => job.entityId)) });
    const { rows: attempts } = await rig.observer.query<{ jobId: number; errorType: string | null }>(`SELECT "jobId", "errorType" FROM "Attempt" WHERE "jobId" = ANY($1::int[])`, [
      held.map((job) => job.id),
    ]);
    report(rig, 'kill -9', {
      jobsHeldByTheDeadWorker: held.length,
      started: held.filter((job) => job.started).length,
      recoveredSecondsAfterKill: recoveredInMs / 1000,
      leaseSeconds,
    });
    for (const job of held) {
      const lost = attempts.filter((attempt) => attempt.jobId === job.id && attempt.errorType === 'LeaseExpired');
      // A started job's attempt is recorded as lost; one it never started is not charged at all.
      expect(lost.length, `job ${job.id} (started: ${job.started})`).toBe(job.started ? 1 : 0);
    }
  }, 90_000);
});

describe.skipIf(!providers.includes('postgresql'))('faults: a worker process cut off alone', () => {
  it("publishes what it runs while its LISTEN session is away past the others' interest: a subscriber elsewhere misses nothing", async () => {
    const database = await createTestDatabase('postgresql');
    const target = new URL(pgServerUrl);
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const stub = await new StubUpstream(20).start();
    const upstreams = { SYNCBRIDGE_CRM_BASE_URL: stub.crmUrl, SYNCBRIDGE_BILLING_BASE_URL: stub.billingUrl };
    // The subscriber's process reaches the database directly; only the worker's goes through the proxy.
    const api = await startTestApp('postgresql', { ...upstreams, SYNCBRIDGE_WORKER: 'off' }, { database });
    const worker = await startServerProcess({
      ...upstreams,
      DATABASE_URL: proxy.via(database.url),
      PORT: '0',
      SYNCBRIDGE_WORKER_POLL_SECONDS: '0.2',
      SYNCBRIDGE_DB_CONNECT_TIMEOUT_SECONDS: '1',
    });
    const client = wsClient(api.url);
    const subscriber = wsSubscribe(client, finalStates);
    const observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
    try {
      await expect.poll(() => api.live.engine.stats.members).toBe(1);
      const ids = await enqueue(api, 600);
      await until(async () => (await countWhere(observer, `"status" = 'SUCCEEDED'`)) >= 50, 30_000, 'the worker to be under way');
      // 8 s away: past the 6 s an interest is believed; its LISTEN session retries on a backoff
      // that brings it back seconds after its pools, which run jobs meanwhile.
      await proxy.down(8_000);
      await until(async () => (await countWhere(observer, `"status" = 'SUCCEEDED'`)) === ids.length, 60_000, 'every job done');
      await subscriber.until((items) => ids.every((id) => items.some((item: any) => item.id === id && item.status === 'SUCCEEDED')), 20_000);
    } finally {
      subscriber.dispose();
      await client.dispose();
      await worker.stop();
      await api.stop();
      await proxy.stop();
      await stub.stop();
      await observer.end();
      await database.drop();
    }
  }, 120_000);
});

describe.skipIf(!providers.includes('postgresql'))('faults: an answer lost with the connection', () => {
  it('an enqueue that committed while its answer was lost says the outcome is unknown and a retry safe; the retry names the jobs', async () => {
    const database = await createTestDatabase('postgresql');
    const target = new URL(pgServerUrl);
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const app = await startTestApp(
      'postgresql',
      { SYNCBRIDGE_WORKER: 'off', SYNCBRIDGE_DB_CONNECT_TIMEOUT_SECONDS: '1' },
      { database: { ...database, url: proxy.via(database.url) } },
    );
    const observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
    try {
      const document = `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename ... on DuplicateActiveJobError { existingJobId } } }`;
      const inputs = ['cut_1', 'cut_2', 'cut_3'].map((entityId) => ({ jobType: 'CUSTOMER_SYNC', entityId }));
      // Warm the write pool (an idle connection to reuse), then lose every answer: the insert reaches the server and commits.
      await gqlHttp(app, document, { inputs: [{ jobType: 'CUSTOMER_SYNC', entityId: 'warm' }] });
      proxy.swallowAnswers();
      const answer = gqlHttp(app, document, { inputs });
      await until(async () => (await countWhere(observer, `"entityId" LIKE 'cut_%'`)) === 3, 10_000, 'the insert to commit');
      proxy.cut();
      const result = await answer;
      expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'OUTCOME_UNKNOWN', retrySafe: true } });
      expect(result.errors![0]!.message).toMatch(/may or may not have been applied\. Retrying is safe/);
      // The retry: the jobs exist, each named.
      await expect.poll(async () => (await fetch(`${app.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
      const retried = await gqlHttp(app, document, { inputs });
      const { rows } = await observer.query<{ id: number }>(`SELECT "id" FROM "Job" WHERE "entityId" LIKE 'cut_%' ORDER BY "entityId"`);
      expect(retried.data!.enqueueJobs).toEqual(rows.map((row) => ({ __typename: 'DuplicateActiveJobError', existingJobId: String(row.id) })));
      expect(app.logs.lines.some((line) => line.msg === 'the database connection failed during a request' && line.level === 40)).toBe(true);
    } finally {
      await app.stop();
      await proxy.stop();
      await observer.end();
      await database.drop();
    }
  });
});
