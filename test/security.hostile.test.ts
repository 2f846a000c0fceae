/**
 * The hostile pass (2026-12-06), turned into tests: what one client could do to crash or stall
 * the service, or to make it touch the wrong rows, beyond the bad-input suite
 * (server.operationLimits.test.ts). Each case failed on the main of that day. The suite prints
 * how many hostile inputs it tried.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import pg from 'pg';
import { loadConfig } from '../src/config/index.js';
import { mockLimits } from '../src/integrations/mocks.js';
import { Redactor } from '../src/integrations/redaction.js';
import { dueTick } from '../src/queue/maintenance/scheduler.js';
import { createHttpServer } from '../src/server/http.js';
import { LogCapture } from './helpers.js';
import { pino } from 'pino';
import { createTestDatabase, gql, gqlHttp, isFinal, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';
import { StubUpstream } from './faults.helpers.js';

let tried = 0;
afterAll(() => console.log(`hostile suite: tried ${tried} hostile inputs`));

const operatorToken = 'operator-token-0123456789';
const viewerToken = 'viewer-token-0123456789abc';
const tokens = `ops:operator:${operatorToken},eve:viewer:${viewerToken}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Resolves with the status of GET /healthz over a new connection, or rejects past `ms`. */
async function healthWithin(url: string, ms = 2_000): Promise<number> {
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(ms) });
  return response.status;
}

/** A raw socket to the app that sends `text` and keeps the connection open. */
function rawSocket(url: string, text: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(text);
      resolve(socket);
    });
    socket.on('error', () => {});
  });
}

/** Connections the app's server holds now. */
function serverConnections(app: TestApp): Promise<number> {
  return new Promise((resolve, reject) => app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

/** Resolves once the server holds at most `count` connections, or rejects after `ms`. */
async function serverLetGo(app: TestApp, count: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await serverConnections(app)) > count) {
    if (Date.now() > deadline) throw new Error(`the server still holds ${await serverConnections(app)} connections after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('1. the mock upstreams', () => {
  it('are off by default once tokens are set or the server listens beyond loopback, unless asked for', () => {
    tried += 4;
    expect(loadConfig({}).mocksEnabled).toBe(true);
    expect(loadConfig({ SYNCBRIDGE_API_TOKENS: tokens }).mocksEnabled).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0', SYNCBRIDGE_ALLOW_ANONYMOUS: 'true' }).mocksEnabled).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0', SYNCBRIDGE_API: 'off' }).mocksEnabled).toBe(false);
    expect(loadConfig({ SYNCBRIDGE_API_TOKENS: tokens, SYNCBRIDGE_MOCKS: 'on' }).mocksEnabled).toBe(true);
  });

  describe.each(providers)('when turned on with tokens (%s)', (provider) => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp(provider, { SYNCBRIDGE_API_TOKENS: tokens, SYNCBRIDGE_MOCKS: 'on' });
    });
    afterAll(async () => app?.close());

    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    it('take the same bearer check as the API, while the worker still reaches them', async () => {
      tried += 3;
      expect((await post('/mock/billing/customers', JSON.stringify({ external_id: 'x1' }))).status).toBe(401);
      expect((await fetch(`${app.url}/mock/crm/customers/c_1001`)).status).toBe(401);
      expect((await post('/mock/billing/customers', JSON.stringify({ external_id: 'x1' }), bearer('not-a-valid-token-at-all'))).status).toBe(401);
      expect((await post('/mock/billing/customers', JSON.stringify({ external_id: 'x1' }), bearer(viewerToken))).status).toBe(200);
      const enqueued = await gqlHttp(
        app,
        `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_1001" }) { ... on EnqueueJobSuccess { job { id } } } }`,
        {},
        bearer(operatorToken),
      );
      const job = await waitForJob(app, Number(enqueued.data!.enqueueJob.job.id), isFinal);
      expect(job).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1 });
    });

    it('bound each record and the whole store in bytes', async () => {
      const huge = JSON.stringify({ external_id: 'big', blob: 'x'.repeat(1024 * 1024) });
      const refused = await post('/mock/billing/customers', huge, bearer(viewerToken));
      tried += 1;
      expect(refused.status).toBe(413);
      const record = (index: number) => JSON.stringify({ external_id: `r${index}`, blob: 'y'.repeat(60 * 1024) });
      const count = Math.ceil((mockLimits.bytesPerStore * 1.5) / (60 * 1024));
      for (let index = 0; index < count; index += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, k) => post('/mock/billing/customers', record(index + k), bearer(viewerToken)).then((response) => response.arrayBuffer())));
        tried += 10;
      }
      const store = app.mocks!.billingCustomers;
      expect(store.bytes).toBeLessThanOrEqual(mockLimits.bytesPerStore);
      expect(store.size).toBeLessThan(count);
      expect(store.has(`r${count - 1}`)).toBe(true); // the newest kept, the oldest gone
      expect(store.has('r0')).toBe(false);
    });
  });
});

