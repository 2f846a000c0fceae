/**
 * Job types of a team's own (defineJobType) run end to end on both databases: payloads validated
 * by their schema and stored (a mismatch refused with its path, nothing written), versions routed,
 * unknown and retired types, the type's retry policy and time limit, RetryableError and
 * NonRetryableError, and named upstreams against a real HTTP server: credentials sent from the
 * environment and never logged or recorded, a 503 retried with its forensics kept.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as v from 'valibot';
import { defineJobType, NonRetryableError, RetryableError, type UpstreamConfig } from '../src/index.js';
import { jobEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { schedulesTick } from '../src/queue/maintenance/scheduler.js';
import { createTestDatabase, gqlHttp, isFinal, providers, startTestApp, waitForJob, type TestApp, type TestDatabase } from './helpers.js';

const helpdeskToken = 'hd-secret-7f3a9c1e5b';
const billingKey = 'bk-secret-2d8e4a6f0c';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A helpdesk (bearer token) and a billing API (API key header) on one real HTTP server. */
class FixtureUpstreams {
  readonly received: Received[] = [];
  private server: Server | undefined;
  private readonly failedOnce = new Set<string>();
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        this.received.push({ method: req.method ?? '', path, headers: req.headers, body: raw ? JSON.parse(raw) : undefined });
        const send = (status: number, body?: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body === undefined ? '' : JSON.stringify(body));
        };
        const contact = /^\/helpdesk\/contacts\/([^/]+)$/.exec(path);
        if (contact) {
          if (req.headers.authorization !== `Bearer ${helpdeskToken}`) return send(401, { error: 'unauthorized' });
          const id = decodeURIComponent(contact[1]!);
          // A contact that answers 503 the first time it is asked for.
          if (id.startsWith('h_503') && !this.failedOnce.has(id)) {
            this.failedOnce.add(id);
            return send(503, { error: 'helpdesk is restarting' });
          }
          return send(200, { id, tier: 'gold' });
        }
        if (path === '/billing/customers' && req.method === 'POST') {
          if (req.headers['x-api-key'] !== billingKey) return send(403, { error: 'bad key' });
          return send(201, { id: `b_${this.received.length}`, ...(JSON.parse(raw) as object) });
        }
        if (path === '/billing/ping' && req.method === 'DELETE') return send(204);
        send(404, { error: 'no such route' });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  callsFor(entity: string): Received[] {
    return this.received.filter((call) => call.path.includes(entity) || JSON.stringify(call.body ?? '').includes(entity));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const contactV1 = defineJobType({
  name: 'contact_sync',
  version: 1,
  description: 'Helpdesk contact → Billing customer (v1: one name field)',
  payload: z.object({ email: z.string().email(), name: z.string().min(1) }),
  entityType: 'contact',
  source: 'helpdesk',
  target: 'billing',
  retry: { maxRetries: 2, backoff: { baseSeconds: 0.05 } },
  upstreams: ['helpdesk', 'billing'],
  async handler(ctx) {
    const contact = await ctx.upstream('helpdesk').get<{ tier: string }>(`/contacts/${encodeURIComponent(ctx.entityId)}`);
    return ctx.upstream('billing').post('/customers', { external_id: ctx.entityId, email: ctx.payload.email, name: ctx.payload.name, tier: contact.tier, version: 1 });
  },
});

const contactV2 = defineJobType({
  name: 'contact_sync',
  version: 2,
  description: 'Helpdesk contact → Billing customer (v2: first and last name)',
  payload: z.object({ email: z.string().email(), firstName: z.string(), lastName: z.string(), seats: z.number().int().positive().default(1) }),
  entityType: 'contact',
  source: 'helpdesk',
  target: 'billing',
  retry: { maxRetries: 2, backoff: { baseSeconds: 0.05 } },
  upstreams: ['helpdesk', 'billing'],
  async handler(ctx) {
    const { email, firstName, lastName, seats } = ctx.payload;
    await ctx.upstream('helpdesk').get(`/contacts/${encodeURIComponent(ctx.entityId)}`);
    return ctx.upstream('billing').post('/customers', { external_id: ctx.entityId, email, name: `${firstName} ${lastName}`, seats, version: 2 });
  },
});

/** Steered by its entity id: `busy…` asks to be retried later, `bad…` refuses for good, `down…` always fails retryably. */
const flaky = defineJobType({
  name: 'flaky_sync',
  retry: { maxRetries: 1, backoff: { baseSeconds: 0.05, maxSeconds: 0.08 } },
  handler(ctx) {
    if (ctx.entityId.startsWith('busy') && ctx.job.attemptCount === 1) throw new RetryableError('the helpdesk is busy', { retryAfterSeconds: 0.4, errorType: 'HelpdeskBusy' });
    if (ctx.entityId.startsWith('bad')) throw new NonRetryableError('the record cannot be synced', { errorType: 'BadRecord' });
    if (ctx.entityId.startsWith('down')) throw new RetryableError('billing is down');
    return { ok: true };
  },
});

/** Never finishes on its own: only its type's time limit (0.3 s, far under the service's) ends it. */
const slow = defineJobType({
  name: 'slow_sync',
  timeoutSeconds: 0.3,
  retry: { maxRetries: 0 },
  handler: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error))),
});

