/**
 * The built-in mock CRM and Billing, served by our own HTTP server under /mock/crm and
 * /mock/billing so the sync handlers always go over real HTTP. Fixtures exactly as SPEC →
 * "Mock CRM and Billing". State (flaky counters, upserted records) lives in one MockUpstreams
 * per server, so tests that start their own server start clean.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const customers: Record<string, { email: string; name: string }> = {
  c_1001: { email: 'alex@example.com', name: 'Alex Johnson' },
  c_1002: { email: 'sam@example.com', name: 'Sam Patel' },
  c_flaky: { email: 'flaky@example.com', name: 'Flaky Customer' },
};

const invoices: Record<string, { customer_id: string; amount_cents: number; currency: string; status: string }> = {
  i_2001: { customer_id: 'c_1001', amount_cents: 12500, currency: 'USD', status: 'open' },
  i_2002: { customer_id: 'c_1002', amount_cents: 9900, currency: 'USD', status: 'open' },
  i_flaky: { customer_id: 'c_flaky', amount_cents: 1999, currency: 'USD', status: 'open' },
};

/** Billing upserts of these ids always answer 429 (so: retries, then DEAD). */
const rateLimited = new Set(['c_1002', 'i_2002']);
/** CRM reads of these ids answer 503 on every odd-numbered read (fail, then succeed). */
const flaky = new Set(['c_flaky', 'i_flaky']);

/** Records each Billing store keeps. */
export const mockStoreLimit = 10_000;

export interface MockRequestRecord {
  method: string;
  path: string;
  correlationId: string | undefined;
  /** W3C trace context, when the caller traces. */
  traceparent: string | undefined;
}

export class MockUpstreams {
  readonly billingCustomers = new Map<string, Record<string, unknown>>();
  readonly billingInvoices = new Map<string, Record<string, unknown>>();
  /** Every request received, newest last (bounded): tests check the correlation header with it. */
  readonly requests: MockRequestRecord[] = [];
  private readonly crmReads = new Map<string, number>();

  /** Handles /mock/crm/* and /mock/billing/*; returns false for any other path. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const match = /^\/mock\/(crm|billing)(\/.*)$/.exec(path);
    if (!match) return false;
    const [, system, rest = ''] = match;
    const correlationId = req.headers['x-correlation-id'] as string | undefined;
    this.requests.push({ method: req.method ?? 'GET', path, correlationId, traceparent: req.headers.traceparent as string | undefined });
    if (this.requests.length > 10_000) this.requests.splice(0, 5_000);
    if (correlationId) res.setHeader('x-correlation-id', correlationId);
    if (system === 'crm') this.crm(req, res, rest);
    else await this.billing(req, res, rest);
    return true;
  }

  private crm(req: IncomingMessage, res: ServerResponse, rest: string) {
    const match = /^\/(customers|invoices)\/([^/]+)$/.exec(rest);
    if (req.method !== 'GET' || !match) return send(res, 404, { error: 'not_found' });
    const [, kind, rawId = ''] = match;
    const id = decodeURIComponent(rawId);
    const record = kind === 'customers' ? customers[id] : invoices[id];
    if (!record) return send(res, 404, { error: 'not_found', id });
    if (flaky.has(id)) {
      const reads = (this.crmReads.get(id) ?? 0) + 1;
      this.crmReads.set(id, reads);
      if (reads % 2 === 1) return send(res, 503, { error: 'temporarily_unavailable', id });
    }
    return send(res, 200, { id, ...record });
  }

  private async billing(req: IncomingMessage, res: ServerResponse, rest: string) {
    const kind = rest === '/customers' ? 'customers' : rest === '/invoices' ? 'invoices' : undefined;
    if (req.method !== 'POST' || !kind) return send(res, 404, { error: 'not_found' });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return send(res, 400, { error: 'invalid_json' });
    }
    const externalId = typeof body.external_id === 'string' ? body.external_id : undefined;
    if (!externalId) return send(res, 422, { error: 'external_id is required' });
    if (rateLimited.has(externalId)) {
      res.setHeader('retry-after', '0');
      return send(res, 429, { error: 'rate_limited', external_id: externalId });
    }
    const id = kind === 'customers' ? `b_${externalId}` : `bi_${externalId}`;
    const stored = { id, ...body };
    const store = kind === 'customers' ? this.billingCustomers : this.billingInvoices;
    store.delete(externalId); // re-inserted as the newest
    store.set(externalId, stored);
    // Bounded, oldest first out: anyone can post here, and it is a demo, not a system of record.
    if (store.size > mockStoreLimit) store.delete(store.keys().next().value!);
    return send(res, 200, stored);
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 1_000_000) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