describe('2. connections', () => {
  let stub: StubUpstream;
  let app: TestApp;
  beforeAll(async () => {
    stub = await new StubUpstream().start();
    app = await startTestApp('sqlite', {
      SYNCBRIDGE_HTTP_MAX_CONNECTIONS: '40',
      SYNCBRIDGE_HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      SYNCBRIDGE_HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      SYNCBRIDGE_MOCKS: 'off',
      SYNCBRIDGE_CRM_BASE_URL: stub.crmUrl,
      SYNCBRIDGE_BILLING_BASE_URL: stub.billingUrl,
    });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.stop();
  });

  it('holds at most the cap, drops the rest at accept, frees half-sent requests after the header timeout, and the worker never notices', async () => {
    const sockets = await Promise.all(Array.from({ length: 200 }, () => rawSocket(app.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n')));
    tried += sockets.length;
    expect(await serverConnections(app)).toBeLessThanOrEqual(40);
    // Jobs run meanwhile: their upstream calls are outbound, untouched by the inbound cap.
    const enqueued = await gql(
      app,
      `mutation { enqueueJobs(inputs: [${Array.from({ length: 20 }, (_, i) => `{ jobType: CUSTOMER_SYNC, entityId: "conn_${i}" }`).join(',')}]) { ... on EnqueueJobSuccess { job { id } } } }`,
    );
    const jobs = await Promise.all((enqueued.data!.enqueueJobs as { job: { id: string } }[]).map((item) => waitForJob(app, Number(item.job.id), isFinal)));
    expect(jobs.every((job) => job.status === 'SUCCEEDED' && job.attemptCount === 1)).toBe(true);
    // Half-sent requests are answered 408 and let go after the header timeout, even by a peer
    // that never reads: not held for minutes.
    await serverLetGo(app, 0, 5_000);
    expect(await healthWithin(app.url)).toBe(200);
    for (const socket of sockets) socket.destroy();
  });

  it('closes trickled and never-ending bodies after the request timeout', async () => {
    const trickle = await rawSocket(app.url, 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
    const chunked = await rawSocket(app.url, 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n');
    tried += 2;
    const drip = setInterval(() => {
      if (!trickle.destroyed) trickle.write(' ');
      if (!chunked.destroyed) chunked.write('1\r\n \r\n');
    }, 200);
    try {
      expect(await serverConnections(app)).toBeGreaterThanOrEqual(2);
      // Both go by the request timeout (2 s; a fetch's keep-alive connection by its own 5 s).
      await serverLetGo(app, 0, 8_000);
    } finally {
      clearInterval(drip);
      trickle.destroy();
      chunked.destroy();
    }
  });

  it('refuses a cap that would leave too few descriptors for the database and upstreams', () => {
    tried += 1;
    expect(() => loadConfig({ SYNCBRIDGE_HTTP_MAX_CONNECTIONS: '1000000' })).toThrow(/leaves too few of this process's \d+ file descriptors/);
  });

  it('never charges a job for a call this process could not make for want of descriptors (a real EMFILE)', async () => {
    const target = createServer((_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const { port } = target.address() as AddressInfo;
    try {
      // A child with few descriptors opens files until EMFILE, then makes an upstream call.
      const child = spawn('bash', ['-c', `ulimit -n 256 && exec "${process.execPath}" --import tsx test/fixtures/emfile-call.ts http://127.0.0.1:${port}/x`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let errors = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, errors).toBe(0);
      tried += 1;
      const result = JSON.parse(out.trim().split('\n').at(-1)!) as { errorType: string; retryable: boolean; uncharged: boolean; status: string; code: string };
      expect(result).toMatchObject({ errorType: 'LocalResourcesExhausted', retryable: true, uncharged: true, status: 'PENDING', code: 'EMFILE' });
    } finally {
      target.close();
    }
  });
});

describe.each(providers)('3-4. bodies and WebSocket operations (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_HTTP_MAX_BODY_BYTES_IN_FLIGHT: String(8 * 1024 * 1024), SYNCBRIDGE_WORKER: 'off' });
  });
  afterAll(async () => app?.close());

  it('takes a body at the size limit without stalling, and parses it once', async () => {
    const inputs = Array.from({ length: 10_000 }, (_, i) => ({ jobType: 'CUSTOMER_SYNC', entityId: `big_${i}_${'p'.repeat(300)}`.slice(0, 128) }));
    const body = JSON.stringify({ query: 'mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename } }', variables: { inputs } });
    expect(body.length).toBeGreaterThan(1024 * 1024);
    tried += 1;
    const health = healthWithin(app.url);
    const response = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const result = (await response.json()) as { data: { enqueueJobs: { __typename: string }[] } };
    expect(result.data.enqueueJobs.filter((item) => item.__typename === 'EnqueueJobSuccess')).toHaveLength(10_000);
    expect(await health).toBe(200);
  });

  it('bounds the body bytes held over all requests: past the budget, 503 and Retry-After', async () => {
    // Three requests each 3 MB into a 4 MB body, held there: the third passes the 8 MB budget.
    const head = (length: number) => `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    const partial = ' '.repeat(3 * 1024 * 1024);
    const sockets: Socket[] = [];
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = await rawSocket(app.url, head(4 * 1024 * 1024) + partial);
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        answers[i] = text;
      });
      sockets.push(socket);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    tried += 3;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = answers.filter((text) => text?.startsWith('HTTP/1.1 503'));
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]).toMatch(/retry-after: 1/i);
    expect(refused[0]).toMatch(/SYNCBRIDGE_HTTP_MAX_BODY_BYTES_IN_FLIGHT/);
    for (const socket of sockets) socket.destroy();
    expect(await healthWithin(app.url)).toBe(200);
  });

  it('answers a deeply nested variable with a clear 400, and logs no error', async () => {
    const errorsBefore = app.logs.lines.filter((line) => (line.level as number) >= 50).length;
    const deep = `{"query":"query ($f: Int) { jobs(first: $f) { totalCount } }","variables":{"f":${'['.repeat(100_000)}1${']'.repeat(100_000)}}}`;
    const response = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    tried += 1;
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/nests arrays or objects deeper than 64 levels/);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(app.logs.lines.filter((line) => (line.level as number) >= 50).length).toBe(errorsBefore);
  });

  it('logs every 500 with the request id its answer carries', async () => {
    const logs = new LogCapture();
    const server = createHttpServer({
      logger: pino({ level: 'debug' }, logs.stream),
      routes: [
        () => {
          throw new TypeError('a bug in a route');
        },
      ],
      maxConnections: 10,
      headersTimeoutMs: 1_000,
      requestTimeoutMs: 1_000,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/anything`, { headers: { 'x-request-id': 'req-500-check' } });
      tried += 1;
      expect(response.status).toBe(500);
      expect(response.headers.get('x-request-id')).toBe('req-500-check');
      expect(await response.json()).toEqual({ error: 'internal_error', requestId: 'req-500-check' });
      expect(logs.lines.find((line) => line.msg === 'request failed')).toMatchObject({ level: 50, requestId: 'req-500-check' });
    } finally {
      server.close();
    }
  });

  it('logs an aborted upload below error level', async () => {
    const errorsBefore = app.logs.lines.filter((line) => (line.level as number) >= 50).length;
    for (let i = 0; i < 20; i++) {
      const socket = await rawSocket(app.url, 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":');
      await new Promise((resolve) => setTimeout(resolve, 5));
      socket.destroy();
      tried += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(app.logs.lines.filter((line) => (line.level as number) >= 50).length).toBe(errorsBefore);
  });

  it('bounds the queries in flight on one WebSocket: the excess is refused at once, and HTTP keeps answering', async () => {
    const socket = new WebSocket(`${app.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => socket.once('message', resolve));
    const outcomes = { completed: 0, refused: 0, other: 0 };
    const total = 5_000;
    const finished = new Promise<void>((resolve) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; payload?: { extensions?: { code?: string } }[] };
        if (message.type === 'complete') outcomes.completed += 1;
        else if (message.type === 'error') {
          if (message.payload?.[0]?.extensions?.code === 'TOO_MANY_OPERATIONS') outcomes.refused += 1;
          else outcomes.other += 1;
        }
        if (outcomes.completed + outcomes.refused + outcomes.other === total) resolve();
      });
    });
    const query = '{ jobs(first: 50) { totalCount edges { node { id attempts { id } } } } }';
    for (let i = 0; i < total; i++) socket.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query } }));
    tried += total;
    expect(await healthWithin(app.url, 2_000)).toBe(200);
    await finished;
    socket.close();
    expect(outcomes.refused).toBeGreaterThan(total / 2);
    expect(outcomes.completed).toBeGreaterThanOrEqual(100);
    expect(outcomes.other).toBe(0);
  });
});

describe('5. schedule catch-up', () => {
  it('finds the tick to fire without walking every missed one', () => {
    const now = new Date('2026-12-06T12:00:00.250Z');
    const missed = { cron: '* * * * * *', timezone: 'UTC', nextRunAt: new Date(now.getTime() - 26 * 3_600_000) };
    tried += 2;
    expect(dueTick({ ...missed, catchUp: 'ONCE' }, now)).toEqual({ tickAt: new Date('2026-12-06T12:00:00.000Z'), next: new Date('2026-12-06T12:00:01.000Z') });
    // SKIP: the latest tick is on time (within the grace), so it fires; a per-day one missed an hour ago does not.
    expect(dueTick({ ...missed, catchUp: 'SKIP' }, now).tickAt).toEqual(new Date('2026-12-06T12:00:00.000Z'));
    const daily = { cron: '0 11 * * *', timezone: 'UTC', nextRunAt: new Date('2026-12-05T11:00:00.000Z') };
    expect(dueTick({ ...daily, catchUp: 'SKIP' }, now)).toEqual({ tickAt: undefined, next: new Date('2026-12-07T11:00:00.000Z') });
    expect(dueTick({ ...daily, catchUp: 'ONCE' }, now).tickAt).toEqual(new Date('2026-12-06T11:00:00.000Z'));
  });

  it.each(providers)('catches up four per-second schedules after 26 h away while HTTP keeps answering (%s)', async (provider) => {
    const app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' });
    try {
      for (const [index, catchUp] of ['ONCE', 'ONCE', 'SKIP', 'SKIP'].entries()) {
        const created = await gql(app, `mutation ($input: CreateScheduleInput!) { createSchedule(input: $input) { __typename } }`, {
          input: { name: `every-second-${index}`, cron: '* * * * * *', jobType: 'CUSTOMER_SYNC', entityId: `sched_${index}`, catchUp },
        });
        expect(created.data!.createSchedule.__typename).toBe('Schedule');
      }
      tried += 4;
      await app.database.db.schedule.updateMany({ data: { nextRunAt: new Date(Date.now() - 26 * 3_600_000) } });
      const { schedulesTick } = await import('../src/queue/maintenance/scheduler.js');
      const ticking = schedulesTick(app.context);
      expect(await healthWithin(app.url)).toBe(200);
      expect(await ticking).toBe(4); // each one fires its latest (on time) tick once
      const jobs = await app.database.db.job.findMany({ orderBy: { entityId: 'asc' } });
      expect(jobs.map((job) => job.entityId)).toEqual(['sched_0', 'sched_1', 'sched_2', 'sched_3']);
    } finally {
      await app.close();
    }
  });
});

describe.each(providers)('6. the entity id prefix filter (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    // PostgreSQL: a database whose collation does not order text by bytes.
    const database = await createTestDatabase(provider, { icu: provider === 'postgresql' });
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' }, { database });
    (app as { testDatabase: typeof database }).testDatabase = database;
  });
  afterAll(async () => {
    await app?.stop();
    await app?.testDatabase.drop();
  });

  it('matches bytes exactly, so a bulk cancel touches only the jobs it names', async () => {
    const ids = ['c_10', 'c_100', 'c_10x', 'C_10x', 'C_10Y', 'c_1', 'c-10', 'c_1_0', 'c_11', 'c_10\u00e9'];
    const enqueued = await gql(app, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename } }`, {
      inputs: ids.filter((id) => /^[A-Za-z0-9._:@-]+$/.test(id)).map((entityId) => ({ jobType: 'CUSTOMER_SYNC', entityId })),
    });
    expect((enqueued.data!.enqueueJobs as unknown[]).length).toBe(9);
    const listed = await gql(app, `{ jobs(first: 50, filter: { entityIdPrefix: "c_10" }) { totalCount edges { node { entityId } } } }`);
    expect(listed.data!.jobs.edges.map((edge: { node: { entityId: string } }) => edge.node.entityId).sort()).toEqual(['c_10', 'c_100', 'c_10x']);
    const canceled = await gql(app, `mutation { cancelJobs(filter: { entityIdPrefix: "c_10" }) { ... on BulkActionResult { matched affected } } }`);
    tried += 2;
    expect(canceled.data!.cancelJobs).toMatchObject({ matched: 3, affected: 3 });
    const active = await app.database.db.job.findMany({ where: { status: 'PENDING' }, select: { entityId: true } });
    expect(active.map((job) => job.entityId).sort()).toEqual(['C_10Y', 'C_10x', 'c-10', 'c_1', 'c_11', 'c_1_0'].sort());
    // Wildcard characters are literal.
    expect((await gql(app, `{ jobs(filter: { entityIdPrefix: "c%" }) { totalCount } }`)).data!.jobs.totalCount).toBe(0);
    expect((await gql(app, `{ jobs(filter: { entityIdPrefix: "c_1_" }) { totalCount } }`)).data!.jobs.totalCount).toBe(1);
    tried += 2;
  });

  it.skipIf(provider !== 'postgresql')('is served by an index', async () => {
    const client = new pg.Client({ connectionString: app.testDatabase.url });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = await client.query(`EXPLAIN SELECT id FROM "Job" WHERE "entityId" ~>=~ $1 AND "entityId" ~<~ $2`, ['c_10', 'c_11']);
      expect(plan.rows.map((row: Record<string, string>) => Object.values(row)[0]).join('\n')).toMatch(/Job_entityId_prefix_idx/);
    } finally {
      await client.end();
    }
  });
});

describe('7. SSE, whatever the Accept header', () => {
  it.each(providers)('counts every stream against the subscription budget (%s)', async (provider) => {
    const app = await startTestApp(provider, { SYNCBRIDGE_MAX_SUBSCRIPTIONS: '5', SYNCBRIDGE_WORKER: 'off' });
    const controllers: AbortController[] = [];
    try {
      const open = async (accept: string | undefined) => {
        const controller = new AbortController();
        controllers.push(controller);
        const response = await fetch(`${app.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(accept === undefined ? {} : { accept }) },
          body: JSON.stringify({ query: 'subscription { jobUpdated { id } }' }),
          signal: controller.signal,
        });
        const reader = response.body!.getReader();
        // A refused stream says why at once; an accepted one stays quiet until an event or a keep-alive.
        const first = await Promise.race([
          reader.read().then((chunk) => new TextDecoder().decode(chunk.value)),
          new Promise<string>((resolve) => setTimeout(() => resolve(''), 500)),
        ]);
        return { status: response.status, type: response.headers.get('content-type'), first };
      };
      const streams = [];
      for (const accept of ['*/*', '*/*', 'text/event-stream', undefined, '*/*', '*/*', '*/*', 'text/event-stream', '*/*', '*/*']) streams.push(await open(accept));
      tried += streams.length;
      expect(streams.every((stream) => stream.status === 200 && stream.type!.startsWith('text/event-stream'))).toBe(true);
      expect(streams.filter((stream) => /SYNCBRIDGE_MAX_SUBSCRIPTIONS/.test(stream.first))).toHaveLength(5);
      expect(app.live.sse.active).toBe(5);
      const json = await open('application/json');
      tried += 1;
      expect(json.status).toBe(406);
    } finally {
      for (const controller of controllers) controller.abort();
      await app.close();
    }
  });
});

describe('8. redaction', () => {
  it('covers key patterns at any depth, form and text bodies, credentials by shape, and configured keys', () => {
    const redactor = new Redactor(['tax_id']);
    const json = redactor.body(
      JSON.stringify({
        id: 'c1',
        private_key: 'PK',
        credentials: { user: 'u', pass: 'p' },
        auth: 'Bearer abc.def',
        session_id: 'S',
        refresh: 'R',
        bank_account: 'B',
        tax_id: 'T',
        nested: { apiKey: 'K', note: 'token=leaky' },
        list: [{ refreshToken: 'RT' }],
        author: 'Ann',
      }),
    );
    for (const secret of ['"PK"', '"u"', 'abc.def', '"S"', '"R"', '"B"', '"T"', '"K"', 'leaky', '"RT"']) expect(json).not.toContain(secret);
    expect(json).toContain('"author":"Ann"');
    expect(redactor.body('user=ann&password=hunter2&sessionId=xyz')).toBe('user=ann&password=[redacted]&sessionId=[redacted]');
    expect(redactor.body('login failed: password=hunter2, api_key: k-123 for ann')).toBe('login failed: password=[redacted], api_key: [redacted] for ann');
    expect(redactor.text('Authorization: Basic dXNlcjpwYXNz and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig')).not.toMatch(/dXNlcjpwYXNz|eyJzdWIi/);
    expect(redactor.body('-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----')).toBe('[redacted private key]');
    tried += 6;
  });

  describe.each(providers)('in stored forensics and errors (%s)', (provider) => {
    let upstream: ReturnType<typeof createServer>;
    let app: TestApp;
    beforeAll(async () => {
      upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
        req.resume();
        if (req.url?.startsWith('/crm/')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'leak',
              email: 'a@b.c',
              name: 'Leak',
              private_key: 'SECRET-PK',
              credentials: { password: 'SECRET-PW' },
              auth: 'Bearer SECRET-BEARER',
              session_id: 'SECRET-SID',
              refresh: 'SECRET-RT',
              bank_account: 'SECRET-IBAN',
              tax_id: 'SECRET-TAX',
            }),
          );
        } else {
          res.writeHead(422, { 'content-type': 'application/x-www-form-urlencoded' });
          res.end('error=invalid&password=SECRET-FORM&session=SECRET-SESSION');
        }
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
      app = await startTestApp(provider, {
        SYNCBRIDGE_MOCKS: 'off',
        SYNCBRIDGE_CRM_BASE_URL: `${base}/crm`,
        SYNCBRIDGE_BILLING_BASE_URL: `${base}/billing?token=SECRET-QUERY`,
        SYNCBRIDGE_REDACT_KEYS: 'tax_id',
        SYNCBRIDGE_API_TOKENS: tokens,
      });
    });
    afterAll(async () => {
      await app?.close();
      upstream?.close();
    });

    it('keeps no secret in upstreamCalls, lastError or the logs; viewers see no bodies at all', async () => {
      const enqueued = await gqlHttp(
        app,
        `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "leak" }) { ... on EnqueueJobSuccess { job { id } } } }`,
        {},
        bearer(operatorToken),
      );
      const id = Number(enqueued.data!.enqueueJob.job.id);
      await waitForJob(app, id, isFinal);
      const query = `query ($id: ID!) { job(id: $id) { status lastError attempts { errorSummary upstreamCalls { url requestBody responseBody error } } } }`;
      const asOperator = await gqlHttp(app, query, { id: String(id) }, bearer(operatorToken));
      tried += 9;
      const text = JSON.stringify(asOperator.data);
      expect(asOperator.data!.job.status).toBe('FAILED');
      expect(asOperator.data!.job.attempts[0].upstreamCalls[0].responseBody).toContain('[redacted]');
      expect(text).not.toMatch(/SECRET-/);
      expect(JSON.stringify(app.logs.lines)).not.toMatch(/SECRET-/);
      const asViewer = await gqlHttp(app, query, { id: String(id) }, bearer(viewerToken));
      const calls = asViewer.data!.job.attempts[0].upstreamCalls as { requestBody: string | null; responseBody: string | null; url: string }[];
      expect(calls.length).toBe(2);
      expect(calls.every((call) => call.requestBody === null && call.responseBody === null && call.url.startsWith('http'))).toBe(true);
    });
  });
});

describe.each(providers)('9-11. dates, input errors and the audit trail (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' });
  });
  afterAll(async () => app?.close());

  it('takes RFC 3339 with an offset only, in a range both databases hold, refusing each bad item alone', async () => {
    const bad = ['0000-01-01T00:00:00Z', '1', 'Dec 25 2026', '2026-12-07 10:00', '2026-02-30T00:00:00Z', '2026-12-07T10:00:00', '10000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z'];
    const inputs = [
      { jobType: 'CUSTOMER_SYNC', entityId: 'date_ok_1', scheduledAt: new Date(Date.now() + 3_600_000).toISOString().replace('Z', '+00:00') },
      ...bad.map((scheduledAt, index) => ({ jobType: 'CUSTOMER_SYNC', entityId: `date_bad_${index}`, scheduledAt })),
      { jobType: 'CUSTOMER_SYNC', entityId: 'date_ok_2', scheduledAt: '2026-01-01T00:00:00+14:00' },
    ];
    const result = await gql(app, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename ... on InputError { field } } }`, { inputs });
    tried += bad.length;
    expect(result.errors).toBeUndefined();
    const types = (result.data!.enqueueJobs as { __typename: string; field?: string }[]).map((item) => item.__typename);
    expect(types).toEqual(['EnqueueJobSuccess', ...bad.map(() => 'InputError'), 'EnqueueJobSuccess']);
    expect(await app.database.db.job.count({ where: { entityId: { startsWith: 'date_' } } })).toBe(2);
  });

  it('answers bad filters in queries as input errors, not internal ones, and logs them below error', async () => {
    const errorsBefore = app.logs.lines.filter((line) => (line.level as number) >= 50).length;
    const cases = [
      `{ jobs(filter: { createdAfter: "nope" }) { totalCount } }`,
      `{ jobs(filter: { createdAfter: "2026-12-07 10:00" }) { totalCount } }`,
      `{ jobs(filter: { entityIdPrefix: "${'x'.repeat(257)}" }) { totalCount } }`,
      `{ jobs(filter: { ids: [${Array.from({ length: 1001 }, (_, i) => `"${i + 1}"`).join(',')}] }) { totalCount } }`,
      `{ jobs(filter: { correlationId: "a\\u0000b" }) { totalCount } }`,
    ];
    for (const document of cases) {
      const result = await gqlHttp(app, document);
      tried += 1;
      expect(result.errors?.[0]?.extensions?.code, document.slice(0, 80)).toBe('BAD_USER_INPUT');
      expect(result.errors![0]!.message).not.toBe('Unexpected error.');
    }
    expect(app.logs.lines.filter((line) => (line.level as number) >= 50).length).toBe(errorsBefore);
  });

  it('audits pruneJobs and every schedule change, with who did it', async () => {
    const older = new Date(Date.now() + 1).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await gql(app, `mutation ($t: DateTime!) { pruneJobs(olderThan: $t) { __typename } }`, { t: older })).data!.pruneJobs.__typename).toBe('PruneJobsSuccess');
    const refusedPrune = await gql(app, `mutation ($t: DateTime!) { pruneJobs(olderThan: $t, statuses: [PENDING]) { __typename } }`, { t: older });
    expect(refusedPrune.data!.pruneJobs.__typename).toBe('InputError');
    await gql(app, `mutation { createSchedule(input: { name: "audited", cron: "0 * * * *", jobType: CUSTOMER_SYNC, entityId: "c_1001" }) { __typename } }`);
    await gql(app, `mutation { pauseSchedule(name: "audited") { __typename } }`);
    await gql(app, `mutation { pauseSchedule(name: "audited", paused: false) { __typename } }`);
    await gql(app, `mutation { deleteSchedule(name: "audited") { __typename } }`);
    await gql(app, `mutation { deleteSchedule(name: "audited") { __typename } }`);
    tried += 2;
    const rows = await app.database.db.auditEvent.findMany({
      where: { action: { in: ['PRUNE', 'SCHEDULE_CREATE', 'SCHEDULE_PAUSE', 'SCHEDULE_RESUME', 'SCHEDULE_DELETE'] } },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((row) => [row.action, row.outcome, row.actor])).toEqual([
      ['PRUNE', 'OK', 'anonymous'],
      ['PRUNE', 'InputError', 'anonymous'],
      ['SCHEDULE_CREATE', 'OK', 'anonymous'],
      ['SCHEDULE_PAUSE', 'OK', 'anonymous'],
      ['SCHEDULE_RESUME', 'OK', 'anonymous'],
      ['SCHEDULE_DELETE', 'OK', 'anonymous'],
      ['SCHEDULE_DELETE', 'NotFoundError', 'anonymous'],
    ]);
    expect(rows[0]!.detail).toMatch(/^deleted \d+ SUCCEEDED\/CANCELED jobs/);
    expect(app.logs.lines.some((line) => line.msg === 'pruned finished jobs' && (line.audit as { actor?: string })?.actor === 'anonymous')).toBe(true);
  });
});
