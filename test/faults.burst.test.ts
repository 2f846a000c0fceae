/**
 * Fault suite, subscriber side: ordinary subscribers whose selection needs the database for every
 * event (a relation), during a burst of 5,000 jobs. The process must stay up and every subscriber
 * must see every final state (a dashboard reading normally is never dropped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlHttp, isFinal, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';
import { sseSubscribe, wsClient, wsSubscribe } from './live.helpers.js';
import { StubUpstream } from './faults.helpers.js';

describe.each(providers)('faults: a burst of 5,000 jobs under subscribers with relation fields (%s)', (provider) => {
  let stub: StubUpstream;
  let app: TestApp;
  beforeAll(async () => {
    stub = await new StubUpstream().start();
    app = await startTestApp(provider, { SYNCBRIDGE_CRM_BASE_URL: stub.crmUrl, SYNCBRIDGE_BILLING_BASE_URL: stub.billingUrl });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.stop();
  });

  it('keeps the process up and brings every final state to every subscriber', async () => {
    const withRelations = `subscription { jobUpdated(jobType: CUSTOMER_SYNC) { id status attempts { id success errorType } } }`;
    const client = wsClient(app.url);
    const subscribers = [wsSubscribe(client, withRelations), sseSubscribe(app.url, withRelations)];
    try {
      await expect.poll(() => app.live.engine.stats.members).toBe(2);
      const { data } = await gqlHttp(app, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }`, {
        inputs: Array.from({ length: 5_000 }, (_, i) => ({ jobType: 'CUSTOMER_SYNC', entityId: `burst_${i}` })),
      });
      const ids: string[] = data!.enqueueJobs.map((item: { job: { id: string } }) => item.job.id);
      expect(ids).toHaveLength(5_000);
      await waitForJob(app, Number(ids.at(-1)), isFinal, 60_000);
      for (const subscriber of subscribers) {
        await subscriber.until((items) => {
          const succeeded = new Set(items.filter((item: any) => item.status === 'SUCCEEDED' && item.attempts[0]?.success).map((item: any) => item.id));
          return ids.every((id) => succeeded.has(id));
        }, 60_000);
        expect(subscriber.error).toBeUndefined();
      }
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      expect(app.logs.lines.filter((line) => line.msg === 'a live subscription failed')).toEqual([]);
    } finally {
      for (const subscriber of subscribers) subscriber.dispose();
      await client.dispose();
    }
  }, 120_000);
});
