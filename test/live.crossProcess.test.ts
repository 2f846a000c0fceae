/**
 * Two server processes on one PostgreSQL database: enqueue through process A (API only), the
 * worker in process B (a real child process) runs the job, and a subscriber on A sees every
 * transition. Once through PostgreSQL LISTEN/NOTIFY (the default) and once through Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  gqlHttp,
  providers,
  redisReachable,
  redisUrl,
  startServerProcess,
  startTestApp,
  type ServerProcess,
  type TestApp,
  type TestDatabase,
} from './helpers.js';
import { sseSubscribe, wsClient, wsSubscribe } from './live.helpers.js';

const transports = [['postgres-notify', {}] as const, ['redis', { REDIS_URL: redisUrl }] as const];

describe.skipIf(!providers.includes('postgresql')).each(transports)('two processes on one PostgreSQL database (%s)', (name, extraEnv) => {
  let database: TestDatabase;
  let apiOnly: TestApp;
  let worker: ServerProcess;
  let skip = false;

  beforeAll(async () => {
    if (name === 'redis' && !(await redisReachable())) {
      skip = true;
      return;
    }
    database = await createTestDatabase('postgresql');
    apiOnly = await startTestApp('postgresql', { SYNCBRIDGE_WORKER: 'off', ...extraEnv }, { database });
    worker = await startServerProcess({ DATABASE_URL: database.url, PORT: '0', ...extraEnv });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await apiOnly?.stop();
    await database?.drop();
  });

  it('a subscriber on the API process sees every transition made by the worker process', async (context) => {
    if (skip) return context.skip();
    const client = wsClient(apiOnly.url);
    const stream = wsSubscribe(client, `subscription { jobUpdated(jobType: CUSTOMER_SYNC) { id status attemptCount leaseOwner lastErrorType lastError } }`);
    try {
      await expect.poll(() => apiOnly.live.jobs.size).toBe(1);
      const { data } = await gqlHttp(apiOnly, `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_flaky" }) { ... on EnqueueJobSuccess { job { id } } } }`);
      const id = data!.enqueueJob.job.id;
      const mine = (items: any[]) => items.filter((item) => item.id === id);
      await stream.until((items) => mine(items).some((item) => item.status === 'SUCCEEDED'), 20_000);
      expect(
        mine(stream.items).map((item) => `${item.status}/${item.attemptCount}`),
        JSON.stringify(stream.items),
      ).toEqual(['PENDING/0', 'RUNNING/1', 'PENDING/1', 'RUNNING/2', 'SUCCEEDED/2']);
      // The worker that ran it is the other process.
      expect(mine(stream.items)[1].leaseOwner).toContain(`:${worker.child.pid}:`);
    } finally {
      stream.dispose();
      await client.dispose();
    }
  });

  it('every final state of a 200-job batch run by the worker process reaches every subscriber', async (context) => {
    if (skip) return context.skip();
    const finals = `subscription { jobUpdated(jobType: INVOICE_SYNC, status: [SUCCEEDED, FAILED, DEAD, CANCELED]) { id status attemptCount } }`;
    const clients = [wsClient(apiOnly.url), wsClient(apiOnly.url)];
    const subscribers = [
      wsSubscribe(clients[0]!, finals),
      // Another selection: an execution of its own.
      wsSubscribe(clients[1]!, `subscription { jobUpdated(jobType: INVOICE_SYNC) { id status lastErrorType } }`),
      sseSubscribe(apiOnly.url, finals),
    ];
    try {
      await expect.poll(() => apiOnly.live.engine.stats.members).toBe(3);
      const { data } = await gqlHttp(apiOnly, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }`, {
        // Unknown invoices: each fails for good on its first attempt (NotFound).
        inputs: Array.from({ length: 200 }, (_, i) => ({ jobType: 'INVOICE_SYNC', entityId: `i_cross_${i}` })),
      });
      const ids: string[] = data!.enqueueJobs.map((item: { job: { id: string } }) => item.job.id);
      expect(ids).toHaveLength(200);
      const finalOf = (items: any[]) => new Map(items.filter((item) => item.status === 'FAILED').map((item) => [item.id, item]));
      for (const subscriber of subscribers) {
        await subscriber.until((items) => finalOf(items).size >= ids.length, 30_000);
        const seen = finalOf(subscriber.items);
        expect(ids.filter((id) => !seen.has(id))).toEqual([]);
      }
      expect([...finalOf(subscribers[0]!.items).values()].every((item) => item.attemptCount === 1)).toBe(true);
      expect([...finalOf(subscribers[1]!.items).values()].every((item) => item.lastErrorType === 'NotFound')).toBe(true);
    } finally {
      for (const subscriber of subscribers) subscriber.dispose();
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });

  it('a job canceled through the API process is never run by the worker process', async (context) => {
    if (skip) return context.skip();
    // Due in 3 s (room for a loaded machine): the worker process would take it then, had the cancel not committed first.
    const { data } = await gqlHttp(
      apiOnly,
      `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_1001", scheduledAt: "${new Date(Date.now() + 3_000).toISOString()}" }) { ... on EnqueueJobSuccess { job { id } } } }`,
    );
    const id = data!.enqueueJob.job.id;
    const canceled = await gqlHttp(apiOnly, `mutation ($id: ID!) { cancelJob(id: $id) { __typename ... on CancelJobSuccess { job { status } } } }`, { id });
    expect(canceled.data!.cancelJob).toMatchObject({ __typename: 'CancelJobSuccess', job: { status: 'CANCELED' } });
    // A job due just after it: claims go in due order, so once the worker process has run this
    // one, it has passed the canceled job's due time.
    const { data: later } = await gqlHttp(
      apiOnly,
      `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_flaky_after", scheduledAt: "${new Date(Date.now() + 3_100).toISOString()}" }) { ... on EnqueueJobSuccess { job { id } } } }`,
    );
    const status = async () => (await gqlHttp(apiOnly, `query ($id: ID!) { job(id: $id) { status } }`, { id: later!.enqueueJob.job.id })).data!.job.status;
    await expect.poll(status, { timeout: 15_000 }).toMatch(/SUCCEEDED|FAILED/);
    const { data: after } = await gqlHttp(apiOnly, `query ($id: ID!) { job(id: $id) { status attemptCount } }`, { id });
    expect(after!.job).toEqual({ status: 'CANCELED', attemptCount: 0 });
  });
});
