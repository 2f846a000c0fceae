/**
 * An upstream paced per group (`rateLimit: { perGroup }`): each account's calls stay within the
 * limit, counted at a real HTTP upstream, while accounts go side by side (two processes sharing
 * the pace through the database); and a 429 with Retry-After for one account holds that account
 * only. On both databases.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJobType } from '../src/index.js';
import { jobsEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { busiestWindow, createTestDatabase, gqlHttp, isFinal, providers, startTestApp, waitForJob, type TestApp, type TestDatabase } from './helpers.js';

/** An accounts API that records each call's account and arrival, and answers 429 (Retry-After: 1) to an account's first call when told to. */
class AccountsApi {
  readonly arrivals: { account: string; at: number }[] = [];
  readonly throttleOnce = new Set<string>();
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const account = /^\/accounts\/([^/]+)\/push$/.exec(req.url ?? '')?.[1] ?? 'none';
      this.arrivals.push({ account, at: Date.now() });
      req.resume();
      req.on('end', () => {
        if (this.throttleOnce.delete(account)) {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
          return res.end('{"error":"slow down"}');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  of(account: string): number[] {
    return this.arrivals.filter((arrival) => arrival.account === account).map((arrival) => arrival.at);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const accountPush = defineJobType({
  name: 'account_push',
  payload: z.object({ account: z.string() }),
  group: (payload) => payload.account,
  retry: { maxRetries: 5, backoff: { baseSeconds: 0.05 } },
  handler: async ({ job, upstream }) => upstream('accounts').post(`/accounts/${job.groupKey}/push`, { job: job.id }),
});

describe.each(providers)('upstream rate limit per group (%s)', (provider) => {
  const perGroup = 5;
  let api: AccountsApi;
  let database: TestDatabase;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    api = new AccountsApi();
    const baseUrl = await api.start();
    database = await createTestDatabase(provider);
    for (let n = 0; n < 2; n++) {
      apps.push(
        await startTestApp(provider, { SYNCBRIDGE_WORKER_CONCURRENCY: '10' }, { database, jobTypes: [accountPush], upstreams: { accounts: { baseUrl, rateLimit: { perGroup } } } }),
      );
    }
  }, 60_000);
  afterAll(async () => {
    for (const app of apps) await app.close();
    await database?.drop();
    await api?.stop();
  });

  /** When each call of these jobs left, as their attempts recorded it (arrival times bunch when this process's event loop stalls). */
  async function sentTimes(ids: number[]): Promise<number[]> {
    const attempts = await apps[0]!.database.db.attempt.findMany({ where: { jobId: { in: ids } }, select: { details: true } });
    return attempts.flatMap((attempt) => (JSON.parse(attempt.details ?? '{"calls":[]}') as { calls: { startedAt?: string }[] }).calls.map((call) => Date.parse(call.startedAt!)));
  }

  async function enqueue(app: TestApp, account: string, count: number): Promise<number[]> {
    const results = await jobsEnqueue(
      app.context,
      Array.from({ length: count }, (_, n) => ({ jobType: 'account_push', entityId: `${account}_${n}`, payload: { account } })),
    );
    return results.map((result) => (result.ok ? result.job.id : Number.NaN));
  }

  it('keeps each account within its limit, the accounts going side by side', async () => {
    const [a, b] = apps as [TestApp, TestApp];
    const byAccount = { acme: await enqueue(a, 'acme', 15), globex: await enqueue(b, 'globex', 15) };
    const ids = [...byAccount.acme, ...byAccount.globex];
    for (const id of ids) await waitForJob(apps, id, isFinal);
    const jobs = await a.database.db.job.findMany({ where: { id: { in: ids } }, select: { status: true, attemptCount: true } });
    expect(jobs.every((job) => job.status === 'SUCCEEDED' && job.attemptCount === 1)).toBe(true);

    // Slots are 200 ms apart and a call leaves within a quarter slot of its own: no 950 ms holds more than 5 of an account.
    const windowMs = 1000 - 1000 / perGroup / 4;
    const sent = { acme: await sentTimes(byAccount.acme), globex: await sentTimes(byAccount.globex) };
    const all = [...sent.acme, ...sent.globex];
    const span = (times: number[]) => Math.max(...times) - Math.min(...times);
    console.log(
      `per-group rate limit (${provider}): acme busiest ${busiestWindow(sent.acme, windowMs)}, globex ${busiestWindow(sent.globex, windowMs)} in ${windowMs} ms; ` +
        `spans ${span(sent.acme)} / ${span(sent.globex)} ms, together ${span(all)} ms; both together busiest ${busiestWindow(all, windowMs)}`,
    );
    expect(busiestWindow(sent.acme, windowMs)).toBeLessThanOrEqual(perGroup);
    expect(busiestWindow(sent.globex, windowMs)).toBeLessThanOrEqual(perGroup);
    expect(span(sent.acme)).toBeGreaterThanOrEqual((14 * 1000) / perGroup - 1000 / perGroup / 4);
    // Per account, not for the upstream: the two accounts together went faster than one account may.
    expect(busiestWindow(all, windowMs)).toBeGreaterThan(perGroup);
    expect(api.of('acme')).toHaveLength(15);
    const { data } = await gqlHttp(a, '{ metrics { upstreams { target limitPerSecond limitPerGroupPerSecond } } }');
    expect(data!.metrics.upstreams).toEqual([{ target: 'accounts', limitPerSecond: null, limitPerGroupPerSecond: perGroup }]);
  }, 60_000);

  it("holds only the throttled account for a 429's Retry-After", async () => {
    const [a] = apps as [TestApp, TestApp];
    api.throttleOnce.add('initech');
    const throttled = await enqueue(a, 'initech', 3);
    const other = await enqueue(a, 'umbrella', 5);
    for (const id of [...throttled, ...other]) await waitForJob(apps, id, isFinal);
    const initech = api.of('initech');
    const umbrella = api.of('umbrella');
    expect(initech).toHaveLength(4); // the 429, then the three calls
    const [refusedAt, ...after] = initech as [number, ...number[]];
    // Its next call waited out the second it was asked to…
    expect(Math.min(...after) - refusedAt).toBeGreaterThanOrEqual(900);
    // …while the other account's calls went on meanwhile.
    expect(umbrella.filter((at) => at > refusedAt && at < refusedAt + 900).length).toBeGreaterThan(0);
    const jobs = await a.database.db.job.findMany({ where: { id: { in: [...throttled, ...other] } }, select: { status: true } });
    expect(jobs.every((job) => job.status === 'SUCCEEDED')).toBe(true);
  }, 60_000);
});
