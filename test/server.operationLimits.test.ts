/**
 * The bad-input suite: requests built to exhaust the server (fan-out nesting, fragment chains and
 * bombs, alias and directive floods, batched and oversized requests, subscribe floods) over HTTP,
 * SSE and WebSocket. Each must get a clear error within two seconds, leave the rows as they were,
 * and leave the server answering a simple query within two seconds. Prints how many it tried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { onQuery } from '../src/db/client.js';
import { gqlHttp, isFinal, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';
import { sseSubscribe, wsClient, wsSubscribe } from './live.helpers.js';

interface BadInput {
  name: string;
  /** Sends the input; resolves with what the client saw (error text), within the time limit. */
  send(app: TestApp): Promise<string>;
  /** What the error must say. */
  expect: RegExp;
}

const post = async (app: TestApp, body: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body,
  });
  return `${response.status} ${await response.text()}`;
};
const query = (app: TestApp, document: string, variables?: Record<string, unknown>) => post(app, JSON.stringify({ query: document, variables }));

const nest = (times: number, open: string, inner: string) => `${open.repeat(times)} ${inner} ${'} '.repeat(times * (open.split('{').length - 1))}`;

function chainedFragments(count: number): string {
  const parts = [`{ job(id: "1") { ...F0 } }`];
  for (let i = 0; i < count; i++) parts.push(`fragment F${i} on Job { id ${i + 1 < count ? `...F${i + 1}` : ''} }`);
  return parts.join('\n');
}

/** Each fragment spreads the next twice on the same level: 2^n fields once expanded. */
function fragmentBomb(levels: number): string {
  const parts = [`{ job(id: "1") { ...B0 } }`];
  for (let i = 0; i < levels; i++) parts.push(`fragment B${i} on Job { id ${i + 1 < levels ? `...B${i + 1} ...B${i + 1}` : ''} }`);
  return parts.join('\n');
}

const wsError = (app: TestApp, document: string) =>
  new Promise<string>((resolve) => {
    const client = wsClient(app.url);
    const sub = wsSubscribe(client, document);
    void sub
      .until(() => false, 2_000)
      .catch(() => {
        void client.dispose();
        resolve(JSON.stringify(sub.error ?? 'no error'));
      });
  });

const sseError = (app: TestApp, document: string) =>
  new Promise<string>((resolve) => {
    const sub = sseSubscribe(app.url, document);
    void sub
      .until(() => false, 2_000)
      .catch(() => {
        sub.dispose();
        resolve(JSON.stringify(sub.error ?? 'no error'));
      });
  });

