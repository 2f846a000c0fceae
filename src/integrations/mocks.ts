/**
 * The built-in mock CRM and Billing, served by our own HTTP server under /mock/crm and
 * /mock/billing so the sync handlers always go over real HTTP. Fixtures exactly as SPEC →
 * "Mock CRM and Billing". State (flaky counters, upserted records) lives in one MockUpstreams
 * per server, so tests that start their own server start clean.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { signatureHeader, signWebhook } from './signature.js';

type CrmCustomer = { email: string; name: string };
type CrmInvoice = { customer_id: string; amount_cents: number; currency: string; status: string };

const customers: Record<string, CrmCustomer> = {
  c_1001: { email: 'alex@example.com', name: 'Alex Johnson' },
  c_1002: { email: 'sam@example.com', name: 'Sam Patel' },
  c_flaky: { email: 'flaky@example.com', name: 'Flaky Customer' },
};

const invoices: Record<string, CrmInvoice> = {
  i_2001: { customer_id: 'c_1001', amount_cents: 12500, currency: 'USD', status: 'open' },
  i_2002: { customer_id: 'c_1002', amount_cents: 9900, currency: 'USD', status: 'open' },
  i_flaky: { customer_id: 'c_flaky', amount_cents: 1999, currency: 'USD', status: 'open' },
};

/** Billing upserts of these ids always answer 429 (so: retries, then DEAD). */
const rateLimited = new Set(['c_1002', 'i_2002']);
/** CRM reads of these ids answer 503 on every odd-numbered read (fail, then succeed). */
const flaky = new Set(['c_flaky', 'i_flaky']);
/** A charge whose reference starts with this is committed, then its first answer is lost (the socket destroyed unanswered). */
const lostReplyPrefix = 'lost_';

/**
 * Bounds on what anyone who reaches the mocks can make this process hold: records per Billing
 * store, their bytes (oldest out first), and one record's size (413 beyond). 4,450 records of
 * 1 MB each once ended a server with "heap out of memory".
 */
export const mockLimits = {
  recordsPerStore: 10_000,
  bytesPerStore: 8 * 1024 * 1024,
  recordBytes: 64 * 1024,
  /** Requests remembered for the tests, and the characters kept of each path. */
  requests: 10_000,
  pathChars: 200,
} as const;

/** Who may call the mocks: the same bearer check as the API (and this process's own worker). */
export type MockAuthorizer = (authorization: string | undefined) => boolean;

export interface MockRequestRecord {
  method: string;
  path: string;
  correlationId: string | undefined;
  /** W3C trace context, when the caller traces. */
  traceparent: string | undefined;
}

/** A Billing store bounded in records and bytes: the oldest record goes first. */
export class BoundedStore {
  private readonly records = new Map<string, { value: Record<string, unknown>; bytes: number }>();
  /** Bytes of the stored records' JSON. */
  bytes = 0;

  get size(): number {
    return this.records.size;
  }

  get(key: string): Record<string, unknown> | undefined {
    return this.records.get(key)?.value;
  }

  has(key: string): boolean {
    return this.records.has(key);
  }

  values(): Record<string, unknown>[] {
    return [...this.records.values()].map((record) => record.value);
  }

  set(key: string, value: Record<string, unknown>, bytes: number): void {
    this.delete(key); // re-inserted as the newest
    this.records.set(key, { value, bytes });
    this.bytes += bytes;
    while (this.records.size > mockLimits.recordsPerStore || this.bytes > mockLimits.bytesPerStore) this.delete(this.records.keys().next().value!);
  }

  delete(key: string): void {
    const record = this.records.get(key);
    if (!record) return;
    this.records.delete(key);
    this.bytes -= record.bytes;
  }
}

/** Where the mock CRM posts the webhook of each change it takes (PUT), signed as SyncBridge-Signature. */
export interface CrmWebhookTarget {
  url: string;
  secret: string;
  logger: Logger;
}

