/**
 * Inbound webhooks (POST /hooks/<source>) on both databases: signatures (SyncBridge's scheme with
 * rotation and a timestamp tolerance, GitHub's), every refusal answered with its status and
 * leaving no delivery and no job, a delivery stored with its jobs and answered once durable, a
 * repeat answered as a duplicate that changes nothing, coalescing per entity, the rate limit,
 * audit as `webhook:<source>`, GraphQL's view, retention, and a burst of 1,000 with 100 repeats
 * sent concurrently. The demo loop (a PUT to the mock CRM → webhook → sync → Billing) runs end to
 * end, seen by a jobUpdated subscriber over graphql-ws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJobType, defineWebhookSource, signGithubWebhook, signWebhook, verifyGithubWebhook, verifyWebhook } from '../src/index.js';
import { loadConfig } from '../src/config/index.js';
import { startSyncBridge } from '../src/main.js';
import { demoJobTypes, demoUpstreams, demoWebhooks } from '../src/demo/jobTypes.js';
import { gql, LogCapture, providers, startTestApp, testEnv, waitForJob, type TestApp } from './helpers.js';
import { wsClient, wsSubscribe } from './live.helpers.js';
import { pino } from 'pino';

const secret = 'whsec_test_current';
const oldSecret = 'whsec_test_previous';

/** Posts a delivery the way a CRM does: the raw body, signed (unless `signature` says otherwise). */
async function deliver(app: Pick<TestApp, 'url'>, body: unknown, options: { source?: string; signature?: string | null; headers?: Record<string, string>; method?: string } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const signature = options.signature === undefined ? signWebhook(raw, secret) : options.signature;
  if (signature !== null) headers['syncbridge-signature'] = signature;
  const response = await fetch(`${app.url}/hooks/${options.source ?? 'crm'}`, { method: options.method ?? 'POST', headers, body: options.method === 'GET' ? undefined : raw });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

const customerUpdated = (id: string, entityId: string) => ({ id, type: 'customer.updated', data: { id: entityId } });

async function counts(app: TestApp) {
  const [deliveries, links, jobs] = await Promise.all([app.database.db.webhookDelivery.count(), app.database.db.webhookDeliveryJob.count(), app.database.db.job.count()]);
  return { deliveries, links, jobs };
}

describe('webhook signatures', () => {
  const body = JSON.stringify(customerUpdated('evt_1', 'c_1001'));
  const now = 1_800_000_000;

  it('verifies a SyncBridge-Signature made with any current secret, within 300 s either way, over the exact bytes', () => {
    expect(verifyWebhook(signWebhook(body, secret, now), body, [secret], now)).toEqual({ ok: true });
    expect(verifyWebhook(signWebhook(body, secret, now - 299), Buffer.from(body), [oldSecret, secret], now)).toEqual({ ok: true });
    expect(verifyWebhook(signWebhook(body, secret, now + 299), body, [secret], now)).toEqual({ ok: true });
    expect(verifyWebhook(signWebhook(body, secret, now - 301), body, [secret], now)).toMatchObject({ ok: false, reason: expect.stringContaining('300 s') });
    expect(verifyWebhook(signWebhook(body, secret, now), body + ' ', [secret], now)).toMatchObject({ ok: false, reason: 'no signature matches' });
    expect(verifyWebhook(signWebhook(body, 'another', now), body, [secret], now)).toMatchObject({ ok: false });
    expect(verifyWebhook(undefined, body, [secret], now)).toMatchObject({ ok: false, reason: expect.stringContaining('missing') });
    expect(verifyWebhook(`t=${now}`, body, [secret], now)).toMatchObject({ ok: false, reason: expect.stringContaining('v1') });
    expect(verifyWebhook(`v1=00`, body, [secret], now)).toMatchObject({ ok: false, reason: expect.stringContaining('t=') });
    // Malformed digests (not hex, wrong length) never match, and never throw.
    expect(verifyWebhook(`t=${now},v1=zz,v1=${'0'.repeat(63)}`, body, [secret], now)).toMatchObject({ ok: false });
  });

  it('accepts several v1 values, so a sender rotating its secret signs with the old and the new', () => {
    const both = signWebhook(body, [oldSecret, secret], now);
    expect(both.split(',').filter((part) => part.startsWith('v1='))).toHaveLength(2);
    expect(verifyWebhook(both, body, [secret], now)).toEqual({ ok: true });
    expect(verifyWebhook(both, body, [oldSecret], now)).toEqual({ ok: true });
    expect(verifyWebhook(both, body, ['neither'], now)).toMatchObject({ ok: false });
  });

  it("verifies GitHub's X-Hub-Signature-256", () => {
    expect(verifyGithubWebhook(signGithubWebhook(body, secret), body, [secret])).toEqual({ ok: true });
    expect(verifyGithubWebhook(signGithubWebhook(body, secret), `${body}x`, [secret])).toMatchObject({ ok: false });
    expect(verifyGithubWebhook('sha1=abc', body, [secret])).toMatchObject({ ok: false, reason: expect.stringContaining('sha256=') });
  });
});

describe.each(providers)('inbound webhooks (%s)', (provider) => {
  let app: TestApp;
  const githubSecret = 'gh_secret';

  const repoSync = defineJobType({ name: 'repo_sync', payload: z.object({ ref: z.string() }), handler: async () => undefined });
  const github = defineWebhookSource({
    scheme: 'github',
    schema: z.object({ ref: z.string(), repository: z.object({ name: z.string() }) }),
    map: (event) => [{ jobType: 'repo_sync', entityId: event.repository.name, payload: { ref: event.ref } }],
  });
  const limited = defineWebhookSource({ deliveriesPerMinute: 3, map: () => [] });

  beforeAll(async () => {
    app = await startTestApp(
      provider,
      // No worker: the jobs stay as the deliveries left them.
      { SYNCBRIDGE_WORKER: 'off', SYNCBRIDGE_WEBHOOK_SECRETS: `crm:${oldSecret},crm:${secret},limited:${secret}`, GH_HOOK_SECRET: githubSecret },
      {
        jobTypes: [...demoJobTypes, repoSync],
        upstreams: demoUpstreams,
        webhooks: { ...demoWebhooks, github: { ...github, secretEnv: 'GH_HOOK_SECRET' } as typeof github, limited, unsigned: defineWebhookSource({ map: () => [] }) },
      },
    );
  });
  afterAll(() => app?.close());

  it('refuses, each with its status and reason, and stores nothing: an unknown or unsigned source, a large body, a bad or stale signature, not JSON, an event the mapping refuses', async () => {
    const before = await counts(app);
    const event = customerUpdated('evt_refused', 'c_1001');
    const raw = JSON.stringify(event);
    const stale = signWebhook(raw, secret, Math.floor(Date.now() / 1000) - 301);
    const refusals: [string, Awaited<ReturnType<typeof deliver>>, number, string][] = [
      ['unknown source', await deliver(app, event, { source: 'nosuch' }), 404, 'unknown_source'],
      ['a defined source without a secret', await deliver(app, event, { source: 'unsigned' }), 404, 'unknown_source'],
      ['not POST', await deliver(app, event, { method: 'GET' }), 405, 'method_not_allowed'],
      ['over 1 MiB', await deliver(app, { ...event, padding: 'x'.repeat(1024 * 1024) }), 413, 'too_large'],
      ['no signature', await deliver(app, event, { signature: null }), 401, 'invalid_signature'],
      ['a wrong secret', await deliver(app, event, { signature: signWebhook(raw, 'guessed') }), 401, 'invalid_signature'],
      ['signed for another body', await deliver(app, event, { signature: signWebhook(JSON.stringify(customerUpdated('evt_other', 'c_1001')), secret) }), 401, 'invalid_signature'],
      ['a stale timestamp', await deliver(app, event, { signature: stale }), 401, 'invalid_signature'],
      ['not JSON', await deliver(app, '{"id": "evt_x", '), 400, 'invalid_json'],
      ['no data.id', await deliver(app, { id: 'evt_nodata', type: 'customer.updated' }), 422, 'unprocessable'],
      ['no delivery id', await deliver(app, { id: '', type: 'customer.updated', data: { id: 'c_1001' } }), 422, 'unprocessable'],
      ['an entity id the job type refuses', await deliver(app, customerUpdated('evt_badentity', '../etc/passwd')), 422, 'unprocessable'],
      [
        'a GitHub delivery without its signature',
        await deliver(app, { ref: 'main', repository: { name: 'api' } }, { source: 'github', signature: null }),
        401,
        'invalid_signature',
      ],
    ];
    for (const [what, answer, status, error] of refusals) {
      expect({ what, status: answer.status, error: answer.body.error }).toEqual({ what, status, error });
      expect(answer.body.message, what).toEqual(expect.any(String));
    }
    expect(refusals.find(([what]) => what === 'an entity id the job type refuses')![1].body.message).toMatch(/jobs\[0\].*entityId/);
    expect(refusals.find(([what]) => what === 'no data.id')![1].body.message).toMatch(/data/);
    expect(await counts(app)).toEqual(before);
  });

  it('stores a delivery with its job before answering 200, audited as webhook:<source>; a repeat answers duplicate and changes nothing', async () => {
    const first = await deliver(app, customerUpdated('evt_first', 'c_hook_1'), { headers: { 'x-request-id': 'req-hook-1' } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ delivery: 'evt_first', jobs: [{ id: expect.stringMatching(/^\d+$/), coalesced: false, outcome: 'CREATED' }] });
    const jobId = Number(first.body.jobs[0].id);
    const job = await app.database.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ jobType: 'customer_sync', entityId: 'c_hook_1', status: 'PENDING' });
    expect(await app.database.db.auditEvent.findMany({ where: { jobId }, select: { actor: true, action: true, outcome: true, requestId: true } })).toEqual([
      { actor: 'webhook:crm', action: 'ENQUEUE', outcome: 'OK', requestId: 'req-hook-1' },
    ]);
    const before = await counts(app);
    const again = await deliver(app, customerUpdated('evt_first', 'c_hook_1'));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ delivery: 'evt_first', duplicate: true, jobs: [{ id: String(jobId), coalesced: false, outcome: 'CREATED' }] });
    expect(await counts(app)).toEqual(before);
    expect(await app.database.db.job.findUniqueOrThrow({ where: { id: jobId } })).toMatchObject({ coalescedCount: 0, updatedAt: job.updatedAt });
  });

  it('folds a second change of the same record into its pending job (COALESCE), and shows both deliveries on the job and in webhookDeliveries', async () => {
    const first = await deliver(app, customerUpdated('evt_c1', 'c_hook_2'));
    const second = await deliver(app, customerUpdated('evt_c2', 'c_hook_2'));
    expect(second.body.jobs).toEqual([{ id: first.body.jobs[0].id, coalesced: true, outcome: 'COALESCED' }]);
    const jobId = first.body.jobs[0].id as string;
    expect((await app.database.db.job.findUniqueOrThrow({ where: { id: Number(jobId) } })).coalescedCount).toBe(1);

    const viewed = await gql(
      app,
      `query ($id: ID!) {
        job(id: $id) { webhookDeliveries { outcome delivery { source deliveryId eventType } } }
        webhookDeliveries(first: 2, source: "crm") { edges { node { deliveryId eventType bodyBytes jobs { outcome jobId job { entityId } } } } }
      }`,
      { id: jobId },
    );
    expect(viewed.errors).toBeUndefined();
    expect(viewed.data!.job.webhookDeliveries).toEqual([
      { outcome: 'CREATED', delivery: { source: 'crm', deliveryId: 'evt_c1', eventType: 'customer.updated' } },
      { outcome: 'COALESCED', delivery: { source: 'crm', deliveryId: 'evt_c2', eventType: 'customer.updated' } },
    ]);
    expect(viewed.data!.webhookDeliveries.edges.map((edge: any) => edge.node)).toEqual([
      {
        deliveryId: 'evt_c2',
        eventType: 'customer.updated',
        bodyBytes: JSON.stringify(customerUpdated('evt_c2', 'c_hook_2')).length,
        jobs: [{ outcome: 'COALESCED', jobId, job: { entityId: 'c_hook_2' } }],
      },
      {
        deliveryId: 'evt_c1',
        eventType: 'customer.updated',
        bodyBytes: JSON.stringify(customerUpdated('evt_c1', 'c_hook_2')).length,
        jobs: [{ outcome: 'CREATED', jobId, job: { entityId: 'c_hook_2' } }],
      },
    ]);
  });

  it('records an event the source maps to no job, so its repeat is still recognised', async () => {
    const answer = await deliver(app, { id: 'evt_viewed', type: 'customer.viewed', data: { id: 'c_1001' } });
    expect(answer).toMatchObject({ status: 200, body: { delivery: 'evt_viewed', jobs: [] } });
    expect((await deliver(app, { id: 'evt_viewed', type: 'customer.viewed', data: { id: 'c_1001' } })).body).toEqual({ delivery: 'evt_viewed', duplicate: true, jobs: [] });
  });

  it('takes a GitHub-signed delivery, its id from X-GitHub-Delivery and its payload checked by the job type', async () => {
    const raw = JSON.stringify({ ref: 'refs/heads/main', repository: { name: 'billing-api' } });
    const post = (signature: string) =>
      fetch(`${app.url}/hooks/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature, 'x-github-delivery': 'gh-delivery-1', 'x-github-event': 'push' },
        body: raw,
      });
    expect((await post(signGithubWebhook(raw, 'wrong'))).status).toBe(401);
    const answer = await post(signGithubWebhook(raw, githubSecret));
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { jobs: { id: string }[] };
    expect(await app.database.db.job.findUniqueOrThrow({ where: { id: Number(body.jobs[0]!.id) } })).toMatchObject({
      jobType: 'repo_sync',
      entityId: 'billing-api',
      payload: '{"ref":"refs/heads/main"}',
    });
    expect(await app.database.db.webhookDelivery.findFirstOrThrow({ where: { source: 'github' } })).toMatchObject({ deliveryId: 'gh-delivery-1', eventType: 'push' });
  });

  it('answers 429 with Retry-After past a source’s deliveries per minute, storing nothing', async () => {
    for (let index = 0; index < 3; index++) expect((await deliver(app, { id: `evt_limited_${index}` }, { source: 'limited' })).status).toBe(200);
    const before = await counts(app);
    const refused = await deliver(app, { id: 'evt_limited_3' }, { source: 'limited' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await counts(app)).toEqual(before);
  });

  it('prunes deliveries past their retention, with their links; a repeat after that is a new delivery', async () => {
    await deliver(app, customerUpdated('evt_old', 'c_hook_old'));
    const stored = await app.database.db.webhookDelivery.findFirstOrThrow({ where: { deliveryId: 'evt_old' } });
    await app.database.db.webhookDelivery.update({ where: { id: stored.id }, data: { receivedAt: new Date(Date.now() - 8 * 86_400_000) } });
    const { Retention } = await import('../src/queue/maintenance/retention.js');
    await new Retention(app.context, { succeededSeconds: 0, failedSeconds: 0, webhookDeliveriesSeconds: 7 * 86_400, intervalMs: 60_000 }).runOnce();
    expect(await app.database.db.webhookDelivery.count({ where: { deliveryId: 'evt_old' } })).toBe(0);
    expect(await app.database.db.webhookDeliveryJob.count({ where: { webhookDeliveryId: stored.id } })).toBe(0);
    expect(await app.database.db.webhookDelivery.count()).toBeGreaterThan(0);
    expect((await deliver(app, customerUpdated('evt_old', 'c_hook_old'))).body.duplicate).toBeUndefined();
  });

  it('takes a burst of 1,000 concurrent deliveries, 100 of them repeats: exactly 900 deliveries, one job per record with every change counted', async () => {
    const records = 300;
    const unique = Array.from({ length: 900 }, (_, index) => customerUpdated(`evt_burst_${index}`, `c_burst_${index % records}`));
    // Each repeat is sent beside its original, so the two race for the same id.
    const sends = unique.flatMap((event, index) => (index % 9 === 0 ? [event, event] : [event]));
    expect(sends).toHaveLength(1000);
    const answers: Awaited<ReturnType<typeof deliver>>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < sends.length) answers.push(await deliver(app, sends[next++]));
      }),
    );
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
    expect(answers.filter((answer) => answer.body.duplicate)).toHaveLength(100);
    const stored = await app.database.db.webhookDelivery.findMany({ where: { deliveryId: { startsWith: 'evt_burst_' } }, include: { jobs: true } });
    expect(stored).toHaveLength(900);
    const jobs = await app.database.db.job.findMany({ where: { entityId: { startsWith: 'c_burst_' } } });
    expect(jobs).toHaveLength(records);
    // Three changes per record: one job each, the other two folded into it.
    expect(jobs.every((job) => job.coalescedCount === 2 && job.status === 'PENDING')).toBe(true);
    const jobOfEntity = new Map(jobs.map((job) => [job.entityId, job.id]));
    for (const delivery of stored) {
      const index = Number(delivery.deliveryId.slice('evt_burst_'.length));
      expect(delivery.jobs.map((link) => link.jobId)).toEqual([jobOfEntity.get(`c_burst_${index % records}`)]);
    }
  });
});

describe('start-up checks of webhook sources', () => {
  it('stops start-up when SYNCBRIDGE_WEBHOOK_SECRETS names a source no module defines', async () => {
    const config = loadConfig({ ...testEnv, DATABASE_URL: 'file:/nonexistent/never-opened.db', SYNCBRIDGE_WEBHOOK_SECRETS: 'crn:typo' });
    const logs = new LogCapture();
    await expect(startSyncBridge(config, { logger: pino(logs.stream) })).rejects.toThrow(/"crn".*defined: crm/);
  });

  it('refuses a malformed SYNCBRIDGE_WEBHOOK_SECRETS without echoing the secret', () => {
    expect(() => loadConfig({ ...testEnv, SYNCBRIDGE_WEBHOOK_SECRETS: 'CRM=whsec_leaky' })).toThrow(/source:secret/);
    expect(() => loadConfig({ ...testEnv, SYNCBRIDGE_WEBHOOK_SECRETS: 'CRM=whsec_leaky' })).not.toThrow(/whsec_leaky/);
  });
});

describe.each(providers)('the demo loop: the mock CRM posts signed webhooks (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_WEBHOOK_SECRETS: `crm:${secret}` });
  });
  afterAll(() => app?.close());

  it('a PUT to the CRM reaches Billing through the webhook, and a jobUpdated subscriber sees the whole chain', async () => {
    const client = wsClient(app.url);
    const updates = wsSubscribe<{ id: string; entityId: string; status: string }>(client, 'subscription { jobUpdated(jobType: CUSTOMER_SYNC) { id entityId status } }');
    try {
      // The subscription is live once it answers: wait for its first event (none yet) by a round trip.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const put = await fetch(`${app.url}/mock/crm/customers/c_1001`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Alex J. Renamed' }),
      });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({ id: 'c_1001', email: 'alex@example.com', name: 'Alex J. Renamed' });
      expect(put.headers.get('x-webhook-status')).toBe('200');
      const delivery = put.headers.get('x-webhook-delivery')!;
      expect(delivery).toMatch(/^evt_/);
      const stored = await app.database.db.webhookDelivery.findFirstOrThrow({ where: { deliveryId: delivery }, include: { jobs: true } });
      const jobId = stored.jobs[0]!.jobId;
      await waitForJob(app, jobId, (job) => job.status === 'SUCCEEDED');
      expect(app.mocks!.billingCustomers.get('c_1001')).toMatchObject({ external_id: 'c_1001', name: 'Alex J. Renamed' });
      const seen = await updates.until((items) => items.some((item) => item.id === String(jobId) && item.status === 'SUCCEEDED'));
      expect(seen.filter((item) => item.id === String(jobId)).map((item) => item.status)).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    } finally {
      updates.dispose();
      await client.dispose();
    }
  });

  it('a new CRM record PUT is created and synced; a bad record is refused with 422 and sends nothing', async () => {
    const before = await app.database.db.webhookDelivery.count();
    const bad = await fetch(`${app.url}/mock/crm/invoices/i_new`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount_cents: 'ten' }),
    });
    expect(bad.status).toBe(422);
    expect(await app.database.db.webhookDelivery.count()).toBe(before);
    const put = await fetch(`${app.url}/mock/crm/invoices/i_new`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer_id: 'c_1001', amount_cents: 4200, currency: 'EUR', status: 'open' }),
    });
    expect(put.status).toBe(200);
    const stored = await app.database.db.webhookDelivery.findFirstOrThrow({ where: { deliveryId: put.headers.get('x-webhook-delivery')! }, include: { jobs: true } });
    await waitForJob(app, stored.jobs[0]!.jobId, (job) => job.status === 'SUCCEEDED');
    expect(app.mocks!.billingInvoices.get('i_new')).toMatchObject({ external_id: 'i_new', amount_cents: 4200, currency: 'EUR' });
  });
});
