/**
 * A worker-only process (SYNCBRIDGE_API=off, compose.yaml's worker services): it works jobs and
 * answers health checks and Prometheus, but serves no GraphQL, WebSocket or dashboard. Routing
 * only, so on the embedded database alone (the API/worker split across PostgreSQL processes is
 * live.crossProcess.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gql, isFinal, startTestApp, waitForJob, type TestApp } from './helpers.js';

describe('a worker-only process', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('sqlite', { SYNCBRIDGE_API: 'off' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves no GraphQL, subscriptions or dashboard', async () => {
    for (const path of ['/graphql?query=%7B__typename%7D', '/', '/jobs/1']) {
      const response = await fetch(`${app.url}${path}`);
      expect(response.status, path).toBe(404);
    }
    const refused = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(refused.status).toBe(404);
    const socket = new WebSocket(app.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    const outcome = await new Promise<string>((resolve) => {
      socket.once('open', () => resolve('open'));
      socket.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
    expect(app.live.websocket).toBeUndefined();
  });

  it('answers health checks and Prometheus, and works the jobs it finds', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    // Enqueued in-process here; in a deployment an API process on the same database does it.
    const enqueued = await gql(app, 'mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_1001" }) { ... on EnqueueJobSuccess { job { id } } } }');
    const id = Number(enqueued.data!.enqueueJob.job.id);
    expect((await waitForJob(app, id, isFinal)).status).toBe('SUCCEEDED');
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/^syncbridge_jobs\{status="SUCCEEDED",job_type="customer_sync"\} 1$/m);
  });
});