const badInputs: BadInput[] = [
  {
    name: 'fan-out nesting through attempts and job, 15 levels',
    send: (app) => query(app, `{ job(id: "1") { ${nest(15, 'attempts { job { ', 'id')} } }`),
    expect: /nests \d+ levels deep; the limit is 12 \(SYNCBRIDGE_GRAPHQL_MAX_DEPTH\)/,
  },
  {
    name: 'fan-out within the depth limit: attempts(first: 1000) three times',
    send: (app) => query(app, `{ job(id: "1") { attempts(first: 1000) { job { attempts(first: 1000) { job { attempts(first: 1000) { id } } } } } } }`),
    expect: /^400 .*estimated cost is \d+ .* the limit is 50000\. .*SYNCBRIDGE_GRAPHQL_MAX_COST/,
  },
  {
    name: 'fan-out through replays and replayOf',
    send: (app) => query(app, `{ job(id: "1") { ${nest(4, 'replays(first: 1000) { replayOf { ', 'id')} } }`),
    expect: /SYNCBRIDGE_GRAPHQL_MAX_COST/,
  },
  {
    name: 'fan-out through the jobs connection',
    send: (app) => query(app, `{ jobs(first: 200) { edges { node { attempts(first: 1000) { job { replays(first: 1000) { id } } } } } } }`),
    expect: /SYNCBRIDGE_GRAPHQL_MAX_COST/,
  },
  { name: 'thousands of chained fragments', send: (app) => query(app, chainedFragments(3_000)), expect: /more than 5000 tokens \(SYNCBRIDGE_GRAPHQL_MAX_TOKENS\)/ },
  { name: 'more fragments than allowed', send: (app) => query(app, chainedFragments(60)), expect: /defines 60 fragments; the limit is 50/ },
  { name: 'a fragment bomb: 2^40 fields once expanded', send: (app) => query(app, fragmentBomb(40)), expect: /SYNCBRIDGE_GRAPHQL_MAX_BREADTH/ },
  {
    name: 'an introspection bomb',
    send: (app) => query(app, `{ __schema { types { ${nest(6, 'fields { type { ', 'name')} } } }`),
    expect: /Introspection lists .* nest \d+ deep/,
  },
  {
    name: '1,000 operations in one batched request',
    send: (app) => post(app, JSON.stringify(Array.from({ length: 1_000 }, () => ({ query: '{ metrics { totalJobs } }' })))),
    expect: /^400 /,
  },
  {
    name: 'an alias flood',
    send: (app) => query(app, `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: metrics { totalJobs }`).join(' ')} }`),
    expect: /Too many aliases: the limit is 30 \(SYNCBRIDGE_GRAPHQL_MAX_ALIASES\)/,
  },
  {
    name: 'a directive flood',
    send: (app) => query(app, `{ metrics { ${Array.from({ length: 200 }, () => 'totalJobs @skip(if: false)').join(' ')} } }`),
    expect: /Too many directives: the limit is 50/,
  },
  {
    name: 'a 10 MB request body',
    send: (app) => query(app, '{ metrics { totalJobs } }', { padding: 'x'.repeat(10 * 1024 * 1024) }),
    expect: /^413 .*SYNCBRIDGE_HTTP_MAX_BODY_BYTES/,
  },
  {
    name: 'huge variables within the body limit: 20,000 jobs in one enqueueJobs',
    send: (app) =>
      query(app, 'mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename ... on InputError { message } } }', {
        inputs: Array.from({ length: 20_000 }, (_, i) => ({ jobType: 'CUSTOMER_SYNC', entityId: `flood_${i}` })),
      }),
    expect: /at most 10000 jobs; split it/,
  },
  {
    name: 'variables nested 100,000 levels deep',
    send: (app) => post(app, `{"query":"query ($id: ID!) { job(id: $id) { id } }","variables":{"id":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`),
    expect: /^400 .*nests arrays or objects deeper than 64 levels/,
  },
  {
    name: 'a deep query over WebSocket',
    send: (app) => wsError(app, `subscription { jobUpdated { ${nest(15, 'attempts { job { ', 'id')} } }`),
    expect: /SYNCBRIDGE_GRAPHQL_MAX_DEPTH/,
  },
  {
    name: 'chained fragments over WebSocket',
    send: (app) => wsError(app, chainedFragments(3_000).replace('{ job(id: "1")', 'subscription { jobUpdated')),
    expect: /SYNCBRIDGE_GRAPHQL_MAX_TOKENS/,
  },
  {
    name: 'a costly subscription over SSE',
    send: (app) => sseError(app, `subscription { jobUpdated { attempts(first: 1000) { replays(first: 1000) { id } } } }`),
    expect: /SYNCBRIDGE_GRAPHQL_MAX_COST/,
  },
  {
    name: '500 subscriptions on one WebSocket',
    send: (app) =>
      new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(app.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
        const errors: string[] = [];
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
        socket.on('message', (raw) => {
          const message = JSON.parse(String(raw)) as { type: string; payload?: unknown };
          if (message.type === 'connection_ack') {
            for (let i = 0; i < 500; i++) socket.send(JSON.stringify({ id: `s${i}`, type: 'subscribe', payload: { query: 'subscription { metricsUpdated { totalJobs } }' } }));
          }
          if (message.type === 'error') errors.push(JSON.stringify(message.payload));
          if (errors.length === 400) {
            socket.close();
            resolve(errors[0]!);
          }
        });
        socket.on('error', reject);
      }),
    expect: /maximum of 100 subscriptions \(SYNCBRIDGE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION\)/,
  },
];

describe('operation limits: the bad-input suite', () => {
  let app: TestApp;
  let rows: () => Promise<[number, number]>;
  beforeAll(async () => {
    app = await startTestApp('sqlite');
    // A DEAD job with four attempts, replayed: every relation has rows to fan out over.
    const { data } = await gqlHttp(app, `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_1002" }) { ... on EnqueueJobSuccess { job { id } } } }`);
    const id = Number(data!.enqueueJob.job.id);
    await waitForJob(app, id, isFinal);
    const replay = await gqlHttp(app, `mutation { replayJob(id: "${id}") { ... on ReplayJobSuccess { job { id } } } }`);
    await waitForJob(app, Number(replay.data!.replayJob.job.id), isFinal);
    rows = async () => [await app.database.db.job.count(), await app.database.db.attempt.count()];
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers each with a clear error within 2 s, changes nothing, and keeps answering', async () => {
    const before = await rows();
    let survived = 0;
    for (const input of badInputs) {
      const started = performance.now();
      const seen = await input.send(app);
      const elapsed = performance.now() - started;
      expect(seen, input.name).toMatch(input.expect);
      expect(elapsed, `${input.name}: answered in ${Math.round(elapsed)} ms`).toBeLessThan(2_000);
      const probe = performance.now();
      const { data } = await gqlHttp(app, '{ metrics { totalJobs } }');
      expect(data?.metrics.totalJobs, `${input.name}: the server answers afterwards`).toBe(before[0]);
      expect(performance.now() - probe).toBeLessThan(2_000);
      expect(await rows(), `${input.name}: rows unchanged`).toEqual(before);
      survived += 1;
    }
    console.log(`bad-input suite: tried ${badInputs.length} inputs, survived ${survived}`);
    expect(survived).toBe(badInputs.length);
  });

  it('admits the dashboard’s, the CLI’s and GraphiQL’s own operations under the default limits', async () => {
    const { data, errors } = await gqlHttp(
      app,
      `query JobDetailPage($id: ID!) { job(id: $id) {
        id status attempts { id attemptNumber errorType errorSummary durationMs } replays { id status createdAt } replayOf { id status } replayOfAttempt { id attemptNumber }
      } }`,
      { id: '1' },
    );
    expect(errors).toBeUndefined();
    expect(data!.job.attempts).toHaveLength(4);
    const page = await gqlHttp(app, `{ jobs(first: 200) { totalCount edges { cursor node { id status attempts(first: 26) { id errorType } } } } }`);
    expect(page.errors).toBeUndefined();
  });
});