const ticket = defineJobType({
  name: 'ticket_sync',
  payload: v.object({ ticketId: v.pipe(v.string(), v.minLength(1)), priority: v.picklist(['low', 'high']) }),
  handler: (ctx) => ({ ticket: ctx.payload.ticketId, priority: ctx.payload.priority }),
});

const plain = defineJobType({ name: 'plain_sync', handler: () => ({ ok: true }) });

const jobTypes = [contactV1, contactV2, flaky, slow, ticket, plain];

function upstreamsAt(url: string): Record<string, UpstreamConfig> {
  return {
    helpdesk: { baseUrl: `${url}/helpdesk`, auth: { bearerEnv: 'HELPDESK_TOKEN' } },
    billing: { baseUrl: `${url}/billing`, headers: { 'x-tenant': 'acme' }, auth: { header: 'X-Api-Key', valueEnv: 'BILLING_KEY' } },
  };
}

const ENQUEUE = `mutation ($input: EnqueueJobInput!) {
  enqueueJob(input: $input) {
    __typename
    ... on EnqueueJobSuccess { job { id jobType payloadVersion payload entityType sourceSystem targetSystem maxRetries } }
    ... on InputError { field message }
  } }`;

describe.each(providers)('job types of your own (%s)', (provider) => {
  let upstream: FixtureUpstreams;
  let database: TestDatabase;
  let app: TestApp;
  const env = { HELPDESK_TOKEN: helpdeskToken, BILLING_KEY: billingKey, SYNCBRIDGE_WORKER_CONCURRENCY: '8', SYNCBRIDGE_HANDLER_TIMEOUT_SECONDS: '60' };

  beforeAll(async () => {
    upstream = await new FixtureUpstreams().start();
    database = await createTestDatabase(provider);
    app = await startTestApp(provider, env, { database, jobTypes, upstreams: upstreamsAt(upstream.url) });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await upstream?.stop();
  });

  const enqueue = (input: Record<string, unknown>) => gqlHttp(app, ENQUEUE, { input }).then((response) => response.data!.enqueueJob);
  const jobCount = (entityId: string) => app.database.db.job.count({ where: { entityId } });

  it('stores a valid payload, hands the handler its parsed value, and answers it on the job', async () => {
    const result = await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_100', payload: { email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee' } });
    expect(result).toMatchObject({
      __typename: 'EnqueueJobSuccess',
      job: { jobType: 'CONTACT_SYNC', payloadVersion: 2, entityType: 'contact', sourceSystem: 'helpdesk', targetSystem: 'billing', maxRetries: 2 },
    });
    expect(result.job.payload).toEqual({ email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee' });
    const stored = await app.database.db.job.findUniqueOrThrow({ where: { id: Number(result.job.id) } });
    expect(JSON.parse(stored.payload!)).toEqual({ email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee' });
    const final = await waitForJob(app, stored.id, isFinal);
    expect(final.status).toBe('SUCCEEDED');
    // The handler got the schema's output: the default filled in.
    const posted = upstream.callsFor('h_100').find((call) => call.path === '/billing/customers');
    expect(posted?.body).toMatchObject({ email: 'ann@example.com', name: 'Ann Lee', seats: 1, version: 2 });
  });

  it('refuses a payload its schema rejects with the path at fault, and stores nothing', async () => {
    expect(await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_bad1', payload: { email: 'not-an-email', firstName: 'A', lastName: 'B' } })).toMatchObject({
      __typename: 'InputError',
      field: 'payload.email',
      message: expect.stringContaining('payload.email'),
    });
    expect(await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_bad2', payload: { email: 'a@example.com', firstName: 'A', lastName: 'B', seats: -2 } })).toMatchObject({
      __typename: 'InputError',
      field: 'payload.seats',
    });
    expect(await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_bad3' })).toMatchObject({
      __typename: 'InputError',
      field: 'payload',
      message: expect.stringContaining('required'),
    });
    expect(await enqueue({ jobType: 'PLAIN_SYNC', entityId: 'h_bad4', payload: { any: 1 } })).toMatchObject({
      __typename: 'InputError',
      field: 'payload',
      message: 'plain_sync takes no payload.',
    });
    expect(await enqueue({ jobType: 'TICKET_SYNC', entityId: 'h_bad5', payload: { ticketId: 'T-1', priority: 'urgent' } })).toMatchObject({
      __typename: 'InputError',
      field: 'payload.priority',
    });
    const huge = { email: 'big@example.com', firstName: 'x'.repeat(70_000), lastName: 'y' };
    expect(await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_bad6', payload: huge })).toMatchObject({
      __typename: 'InputError',
      field: 'payload',
      message: expect.stringContaining('65536 bytes'),
    });
    for (const entityId of ['h_bad1', 'h_bad2', 'h_bad3', 'h_bad4', 'h_bad5', 'h_bad6']) expect(await jobCount(entityId)).toBe(0);

    // In a batch, each item on its own: the valid one is stored, the other refused with its path.
    const { data } = await gqlHttp(
      app,
      `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename ... on InputError { field } ... on EnqueueJobSuccess { job { id payload } } } }`,
      {
        inputs: [
          { jobType: 'TICKET_SYNC', entityId: 't_1', payload: { ticketId: 'T-1', priority: 'high' } },
          { jobType: 'TICKET_SYNC', entityId: 't_2', payload: { ticketId: '', priority: 'low' } },
        ],
      },
    );
    expect(data!.enqueueJobs).toEqual([
      { __typename: 'EnqueueJobSuccess', job: { id: expect.any(String), payload: { ticketId: 'T-1', priority: 'high' } } },
      { __typename: 'InputError', field: 'payload.ticketId' },
    ]);
    expect(await jobCount('t_2')).toBe(0);
    expect(await waitForJob(app, Number(data!.enqueueJobs[0].job.id), isFinal)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('routes each payload version to its own handler, checked by that version’s schema; the newest by default', async () => {
    const v1 = await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_v1', payloadVersion: 1, payload: { email: 'v1@example.com', name: 'Vera One' } });
    expect(v1).toMatchObject({ __typename: 'EnqueueJobSuccess', job: { payloadVersion: 1 } });
    // A v1 payload is not a v2 one.
    expect(await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_v2bad', payload: { email: 'v1@example.com', name: 'Vera One' } })).toMatchObject({
      __typename: 'InputError',
      field: 'payload.firstName',
    });
    expect(await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_v9', payloadVersion: 9, payload: {} })).toMatchObject({
      __typename: 'InputError',
      field: 'payloadVersion',
      message: 'contact_sync has no payload version 9; it has 1, 2.',
    });
    await waitForJob(app, Number(v1.job.id), isFinal);
    expect(upstream.callsFor('h_v1').find((call) => call.path === '/billing/customers')?.body).toMatchObject({ name: 'Vera One', version: 1, tier: 'gold' });
  });

  it('refuses an unknown type (the enum holds the registered ones) and describes each registered one', async () => {
    const unknown = await gqlHttp(app, ENQUEUE, { input: { jobType: 'CUSTOMER_SYNC', entityId: 'c_1001' } });
    expect(unknown.errors?.[0]?.message).toContain('JobType');
    await expect(jobEnqueue(app.context, { jobType: 'nope_sync', entityId: 'x_1' })).rejects.toMatchObject({
      name: 'InputError',
      field: 'jobType',
      message: expect.stringContaining('contact_sync, flaky_sync, plain_sync, slow_sync, ticket_sync'),
    });
    const { data } = await gqlHttp(
      app,
      `{ jobTypes { jobType registered description entityType sourceSystem targetSystem versions takesPayload payloadSchema v1: payloadSchema(version: 1)
         retry { maxRetries backoffBaseSeconds backoffMaxSeconds jitter } timeoutSeconds upstreams } }`,
    );
    const byName = Object.fromEntries(data!.jobTypes.map((type: { jobType: string }) => [type.jobType, type]));
    expect(Object.keys(byName)).toEqual(['CONTACT_SYNC', 'FLAKY_SYNC', 'PLAIN_SYNC', 'SLOW_SYNC', 'TICKET_SYNC']);
    expect(byName.CONTACT_SYNC).toMatchObject({
      registered: true,
      description: 'Helpdesk contact → Billing customer (v2: first and last name)',
      entityType: 'contact',
      sourceSystem: 'helpdesk',
      targetSystem: 'billing',
      versions: [1, 2],
      takesPayload: true,
      retry: { maxRetries: 2, backoffBaseSeconds: 0.05, backoffMaxSeconds: null, jitter: 'NONE' },
      timeoutSeconds: 60,
      upstreams: ['helpdesk', 'billing'],
    });
    expect(byName.CONTACT_SYNC.payloadSchema).toMatchObject({
      type: 'object',
      required: ['email', 'firstName', 'lastName'],
      properties: { email: { type: 'string', format: 'email' } },
    });
    expect(byName.CONTACT_SYNC.v1).toMatchObject({ type: 'object', required: ['email', 'name'] });
    expect(byName.FLAKY_SYNC).toMatchObject({ takesPayload: false, payloadSchema: null, retry: { maxRetries: 1, backoffBaseSeconds: 0.05, backoffMaxSeconds: 0.08 } });
    expect(byName.SLOW_SYNC.timeoutSeconds).toBe(0.3);
  });

  it('runs the type’s retry policy: its maxRetries (an enqueue may set its own), its backoff, and the handler’s RetryableError / NonRetryableError', async () => {
    const down = await jobEnqueue(app.context, { jobType: 'flaky_sync', entityId: 'down_1' });
    const downOnce = await jobEnqueue(app.context, { jobType: 'flaky_sync', entityId: 'down_2', maxRetries: 0 });
    const bad = await jobEnqueue(app.context, { jobType: 'flaky_sync', entityId: 'bad_1' });
    const busy = await jobEnqueue(app.context, { jobType: 'flaky_sync', entityId: 'busy_1' });
    expect(down.maxRetries).toBe(1);
    expect(await waitForJob(app, down.id, isFinal)).toMatchObject({ status: 'DEAD', attemptCount: 2, deadErrorType: 'RetryableError', deadError: 'billing is down' });
    expect(await waitForJob(app, downOnce.id, isFinal)).toMatchObject({ status: 'DEAD', attemptCount: 1 });
    expect(await waitForJob(app, bad.id, isFinal)).toMatchObject({ status: 'FAILED', attemptCount: 1, lastErrorType: 'BadRecord', lastError: 'the record cannot be synced' });
    expect(await waitForJob(app, busy.id, isFinal)).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2 });

    // The retry waited the handler's retryAfterSeconds (0.4 s), longer than the type's backoff (50 ms).
    const busyAttempts = await app.database.db.attempt.findMany({ where: { jobId: busy.id }, orderBy: { attemptNumber: 'asc' } });
    expect(busyAttempts[0]).toMatchObject({ success: false, errorType: 'HelpdeskBusy' });
    expect(busyAttempts[1]!.startedAt.getTime() - busyAttempts[0]!.finishedAt!.getTime()).toBeGreaterThanOrEqual(400);
    // The type's own backoff (50 ms, capped at 80 ms) before down_1's second attempt, not the service's.
    const downAttempts = await app.database.db.attempt.findMany({ where: { jobId: down.id }, orderBy: { attemptNumber: 'asc' } });
    const gap = downAttempts[1]!.startedAt.getTime() - downAttempts[0]!.finishedAt!.getTime();
    expect(gap).toBeGreaterThanOrEqual(50);
  });

  it('aborts a handler at its type’s time limit, not the service’s', async () => {
    const job = await jobEnqueue(app.context, { jobType: 'slow_sync', entityId: 's_1' });
    const final = await waitForJob(app, job.id, isFinal);
    expect(final).toMatchObject({ status: 'DEAD', lastErrorType: 'HandlerTimeout' });
    expect(final.lastError).toContain('0.3 s');
    expect(final.lastDurationMs).toBeLessThan(10_000);
  });

  it('sends each upstream its credential from the environment, its headers and the correlation id; the credential is never logged or recorded', async () => {
    const result = await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_auth', payload: { email: 'auth@example.com', firstName: 'Au', lastName: 'Th' } });
    const job = await waitForJob(app, Number(result.job.id), isFinal);
    expect(job.status).toBe('SUCCEEDED');
    const [contact, customer] = upstream.callsFor('h_auth');
    expect(contact!.headers.authorization).toBe(`Bearer ${helpdeskToken}`);
    expect(contact!.headers['x-correlation-id']).toBe(job.correlationId);
    expect(customer!.headers['x-api-key']).toBe(billingKey);
    expect(customer!.headers['x-tenant']).toBe('acme');
    expect(customer!.headers.authorization).toBeUndefined(); // one upstream's credential never reaches another

    const logs = JSON.stringify(app.logs.lines);
    expect(logs).toContain('upstreams configured');
    for (const secret of [helpdeskToken, billingKey]) {
      expect(logs).not.toContain(secret);
      const attempts = await app.database.db.attempt.findMany({ where: { jobId: job.id } });
      expect(JSON.stringify(attempts)).not.toContain(secret);
      const { data } = await gqlHttp(app, `query ($id: ID!) { job(id: $id) { payload attempts { errorSummary upstreamCalls { url status requestBody responseBody } } } }`, {
        id: String(job.id),
      });
      expect(JSON.stringify(data)).not.toContain(secret);
      expect(data!.job.attempts[0].upstreamCalls.map((call: { url: string }) => call.url)).toEqual([
        `${upstream.url}/helpdesk/contacts/h_auth`,
        `${upstream.url}/billing/customers`,
      ]);
    }
  });

  it('retries a 503 from an upstream and keeps the failed call in the attempt’s forensics', async () => {
    const result = await enqueue({ jobType: 'CONTACT_SYNC', entityId: 'h_503_a', payload: { email: 'r@example.com', firstName: 'Re', lastName: 'Try' } });
    const job = await waitForJob(app, Number(result.job.id), isFinal);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2 });
    const { data } = await gqlHttp(app, `query ($id: ID!) { job(id: $id) { attempts { attemptNumber success errorType upstreamCalls { method url status responseBody } } } }`, {
      id: String(job.id),
    });
    const first = data!.job.attempts.find((attempt: { attemptNumber: number }) => attempt.attemptNumber === 1);
    expect(first).toMatchObject({
      success: false,
      errorType: 'UpstreamTimeout',
      upstreamCalls: [{ method: 'GET', status: 503, responseBody: expect.stringContaining('restarting') }],
    });
  });

  it('schedules carry a payload, checked when made, on every job they enqueue', async () => {
    const CREATE = `mutation ($input: CreateScheduleInput!) { createSchedule(input: $input) { __typename ... on InputError { field } ... on Schedule { name payload payloadVersion } } }`;
    const refused = await gqlHttp(app, CREATE, {
      input: { name: 'tickets-bad', cron: '0 * * * *', jobType: 'TICKET_SYNC', entityId: 't_s', payload: { ticketId: 'T-9', priority: 'soon' } },
    });
    expect(refused.data!.createSchedule).toEqual({ __typename: 'InputError', field: 'payload.priority' });
    const created = await gqlHttp(app, CREATE, {
      input: { name: 'tickets', cron: '0 * * * *', jobType: 'TICKET_SYNC', entityId: 't_s', payload: { ticketId: 'T-9', priority: 'low' } },
    });
    expect(created.data!.createSchedule).toEqual({ __typename: 'Schedule', name: 'tickets', payload: { ticketId: 'T-9', priority: 'low' }, payloadVersion: 1 });
    await app.database.db.schedule.update({ where: { name: 'tickets' }, data: { nextRunAt: new Date(Date.now() - 100) } });
    await schedulesTick(app.context);
    const job = await app.database.db.job.findFirstOrThrow({ where: { entityId: 't_s' } });
    expect(JSON.parse(job.payload!)).toEqual({ ticketId: 'T-9', priority: 'low' });
    expect(await waitForJob(app, job.id, isFinal)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('keeps listing a type a later module no longer defines (retired): its jobs stay readable, it cannot be enqueued', async () => {
    const left = await jobEnqueue(app.context, { jobType: 'plain_sync', entityId: 'p_left', scheduledAt: new Date(Date.now() + 3_600_000) });
    const later = await startTestApp(provider, env, { database, jobTypes: [contactV1, contactV2], upstreams: upstreamsAt(upstream.url) });
    try {
      const { data } = await gqlHttp(later, `query ($id: ID!) { jobTypes { jobType registered pending } job(id: $id) { jobType status } }`, { id: String(left.id) });
      expect(data!.jobTypes.find((type: { jobType: string }) => type.jobType === 'PLAIN_SYNC')).toEqual({ jobType: 'PLAIN_SYNC', registered: false, pending: 1 });
      expect(data!.jobTypes.find((type: { jobType: string }) => type.jobType === 'CONTACT_SYNC')).toMatchObject({ registered: true });
      expect(data!.job).toEqual({ jobType: 'PLAIN_SYNC', status: 'PENDING' });
      await expect(jobEnqueue(later.context, { jobType: 'plain_sync', entityId: 'p_new' })).rejects.toMatchObject({ field: 'jobType' });
    } finally {
      await later.stop();
    }
  });
});
