/**
 * Tokens, roles, the audit trail, rate limits and cross-site protection, over HTTP, SSE and
 * WebSocket, on both databases (the audit rows of an enqueue are written by each dialect's insert).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { createToken } from '../src/auth/tokens.js';
import { gqlHttp, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';
import { sseSubscribe, wsClient, wsSubscribe } from './live.helpers.js';

const viewerToken = 'viewer-token-0123456789';
const operatorToken = 'operator-token-0123456789';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const ENQUEUE = `mutation ($entityId: String!) {
  enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: $entityId }) {
    __typename
    ... on Error { message }
    ... on ForbiddenError { requiredRole role }
    ... on RateLimitedError { retryAfterSeconds }
    ... on EnqueueJobSuccess { job { id } }
  }
}`;
const CANCEL = `mutation ($id: ID!) { cancelJob(id: $id) { __typename ... on Error { message } ... on CancelJobSuccess { job { id status } } } }`;
const AUDIT_OF_JOB = `query ($id: ID!) { job(id: $id) { auditEvents { actor role action outcome requestId detail } } }`;

/** The close code and reason a raw graphql-ws socket ends with after `connection_init`. */
function closeAfterInit(url: string, payload: Record<string, unknown> | undefined): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.on('error', reject);
  });
}

describe('configuration of tokens', () => {
  it('refuses to listen beyond loopback without tokens, unless anonymous access is allowed', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/Refusing to listen on 0\.0\.0\.0 without API tokens/);
    expect(loadConfig({ HOST: '0.0.0.0', SYNCBRIDGE_ALLOW_ANONYMOUS: 'true' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', SYNCBRIDGE_API_TOKENS: `ops:operator:${operatorToken}` }).apiTokens).toHaveLength(1);
    expect(loadConfig({ HOST: '::1' }).apiTokens).toEqual([]);
  });

  it('names every bad entry, and reads digests from a token file', () => {
    const bad = () => loadConfig({ SYNCBRIDGE_API_TOKENS: 'ops:root:0123456789abcdef0123, short:viewer:abc, ops:viewer:0123456789abcdef0123' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/entry 1 \("ops"\): the role must be one of viewer, operator, admin/);
    expect(bad).toThrow(/entry 2 \("short"\): the token must be 16-256 characters/);

    const directory = mkdtempSync(join(tmpdir(), 'sb-tokens-'));
    const created = createToken('ci-bot', 'operator');
    writeFileSync(join(directory, 'tokens'), `# issued 2026-11-29\n${created.fileLine}\n`);
    const config = loadConfig({ SYNCBRIDGE_API_TOKENS_FILE: join(directory, 'tokens') });
    expect(config.apiTokens.map((entry) => [entry.name, entry.role])).toEqual([['ci-bot', 'operator']]);
    writeFileSync(join(directory, 'broken'), 'ci-bot:operator:md5:abc\n');
    expect(() => loadConfig({ SYNCBRIDGE_API_TOKENS_FILE: join(directory, 'broken') })).toThrow(/line 1: expected name:role:sha256:<64 hex digits>/);
    expect(() => loadConfig({ SYNCBRIDGE_API_TOKENS_FILE: join(directory, 'missing') })).toThrow(/cannot read .*missing \(ENOENT\)/);
  });
});

describe.each(providers)('tokens, roles and the audit trail (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, {
      SYNCBRIDGE_API_TOKENS: `alice:viewer:${viewerToken},ops:operator:${operatorToken}`,
      SYNCBRIDGE_MOCKS: 'on',
      SYNCBRIDGE_MUTATIONS_PER_MINUTE: '1000',
    });
  });
  afterAll(async () => app?.close());

  const counts = async () => ({ jobs: await app.database.db.job.count(), audit: await app.database.db.auditEvent.count() });

  it('tells a caller who they are, without a token too', async () => {
    expect((await gqlHttp(app, '{ me { name role authenticated } }')).data!.me).toEqual({ name: 'anonymous', role: null, authenticated: false });
    expect((await gqlHttp(app, '{ me { name role authenticated } }', undefined, bearer(viewerToken))).data!.me).toEqual({ name: 'alice', role: 'viewer', authenticated: true });
  });

  it('refuses a bad token outright with 401, and reads without a token with UNAUTHENTICATED', async () => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer('not-a-real-token-at-all') },
      body: JSON.stringify({ query: '{ me { name } }' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect((await response.json()).errors[0].message).toBe('The token is not valid.');
    const malformed = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic abc' },
      body: '{"query":"{ me { name } }"}',
    });
    expect(malformed.status).toBe(401);

    const anonymous = await gqlHttp(app, '{ jobs(first: 1) { totalCount } }');
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gqlHttp(app, '{ jobs(first: 1) { totalCount } }', undefined, bearer(viewerToken))).errors).toBeUndefined();
    // Only `me` and introspection are open; a query that also reads jobs is refused whole.
    expect((await gqlHttp(app, '{ me { name } jobs(first: 1) { totalCount } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gqlHttp(app, 'query { ...Open } fragment Open on Query { me { name } __schema { queryType { name } } }')).data).toEqual({
      me: { name: 'anonymous' },
      __schema: { queryType: { name: 'Query' } },
    });
  });

  it("answers a viewer's and an anonymous mutation with typed refusals, changing nothing and auditing nothing", async () => {
    const before = await counts();
    const asViewer = await gqlHttp(app, ENQUEUE, { entityId: 'sec_viewer' }, bearer(viewerToken));
    expect(asViewer.data!.enqueueJob).toMatchObject({ __typename: 'ForbiddenError', requiredRole: 'operator', role: 'viewer' });
    expect(asViewer.data!.enqueueJob.message).toMatch(/needs the operator role; your token has viewer/);
    const asAnonymous = await gqlHttp(app, ENQUEUE, { entityId: 'sec_anonymous' });
    expect(asAnonymous.data!.enqueueJob.__typename).toBe('UnauthorizedError');
    const batch = await gqlHttp(app, `mutation { enqueueJobs(inputs: [{ jobType: CUSTOMER_SYNC, entityId: "sec_batch" }]) { __typename } }`, undefined, bearer(viewerToken));
    expect(batch.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await counts()).toEqual(before);
  });

  it('refuses every mutation to viewers, anonymous callers and invalid tokens, over HTTP and WebSocket, changing nothing', async () => {
    const mutations = [
      'mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "sec_every" }) { __typename } }',
      'mutation { enqueueJobs(inputs: [{ jobType: CUSTOMER_SYNC, entityId: "sec_every_batch" }]) { __typename } }',
      'mutation { retryJob(id: "1") { __typename } }',
      'mutation { cancelJob(id: "1") { __typename } }',
      'mutation { replayJob(id: "1") { __typename } }',
      'mutation { runJobNow(id: "1") { __typename } }',
      'mutation { runScheduleNow(name: "nightly") { __typename } }',
      'mutation { deleteJobs(filter: { status: [DEAD] }) { __typename } }',
    ];
    const callers: [string, Record<string, string>, RegExp][] = [
      ['viewer', bearer(viewerToken), /ForbiddenError|FORBIDDEN/],
      ['anonymous', {}, /UnauthorizedError|UNAUTHENTICATED/],
      ['an invalid token', bearer('x'.repeat(40)), /^401 .*The token is not valid/],
      ['a malformed authorization', { authorization: 'Bearer' }, /^401 .*must be \\"Bearer <token>\\"/],
    ];
    const before = await counts();
    let tried = 0;
    for (const mutation of mutations) {
      for (const [who, headers, refusal] of callers) {
        const response = await fetch(`${app.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: mutation }),
        });
        expect(`${response.status} ${await response.text()}`, `${who}: ${mutation}`).toMatch(refusal);
        tried += 1;
      }
    }
    const client = wsClient(app.url, bearer(viewerToken));
    try {
      for (const mutation of mutations) {
        const result = await new Promise<any>((resolve) => client.subscribe({ query: mutation }, { next: resolve, error: resolve, complete: () => undefined }));
        expect(JSON.stringify(result), `viewer over WebSocket: ${mutation}`).toMatch(/ForbiddenError|FORBIDDEN/);
        tried += 1;
      }
    } finally {
      await client.dispose();
    }
    expect(await counts()).toEqual(before);
    console.log(`auth bad-input (${provider}): tried ${tried} refused mutations, rows unchanged`);
  });

  it("records an operator's actions with the effect, and refusals by the queue with their error", async () => {
    const requestId = `sec-${provider}-enqueue`;
    // Due in an hour: it stays PENDING until canceled.
    const later = `mutation ($entityId: String!, $at: DateTime!) { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: $entityId, scheduledAt: $at }) { ... on EnqueueJobSuccess { job { id } } } }`;
    const enqueued = await gqlHttp(
      app,
      later,
      { entityId: `sec_op_${provider}`, at: new Date(Date.now() + 3_600_000).toISOString() },
      { ...bearer(operatorToken), 'x-request-id': requestId },
    );
    const id = enqueued.data!.enqueueJob.job.id as string;
    await gqlHttp(app, CANCEL, { id }, bearer(operatorToken));
    const again = await gqlHttp(app, CANCEL, { id }, bearer(operatorToken));
    expect(again.data!.cancelJob.__typename).toBe('InvalidStateError');

    const { data } = await gqlHttp(app, AUDIT_OF_JOB, { id }, bearer(viewerToken));
    expect(data!.job.auditEvents).toEqual([
      { actor: 'ops', role: 'operator', action: 'ENQUEUE', outcome: 'OK', requestId, detail: null },
      { actor: 'ops', role: 'operator', action: 'CANCEL', outcome: 'OK', requestId: expect.any(String), detail: 'was PENDING' },
      { actor: 'ops', role: 'operator', action: 'CANCEL', outcome: 'InvalidStateError', requestId: expect.any(String), detail: expect.stringContaining('CANCELED') },
    ]);
    const page = await gqlHttp(
      app,
      `query ($id: ID!) { auditEvents(jobId: $id, action: CANCEL, first: 1) { edges { node { outcome } } pageInfo { hasNextPage } } }`,
      { id },
      bearer(viewerToken),
    );
    expect(page.data!.auditEvents).toEqual({ edges: [{ node: { outcome: 'InvalidStateError' } }], pageInfo: { hasNextPage: true } });
    expect(app.logs.lines.some((line) => line.msg === 'operator action' && (line.audit as { action?: string })?.action === 'CANCEL' && line.jobId === Number(id))).toBe(true);
  });

  it('audits a retry with its effect', async () => {
    const enqueued = await gqlHttp(app, ENQUEUE, { entityId: `c_missing_${provider}` }, bearer(operatorToken));
    const id = Number(enqueued.data!.enqueueJob.job.id);
    await waitForJob(app, id, (job) => job.status === 'FAILED');
    const retried = await gqlHttp(
      app,
      `mutation ($id: ID!) { retryJob(id: $id) { __typename } }`,
      { id: String(id) },
      { ...bearer(operatorToken), 'x-request-id': `retry-${provider}` },
    );
    expect(retried.data!.retryJob.__typename).toBe('RetryJobSuccess');
    expect(await app.database.db.auditEvent.findMany({ where: { jobId: id, action: 'RETRY' }, select: { actor: true, outcome: true, requestId: true } })).toEqual([
      { actor: 'ops', outcome: 'OK', requestId: `retry-${provider}` },
    ]);
  });

  it('audits every job of a batch in the same statement, and a replay with what it replays', async () => {
    const { data } = await gqlHttp(
      app,
      `mutation { enqueueJobs(inputs: [{ jobType: INVOICE_SYNC, entityId: "sec_b1" }, { jobType: INVOICE_SYNC, entityId: "sec_b2" }, { jobType: INVOICE_SYNC, entityId: "bad id!" }]) { __typename ... on EnqueueJobSuccess { job { id } } } }`,
      undefined,
      bearer(operatorToken),
    );
    const ids = data!.enqueueJobs.filter((item: { job?: unknown }) => item.job).map((item: { job: { id: string } }) => Number(item.job.id));
    expect(ids).toHaveLength(2);
    const rows = await app.database.db.auditEvent.findMany({ where: { OR: [{ jobId: { in: ids } }, { outcome: 'InputError', actor: 'ops' }] }, orderBy: { id: 'asc' } });
    expect(rows.map((row) => [row.action, row.outcome, row.jobId])).toEqual([
      ['ENQUEUE', 'OK', ids[0]],
      ['ENQUEUE', 'OK', ids[1]],
      ['ENQUEUE', 'InputError', null],
    ]);
  });

  it('authenticates WebSockets at connection_init: 4401 without a token, 4403 with a bad one; a viewer subscribes', async () => {
    expect(await closeAfterInit(app.url, undefined)).toMatchObject({ code: 4401 });
    expect(await closeAfterInit(app.url, { authorization: 'Bearer not-a-real-token-at-all' })).toMatchObject({ code: 4403, reason: 'Forbidden: The token is not valid.' });
    const client = wsClient(app.url, bearer(viewerToken));
    try {
      const jobs = wsSubscribe(client, 'subscription { jobUpdated(jobType: INVOICE_SYNC) { entityId status } }');
      await expect.poll(() => app.live.engine.stats.members).toBeGreaterThan(0);
      await gqlHttp(app, ENQUEUE.replace('CUSTOMER_SYNC', 'INVOICE_SYNC'), { entityId: 'sec_ws' }, bearer(operatorToken));
      await jobs.until((items) => items.some((item: { entityId: string }) => item.entityId === 'sec_ws'));
      jobs.dispose();
      // Mutations over the socket obey the role too.
      const refused = await new Promise<any>((resolve) =>
        client.subscribe({ query: ENQUEUE, variables: { entityId: 'sec_ws_mutation' } }, { next: resolve, error: resolve, complete: () => undefined }),
      );
      expect(refused.data.enqueueJob.__typename).toBe('ForbiddenError');
    } finally {
      await client.dispose();
    }
  });

  it('refuses SSE subscriptions without a token and serves a viewer', async () => {
    const anonymous = sseSubscribe(app.url, 'subscription { metricsUpdated { totalJobs } }');
    await expect(anonymous.until(() => false, 5_000)).rejects.toThrow(/Authentication required/);
    const viewer = sseSubscribe(app.url, 'subscription { metricsUpdated { totalJobs } }', undefined, bearer(viewerToken));
    await viewer.until((items) => items.length > 0);
    viewer.dispose();
  });

  it('never logs a token', () => {
    const text = JSON.stringify(app.logs.lines);
    expect(text).not.toContain(viewerToken);
    expect(text).not.toContain(operatorToken);
  });
});

describe('rate limits and cross-site requests', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('sqlite', { SYNCBRIDGE_API_TOKENS: `ops:operator:${operatorToken}`, SYNCBRIDGE_MUTATIONS_PER_MINUTE: '3', SYNCBRIDGE_MOCKS: 'on' });
  });
  afterAll(async () => app?.close());

  it('answers mutations past the per-token budget with RateLimitedError and a retry-after, changing nothing', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await gqlHttp(app, ENQUEUE, { entityId: `rate_${i}` }, bearer(operatorToken))).data!.enqueueJob.__typename).toBe('EnqueueJobSuccess');
    }
    const jobs = await app.database.db.job.count();
    const limited = await gqlHttp(app, ENQUEUE, { entityId: 'rate_4' }, bearer(operatorToken));
    expect(limited.data!.enqueueJob).toMatchObject({ __typename: 'RateLimitedError' });
    expect(limited.data!.enqueueJob.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(limited.data!.enqueueJob.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(await app.database.db.job.count()).toBe(jobs);
  });

  it("refuses form and text bodies (no preflight cross-site) and WebSockets from another site's pages", async () => {
    const form = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=mutation{cancelJob(id:1){__typename}}',
    });
    expect(form.status).toBe(415);
    const text = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ me { name } }"}' });
    expect(text.status).toBe(415);
    const preflight = await fetch(`${app.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(app.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws', { headers: { origin: 'https://evil.example' } });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => resolve(101));
      socket.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });
});