describe.each(providers)('operation limits: the execution time limit (%s)', (provider) => {
  it('stops resolving once the limit passes, not just the response', async () => {
    const app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off', SYNCBRIDGE_GRAPHQL_TIMEOUT_SECONDS: '0.001' }, { queryEvents: true });
    try {
      const roots = Array.from({ length: 20 }, (_, i) => `j${i}: jobs(first: 5, entityId: "e${i}") { totalCount }`).join(' ');
      await gqlHttp(app, `{ ${roots} }`); // compiles the document (cached by its text); compiling alone may outlast 1 ms
      await new Promise((resolve) => setTimeout(resolve, 200));
      let statements: string[] = [];
      onQuery(app.database.db, (sql) => statements.push(sql));
      app.context.capabilities.onStatement((name) => statements.push(name));
      // On a loaded machine the deadline may pass before the first page query starts (then nothing
      // runs at all); try again until a run started its pages, which is the case this test is about.
      for (let attempt = 0; attempt < 10; attempt++) {
        statements = [];
        const { errors } = await gqlHttp(app, `{ ${roots} }`);
        expect(errors?.[0]?.message).toMatch(/ran longer than the 0.001 s limit and was stopped \(SYNCBRIDGE_GRAPHQL_TIMEOUT_SECONDS\)/);
        expect(errors, 'one error says it for every refused field').toHaveLength(1);
        // The twenty root fields start together (one page query each); their totalCount counts
        // would run once the pages arrive, past the deadline: not one of them does.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(statements.filter((sql) => /count/i.test(sql))).toEqual([]);
        if (statements.length) break;
      }
      expect(statements.length, 'a run whose page queries started').toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});