/** A CRM record id, as the demo's job types take it. */
const crmIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** The webhook's tries for one change: the first, then after 1, 2, 4 and 8 s (a CRM retries until its receiver answers 2xx). */
const webhookRetryDelaysMs = [1_000, 2_000, 4_000, 8_000];

export class MockUpstreams {
  /** The CRM's records: the fixtures, then whatever PUT changed (bounded like the Billing stores). */
  readonly crmCustomers = new Map<string, CrmCustomer>(Object.entries(customers));
  readonly crmInvoices = new Map<string, CrmInvoice>(Object.entries(invoices));
  private webhookTarget: CrmWebhookTarget | undefined;
  private readonly webhookTimers = new Set<NodeJS.Timeout>();
  readonly billingCustomers = new BoundedStore();
  readonly billingInvoices = new BoundedStore();
  /** Charges: every POST /charges creates one (not an upsert), unless its Idempotency-Key was seen. */
  readonly billingCharges = new BoundedStore();
  /** Answers by Idempotency-Key, with a digest of the request they answered (bounded like the records). */
  readonly idempotentAnswers = new BoundedStore();
  private readonly lostReplies = new Set<string>();
  private chargeCount = 0;
  /** Every request received, newest last (bounded): tests check the correlation header with it. */
  readonly requests: MockRequestRecord[] = [];
  private readonly crmReads = new Map<string, number>();

  /** Without an authorizer every caller is let in (a loopback server without tokens). */
  constructor(private readonly authorize: MockAuthorizer = () => true) {}

  /** From now on each change PUT to the CRM posts a signed webhook to `target` (the demo loop: edit, webhook, sync). */
  sendWebhooksTo(target: CrmWebhookTarget | undefined): void {
    this.webhookTarget = target;
  }

  /** Stops the webhook retries still waiting. */
  close(): void {
    for (const timer of this.webhookTimers) clearTimeout(timer);
    this.webhookTimers.clear();
  }

