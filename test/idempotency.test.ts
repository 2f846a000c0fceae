/**
 * Writes that are safe to repeat. Every write a handler makes through `ctx.upstream(…)` carries an
 * Idempotency-Key that stays the same across the job's attempts, so when the demo Billing commits
 * a charge (POST /charges, not an upsert) and the connection drops before its answer, the retry
 * gets the stored answer and Billing holds one charge. The mock honours keys the way payment APIs
 * do: the same key and body answer the stored response, the same key with another body is a 422.
 * Both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineJobType } from '../src/index.js';
import { idempotencyKey } from '../src/platform/idempotency.js';
import { providers, startTestApp, waitForJob, type TestApp } from './helpers.js';
import { jobEnqueue } from '../src/queue/services/jobsEnqueue.js';

const keysSeen: string[] = [];

const chargeCapture = defineJobType({
  name: 'charge_capture',
  description: 'Captures a charge in Billing (a POST that creates a new charge each time)',
  retry: { maxRetries: 3, backoff: { baseSeconds: 0.05 } },
  upstreams: ['billing'],
  handler: async ({ entityId, upstream, idempotencyKey: keyFor }) => {
    keysSeen.push(keyFor('capture'));
    return upstream('billing').post('/charges', { reference: entityId, amount_cents: 1250, currency: 'EUR' });
  },
});

describe.each(providers)('idempotency keys to upstreams (%s)', (provider) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp(provider, {}, { jobTypes: [chargeCapture], upstreams: { billing: {} } });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('a charge committed whose answer was lost is not charged again: the retry carries the same key and gets the stored answer', async () => {
    const job = await jobEnqueue(app.context, { jobType: 'charge_capture', entityId: `lost_${provider}` });
    const done = await waitForJob(app, job.id, (row) => row.status === 'SUCCEEDED' || row.status === 'DEAD' || row.status === 'FAILED');
    expect(done.status).toBe('SUCCEEDED');
    expect(done.attemptCount).toBe(2);
    const charges = app.mocks!.billingCharges.values().filter((charge) => charge.reference === `lost_${provider}`);
    expect(charges).toHaveLength(1);
    // Both attempts sent the same key; the second was answered from Billing's memory of the first.
    const attempts = await app.database.db.attempt.findMany({ where: { jobId: job.id }, orderBy: { attemptNumber: 'asc' } });
    const sent = attempts.map((attempt) => JSON.parse(attempt.details!).calls.map((call: any) => call.idempotencyKey));
    expect(sent[0]).toHaveLength(1);
    expect(sent[1]).toEqual(sent[0]);
    expect(sent[0][0]).toMatch(/^sb-\d+-0-/);
    // ctx.idempotencyKey is stable across attempts too.
    expect(new Set(keysSeen.slice(-2)).size).toBe(1);
  });

  it('Billing answers a repeated key with its stored response, and a reused key with another body with 422', async () => {
    const url = `${app.url}/mock/billing/charges`;
    const post = (key: string, body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });
    const first = await post(`k-${provider}`, { reference: 'ref_a', amount_cents: 100 });
    const again = await post(`k-${provider}`, { reference: 'ref_a', amount_cents: 100 });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    const other = await post(`k-${provider}`, { reference: 'ref_a', amount_cents: 999 });
    expect(other.status).toBe(422);
    // Without a key, each POST is a new charge.
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reference: 'ref_b', amount_cents: 1 }) });
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reference: 'ref_b', amount_cents: 1 }) });
    expect(app.mocks!.billingCharges.values().filter((charge) => charge.reference === 'ref_b')).toHaveLength(2);
  });

  it('a key is the same for every attempt of a job and operation, new for another job (a replay) or after the job took a later change', () => {
    const key = idempotencyKey({ id: 7, coalescedCount: 0 }, 'billing POST /charges #1');
    expect(idempotencyKey({ id: 7, coalescedCount: 0 }, 'billing POST /charges #1')).toBe(key);
    expect(idempotencyKey({ id: 8, coalescedCount: 0 }, 'billing POST /charges #1')).not.toBe(key);
    expect(idempotencyKey({ id: 7, coalescedCount: 1 }, 'billing POST /charges #1')).not.toBe(key);
    expect(idempotencyKey({ id: 7, coalescedCount: 0 }, 'billing POST /charges #2')).not.toBe(key);
  });
});
