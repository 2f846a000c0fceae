/** jobUpdated and metricsUpdated over real WebSocket and SSE connections, on each database. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gqlHttp, isFinal, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';
import { sseSubscribe, wsClient, wsSubscribe } from './live.helpers.js';

const UPDATES = `subscription ($id: ID, $status: [JobStatus!], $jobType: JobType) {
  jobUpdated(id: $id, status: $status, jobType: $jobType) { id entityId status phase attemptCount lastErrorType }
}`;

const enqueue = async (app: TestApp, entityId: string, jobType = 'CUSTOMER_SYNC') => {
  const { data } = await gqlHttp(app, `mutation ($e: String!, $t: JobType!) { enqueueJob(input: { jobType: $t, entityId: $e }) { ... on EnqueueJobSuccess { job { id } } } }`, {
    e: entityId,
    t: jobType,
  });
  return data!.enqueueJob.job.id as string;
};

describe.each(providers)('live subscriptions (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    // A small backlog bound, so that the reader that stops reading is closed within the test.
    app = await startTestApp(provider, { SYNCBRIDGE_LIVE_MAX_QUEUED_BYTES: String(1024 * 1024) });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a stream subscriber sees c_1001 go PENDING → RUNNING → SUCCEEDED in order (WebSocket)', async () => {
    const client = wsClient(app.url);
    await expect.poll(() => app.live.jobs.size).toBe(0);
    const updates = wsSubscribe(client, UPDATES, { jobType: 'CUSTOMER_SYNC' });
    try {
      await expect.poll(() => app.live.jobs.size).toBe(1); // the subscription is live
      const id = await enqueue(app, 'c_1001');
      const mine = (items: { id: string }[]) => items.filter((item) => item.id === id);
      await updates.until((items) => mine(items).some((item: any) => item.status === 'SUCCEEDED'));
      expect(mine(updates.items).map((item: any) => item.status)).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    } finally {
      updates.dispose();
      await client.dispose();
    }
  });

  it('a subscriber that arrives after the job finished gets its final state at once (WebSocket and SSE)', async () => {
    const id = await enqueue(app, 'c_missing');
    await waitForJob(app, Number(id), isFinal);
    const client = wsClient(app.url);
    const ws = wsSubscribe(client, UPDATES, { id });
    const sse = sseSubscribe(app.url, UPDATES, { id });
    try {
      await ws.until((items) => items.length >= 1);
      await sse.until((items) => items.length >= 1);
      expect(ws.items[0]).toMatchObject({ id, status: 'FAILED', phase: 'FINISHED', lastErrorType: 'NotFound' });
      expect(sse.items[0]).toMatchObject({ id, status: 'FAILED' });
    } finally {
      ws.dispose();
      sse.dispose();
      await client.dispose();
    }
  });

  it('the c_1002 stream shows every retry and ends DEAD (SSE)', async () => {
    const id = await enqueue(app, 'c_1002');
    const sse = sseSubscribe(app.url, UPDATES, { id });
    try {
      await sse.until((items) => items.some((item: any) => item.status === 'DEAD'));
      const statuses = sse.items.map((item: any) => `${item.status}/${item.attemptCount}`);
      // It may have started before we subscribed: the first event is where it was then.
      const full = ['PENDING/0', 'RUNNING/1', 'PENDING/1', 'RUNNING/2', 'PENDING/2', 'RUNNING/3', 'PENDING/3', 'RUNNING/4', 'DEAD/4'];
      expect(full.slice(full.indexOf(statuses[0]!))).toEqual(statuses);
      expect(sse.items.at(-1)).toMatchObject({ status: 'DEAD', lastErrorType: 'UpstreamRateLimited' });
    } finally {
      sse.dispose();
    }
  });

  it('filters by status and job type', async () => {
    const client = wsClient(app.url);
    await expect.poll(() => app.live.jobs.size).toBe(0); // earlier tests' subscriptions are gone
    const failures = wsSubscribe(client, UPDATES, { status: ['FAILED', 'DEAD'], jobType: 'INVOICE_SYNC' });
    try {
      await expect.poll(() => app.live.jobs.size).toBe(1);
      const ok = await enqueue(app, 'i_2001', 'INVOICE_SYNC');
      const missing = await enqueue(app, 'i_missing_f', 'INVOICE_SYNC');
      const otherType = await enqueue(app, 'c_missing_f');
      await Promise.all([ok, missing, otherType].map((id) => waitForJob(app, Number(id), isFinal)));
      // Events arrive in order: once a later matching job's arrives, nothing more of the first three can.
      const marker = await enqueue(app, 'i_missing_marker', 'INVOICE_SYNC');
      await failures.until((items) => items.some((item: { id: string }) => item.id === marker));
      expect(failures.items).toEqual([expect.objectContaining({ id: missing, status: 'FAILED' }), expect.objectContaining({ id: marker, status: 'FAILED' })]);
    } finally {
      failures.dispose();
      await client.dispose();
    }
  });

  it('an unknown job id is a subscription error', async () => {
    const client = wsClient(app.url);
    const updates = wsSubscribe(client, UPDATES, { id: '987654' });
    try {
      await expect(updates.until(() => false, 5_000)).rejects.toThrow('does not exist');
    } finally {
      await client.dispose();
    }
  });

  it('metricsUpdated sends the figures at once and again after changes', async () => {
    const client = wsClient(app.url);
    const metrics = wsSubscribe(client, 'subscription { metricsUpdated { totalJobs succeeded } }');
    try {
      const [first] = await metrics.until((items) => items.length >= 1);
      await enqueue(app, 'c_flaky');
      await metrics.until((items) => items.some((item: any) => item.totalJobs === first.totalJobs + 1));
    } finally {
      metrics.dispose();
      await client.dispose();
    }
  });

  it('disconnecting frees every listener', async () => {
    // Earlier tests' clients are gone by now: nothing of theirs may remain.
    await expect.poll(() => app.live.jobs.size).toBe(0);
    await expect.poll(() => app.live.metrics.size).toBe(0);
    const before = { hub: 0, metrics: 0, bus: app.bus.listenerCount('job:transitions') };
    const client = wsClient(app.url);
    const subs = [wsSubscribe(client, UPDATES, {}), wsSubscribe(client, UPDATES, { id: '1' }), wsSubscribe(client, 'subscription { metricsUpdated { totalJobs } }')];
    const sse = sseSubscribe(app.url, UPDATES, {});
    await subs[1]!.until((items) => items.length >= 1);
    await subs[2]!.until((items) => items.length >= 1);
    // Four subscribers, three executions: the WebSocket and SSE subscriptions to every job are
    // the same operation and share one; the two job streams hold two hub listeners.
    await expect.poll(() => app.live.engine.stats).toEqual({ members: 4, groups: 3 });
    expect(app.live.jobs.size).toBe(before.hub + 2);
    await client.dispose();
    sse.dispose();
    await expect.poll(() => app.live.jobs.size).toBe(before.hub);
    await expect.poll(() => app.live.metrics.size).toBe(before.metrics);
    expect(app.bus.listenerCount('job:transitions')).toBe(before.bus);
    await expect.poll(() => app.live.engine.stats).toEqual({ members: 0, groups: 0 });
  });

  it('100 subscribers each receive every event of a 500-job batch', async () => {
    const clients = Array.from({ length: 100 }, () => wsClient(app.url));
    const subscriptions = clients.map((client) => wsSubscribe(client, `subscription { jobUpdated(jobType: INVOICE_SYNC, status: [PENDING]) { id status } }`));
    try {
      await expect.poll(() => app.live.engine.stats.members, { timeout: 10_000 }).toBe(100);
      // One execution serves all hundred: identical stream subscriptions share it.
      expect(app.live.engine.stats.groups).toBe(1);
      // Scheduled an hour ahead: each job publishes exactly one event (enqueued) during the test.
      const at = new Date(Date.now() + 3_600_000).toISOString();
      const { data } = await gqlHttp(app, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename } }`, {
        inputs: Array.from({ length: 500 }, (_, i) => ({ jobType: 'INVOICE_SYNC', entityId: `fan_${i}`, scheduledAt: at })),
      });
      expect(data!.enqueueJobs.every((item: { __typename: string }) => item.__typename === 'EnqueueJobSuccess')).toBe(true);
      await Promise.all(subscriptions.map((subscription) => subscription.until((items) => items.length >= 500, 30_000)));
      for (const subscription of subscriptions) expect(new Set(subscription.items.map((item: any) => item.id)).size).toBe(500);
    } finally {
      for (const subscription of subscriptions) subscription.dispose();
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });

  it('two subscribers to one job share one execution per event, after a snapshot each', async () => {
    const id = await enqueue(app, 'c_missing');
    await waitForJob(app, Number(id), isFinal);
    await expect.poll(() => app.live.engine.stats.groups).toBe(0);
    const client = wsClient(app.url);
    const [first, second] = [wsSubscribe(client, UPDATES, { id }), wsSubscribe(client, UPDATES, { id })];
    try {
      await first.until((items) => items.length >= 1);
      await second.until((items) => items.length >= 1);
      expect(app.live.engine.stats).toEqual({ members: 2, groups: 1 });
      const executionsBefore = app.live.engine.executions;
      const retried = await gqlHttp(app, `mutation ($id: ID!) { retryJob(id: $id) { __typename } }`, { id });
      expect(retried.data!.retryJob.__typename).toBe('RetryJobSuccess');
      const expected = ['FAILED/1', 'PENDING/1', 'RUNNING/2', 'FAILED/2'];
      for (const subscriber of [first, second]) {
        await subscriber.until((items) => items.length >= 4);
        expect(subscriber.items.map((item: any) => `${item.status}/${item.attemptCount}`)).toEqual(expected);
      }
      // Three transitions, each executed once for both subscribers (unshared it would be six).
      expect(app.live.engine.executions - executionsBefore).toBe(3);
    } finally {
      first.dispose();
      second.dispose();
      await client.dispose();
    }
  });

  it('a WebSocket that stops reading is closed with 4413 past its bound; the others get every update and the worker keeps its pace', async () => {
    await expect.poll(() => app.live.engine.stats.members).toBe(0);
    // A raw graphql-ws peer with a hundred subscriptions to everything that then stops reading
    // its socket: megabytes of updates it will never take.
    const socket = new WebSocket(app.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => socket.once('message', resolve));
    const everything = 'subscription { jobUpdated { id status entityId lastError correlationId createdAt updatedAt } }';
    for (let i = 0; i < 100; i++) socket.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query: everything } }));
    await expect.poll(() => app.live.engine.stats.members).toBe(100);
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

    const client = wsClient(app.url);
    const finals = wsSubscribe(client, `subscription { jobUpdated(jobType: CUSTOMER_SYNC, status: [SUCCEEDED, FAILED, DEAD, CANCELED]) { id status } }`);
    try {
      await expect.poll(() => app.live.engine.stats.members).toBe(101);
      const { data } = await gqlHttp(app, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }`, {
        inputs: Array.from({ length: 300 }, (_, i) => ({ jobType: 'CUSTOMER_SYNC', entityId: `slow_reader_${i}` })),
      });
      const ids = data!.enqueueJobs.map((item: { job: { id: string } }) => item.job.id);
      const health = await fetch(`${app.url}/healthz`);
      expect(health.status).toBe(200);
      await Promise.all(ids.map((id: string) => waitForJob(app, Number(id), isFinal, 30_000)));
      // The reader that keeps up sees every job's final state.
      await finals.until((items) => ids.every((id: string) => items.some((item: any) => item.id === id)), 15_000);
      // The one that stopped was dropped, and its hundred subscriptions with it.
      await expect.poll(() => app.logs.lines.some((line) => line.msg === 'closing a WebSocket that stopped reading'), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => app.live.engine.stats.members).toBe(1);
      // Once it reads again it finds the close frame after what it had been sent.
      (socket as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(await closed).toBe(4413);
    } finally {
      socket.terminate();
      finals.dispose();
      await client.dispose();
    }
  });
});