  /** Handles /mock/crm/* and /mock/billing/*; returns false for any other path. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const match = /^\/mock\/(crm|billing)(\/.*)$/.exec(path);
    if (!match) return false;
    if (!this.authorize(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer', connection: 'close' });
      res.end(JSON.stringify({ error: 'unauthorized', message: 'The mock upstreams need an API token here: send Authorization: Bearer <token>.' }));
      return true;
    }
    const [, system, rest = ''] = match;
    const correlationId = req.headers['x-correlation-id'] as string | undefined;
    this.requests.push({
      method: req.method ?? 'GET',
      path: path.slice(0, mockLimits.pathChars),
      correlationId: correlationId?.slice(0, 128),
      traceparent: (req.headers.traceparent as string | undefined)?.slice(0, 128),
    });
    if (this.requests.length > mockLimits.requests) this.requests.splice(0, mockLimits.requests / 2);
    if (correlationId) res.setHeader('x-correlation-id', correlationId);
    if (system === 'crm') await this.crm(req, res, rest);
    else await this.billing(req, res, rest);
    return true;
  }

  private async crm(req: IncomingMessage, res: ServerResponse, rest: string) {
    const match = /^\/(customers|invoices)\/([^/]+)$/.exec(rest);
    if ((req.method !== 'GET' && req.method !== 'PUT') || !match) return send(res, 404, { error: 'not_found' });
    const [, kind, rawId = ''] = match;
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      return send(res, 400, { error: 'invalid_id' });
    }
    if (req.method === 'PUT') return this.crmPut(req, res, kind as 'customers' | 'invoices', id);
    const record = kind === 'customers' ? this.crmCustomers.get(id) : this.crmInvoices.get(id);
    if (!record) return send(res, 404, { error: 'not_found', id });
    if (flaky.has(id)) {
      const reads = (this.crmReads.get(id) ?? 0) + 1;
      this.crmReads.set(id, reads);
      if (reads % 2 === 1) return send(res, 503, { error: 'temporarily_unavailable', id });
    }
    return send(res, 200, { id, ...record });
  }

  /**
   * A change to a CRM record (created if new): the fields given replace the stored ones. Answered
   * with the record once the webhook of the change was tried (`x-webhook-delivery`,
   * `x-webhook-status`); a failed try is retried in the background, as a CRM would.
   */
  private async crmPut(req: IncomingMessage, res: ServerResponse, kind: 'customers' | 'invoices', id: string) {
    if (!crmIdPattern.test(id)) return send(res, 400, { error: 'invalid_id', message: 'A record id is letters, digits and . _ : @ - (at most 128).' });
    const text = await readBody(req, mockLimits.recordBytes);
    if (text === undefined) return send(res, 413, { error: 'too_large', max_bytes: mockLimits.recordBytes }, { connection: 'close' });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      return send(res, 400, { error: 'invalid_json' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return send(res, 400, { error: 'expected a JSON object' });
    const problem = kind === 'customers' ? this.putCustomer(id, body) : this.putInvoice(id, body);
    if (problem) return send(res, 422, { error: 'invalid_record', message: problem });
    const record = kind === 'customers' ? this.crmCustomers.get(id) : this.crmInvoices.get(id);
    const headers: Record<string, string> = {};
    if (this.webhookTarget) {
      const delivery = `evt_${randomUUID()}`;
      const event = JSON.stringify({ id: delivery, type: kind === 'customers' ? 'customer.updated' : 'invoice.updated', data: { id } });
      headers['x-webhook-delivery'] = delivery;
      headers['x-webhook-status'] = String(await this.postWebhook(this.webhookTarget, event, 0));
    }
    return send(res, 200, { id, ...record }, headers);
  }

  private putCustomer(id: string, body: Record<string, unknown>): string | undefined {
    const current = this.crmCustomers.get(id);
    const next = { email: body.email ?? current?.email, name: body.name ?? current?.name };
    if (typeof next.email !== 'string' || typeof next.name !== 'string' || next.email.length > 320 || next.name.length > 200)
      return 'A customer has an email and a name (strings).';
    this.crmCustomers.delete(id); // re-inserted as the newest; the oldest go first past the bound
    this.crmCustomers.set(id, next as CrmCustomer);
    while (this.crmCustomers.size > mockLimits.recordsPerStore) this.crmCustomers.delete(this.crmCustomers.keys().next().value!);
    return undefined;
  }

  private putInvoice(id: string, body: Record<string, unknown>): string | undefined {
    const current = this.crmInvoices.get(id);
    const next = {
      customer_id: body.customer_id ?? current?.customer_id,
      amount_cents: body.amount_cents ?? current?.amount_cents,
      currency: body.currency ?? current?.currency ?? 'USD',
      status: body.status ?? current?.status ?? 'open',
    };
    const ok = typeof next.customer_id === 'string' && Number.isInteger(next.amount_cents) && typeof next.currency === 'string' && typeof next.status === 'string';
    if (!ok || [next.customer_id, next.currency, next.status].some((value) => (value as string).length > 200)) {
      return 'An invoice has a customer_id, an integer amount_cents, a currency and a status.';
    }
    this.crmInvoices.delete(id);
    this.crmInvoices.set(id, next as CrmInvoice);
    while (this.crmInvoices.size > mockLimits.recordsPerStore) this.crmInvoices.delete(this.crmInvoices.keys().next().value!);
    return undefined;
  }

  /** One try of a change's webhook: the receiver's status (0: no answer); a failure schedules the next try. */
  private async postWebhook(target: CrmWebhookTarget, event: string, tries: number): Promise<number> {
    let status = 0;
    try {
      // Signed at each try: the timestamp must be recent when it arrives.
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [signatureHeader]: signWebhook(event, target.secret) },
        body: event,
        signal: AbortSignal.timeout(10_000),
      });
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      target.logger.warn({ err: (error as Error).message, url: target.url }, 'mock CRM: the webhook could not be delivered');
    }
    const retry = webhookRetryDelaysMs[tries];
    // 4xx other than 429 will not change on a retry; no answer, 429 and 5xx may.
    if ((status === 0 || status === 429 || status >= 500) && retry !== undefined) {
      const timer = setTimeout(() => {
        this.webhookTimers.delete(timer);
        void this.postWebhook(target, event, tries + 1);
      }, retry);
      timer.unref();
      this.webhookTimers.add(timer);
    } else if (status >= 400 || status === 0) target.logger.warn({ status, url: target.url }, 'mock CRM: the webhook was refused; not retried');
    return status;
  }

  private async billing(req: IncomingMessage, res: ServerResponse, rest: string) {
    const kind = rest === '/customers' ? 'customers' : rest === '/invoices' ? 'invoices' : rest === '/charges' ? 'charges' : undefined;
    if (req.method !== 'POST' || !kind) return send(res, 404, { error: 'not_found' });
    const text = await readBody(req, mockLimits.recordBytes);
    if (text === undefined) return send(res, 413, { error: 'too_large', max_bytes: mockLimits.recordBytes }, { connection: 'close' });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return send(res, 400, { error: 'invalid_json' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return send(res, 400, { error: 'expected a JSON object' });
    // As payment APIs do: a key seen before answers what it answered then, if the request is the same.
    const key = (req.headers['idempotency-key'] as string | undefined)?.slice(0, 255);
    const digest = `${kind}\n${text}`;
    const earlier = key === undefined ? undefined : this.idempotentAnswers.get(key);
    if (earlier) {
      if (earlier.digest !== digest) return send(res, 422, { error: 'idempotency_key_reused', message: 'This Idempotency-Key was used with a different request.' });
      return send(res, earlier.status as number, earlier.body, { 'idempotent-replayed': 'true' });
    }
    const [status, answer] = kind === 'charges' ? this.charge(body) : this.upsert(kind, body, text);
    if (key !== undefined && status < 500 && status !== 429) this.idempotentAnswers.set(key, { digest, status, body: answer }, Buffer.byteLength(digest) + 256);
    const reference = typeof body.reference === 'string' ? body.reference : '';
    if (kind === 'charges' && status === 201 && reference.startsWith(lostReplyPrefix) && !this.lostReplies.has(reference)) {
      this.lostReplies.add(reference);
      req.socket.destroy(); // committed, and the caller never hears so
      return;
    }
    return send(res, status, answer, status === 429 ? { 'retry-after': '0' } : {});
  }

  private upsert(kind: 'customers' | 'invoices', body: Record<string, unknown>, text: string): [number, Record<string, unknown>] {
    const externalId = typeof body.external_id === 'string' ? body.external_id : undefined;
    if (!externalId) return [422, { error: 'external_id is required' }];
    if (rateLimited.has(externalId)) return [429, { error: 'rate_limited', external_id: externalId }];
    const id = kind === 'customers' ? `b_${externalId}` : `bi_${externalId}`;
    const stored = { id, ...body };
    const store = kind === 'customers' ? this.billingCustomers : this.billingInvoices;
    // Bounded in records and bytes, oldest first out: it is a demo, not a system of record.
    store.set(externalId, stored, Buffer.byteLength(text));
    return [200, stored];
  }

  /** A new charge every time: a retry without an Idempotency-Key charges twice. */
  private charge(body: Record<string, unknown>): [number, Record<string, unknown>] {
    const amount = body.amount_cents;
    if (typeof body.reference !== 'string' || !Number.isInteger(amount) || (amount as number) <= 0) {
      return [422, { error: 'reference (string) and amount_cents (a positive integer) are required' }];
    }
    const id = `ch_${++this.chargeCount}`;
    const stored = { id, reference: body.reference, amount_cents: amount, currency: typeof body.currency === 'string' ? body.currency : 'USD' };
    this.billingCharges.set(id, stored, 256);
    return [201, stored];
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The body as text, or undefined once it passes `maxBytes` (the rest is not read). */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return undefined;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Stop reading (the connection closes after the answer) instead of destroying the socket unanswered.
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}
