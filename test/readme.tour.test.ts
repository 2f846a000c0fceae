/**
 * The README's five-minute tour, followed as written, through HTTP and the CLI: the commands and
 * figures the test runs are read from the README (a change there that the product does not
 * match fails here), against a server started with the tour's own setting.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import type { JobTransition } from '../src/events/events.js';
import { gqlHttp, isFinal, startTestApp, waitForJob, type TestApp } from './helpers.js';

const readme = readFileSync('README.md', 'utf8');
const tour = readme.slice(readme.indexOf('## A five-minute tour'), readme.indexOf('## Write your own sync'));

const ENQUEUE = `mutation ($entityId: String!, $jobType: JobType!) { enqueueJob(input: { jobType: $jobType, entityId: $entityId }) { ... on EnqueueJobSuccess { job { id } } } }`;

describe('the README tour, as written', () => {
  let app: TestApp;
  const started = /Start it as `SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS=([\d.]+) npm start`/.exec(tour);

  beforeAll(async () => {
    expect(started, 'the tour says how to start the server').not.toBeNull();
    app = await startTestApp('sqlite', { SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS: started![1]! });
  });
  afterAll(async () => {
    await app?.close();
  });

  const enqueue = async (jobType: string, entityId: string) => Number((await gqlHttp(app, ENQUEUE, { jobType, entityId })).data!.enqueueJob.job.id);

  it("1. c_1002's four attempts arrive one by one, 0.5, 1 and 2 s apart, until it is DEAD about 4 s later; its replay links both ways", async () => {
    expect(tour).toContain('Open `c_1002` at once to see its four attempts');
    const ended: number[] = [];
    const stop = app.bus.on('job:transitions', (batch: readonly JobTransition[]) => {
      for (const transition of batch) if (transition.attempt && transition.job.entityId === 'c_1002') ended.push(transition.at.getTime());
    });
    const began = Date.now();
    const id = await enqueue('CUSTOMER_SYNC', 'c_1002');
    const dead = await waitForJob(app, id, isFinal, 15_000);
    stop();
    expect(dead).toMatchObject({ status: 'DEAD', attemptCount: 4 });
    expect(ended).toHaveLength(4);
    const gaps = ended.slice(1).map((at, index) => at - ended[index]!);
    [500, 1_000, 2_000].forEach((backoff, index) => expect(gaps[index]).toBeGreaterThanOrEqual(backoff - 50));
    expect(dead.deadAt!.getTime() - began).toBeLessThan(8_000);
    const replay = (await gqlHttp(app, `mutation ($id: ID!) { replayJob(id: $id) { ... on ReplayJobSuccess { job { id replayOf { id } } } } }`, { id: String(id) })).data!.replayJob
      .job;
    expect(replay.replayOf.id).toBe(String(id));
    const original = (await gqlHttp(app, `query ($id: ID!) { job(id: $id) { replays { id } } }`, { id: String(id) })).data!.job;
    expect(original.replays.map((job: { id: string }) => job.id)).toEqual([replay.id]);
    await waitForJob(app, Number(replay.id), isFinal, 15_000);
  }, 30_000);

  it('2. GraphiQL opens with the c_1002 enqueue and, to replay, the newest DEAD or FAILED job', async () => {
    expect(tour).toContain('enqueue `c_1002`, watch a job live');
    const [newest] = (await gqlHttp(app, `{ jobs(status: [DEAD, FAILED], first: 1) { edges { node { id } } } }`)).data!.jobs.edges;
    const page = await (await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('mutation Enqueue(');
    expect(page).toMatch(/\\?"entityId\\?": \\?"c_1002\\?"/);
    expect(page).toMatch(new RegExp(`\\\\?"replayId\\\\?": \\\\?"${newest.node.id}\\\\?"`));
  });

  it("3. each fixture id takes the path the tour's table gives it", async () => {
    const rows = [...tour.matchAll(/^ {3}\| ([^|]*`[^|]+`) \| (.+) \|$/gm)].map(([, ids, what]) => ({
      ids: [...ids!.matchAll(/`([a-z_0-9]+)`/g)].map((match) => match[1]!),
      what: what!,
    }));
    expect(rows.map((row) => row.ids)).toEqual([['c_1001', 'i_2001'], ['c_flaky', 'i_flaky'], ['c_1002', 'i_2002'], ['c_missing']]);
    const expected: Record<string, { status: string; attemptCount?: number; lastErrorType?: string | null }> = {
      c_1001: { status: 'SUCCEEDED', attemptCount: 1 },
      i_2001: { status: 'SUCCEEDED', attemptCount: 1 },
      c_flaky: { status: 'SUCCEEDED', attemptCount: 2 },
      i_flaky: { status: 'SUCCEEDED', attemptCount: 2 },
      i_2002: { status: 'DEAD', attemptCount: 4, lastErrorType: 'UpstreamRateLimited' },
      c_missing: { status: 'FAILED', attemptCount: 1, lastErrorType: 'NotFound' },
    };
    expect(rows[0]!.what).toBe('succeeds on the first attempt');
    expect(rows[3]!.what).toContain('`FAILED` with `NotFound`');
    const jobs = await Promise.all(
      Object.keys(expected).map(async (entityId) => [entityId, await enqueue(entityId.startsWith('i_') ? 'INVOICE_SYNC' : 'CUSTOMER_SYNC', entityId)] as const),
    );
    for (const [entityId, id] of jobs) expect(await waitForJob(app, id, isFinal, 15_000), entityId).toMatchObject(expected[entityId]!);
    const flakyFirst = await app.database.db.attempt.findFirstOrThrow({ where: { job: { entityId: 'c_flaky' } }, orderBy: { id: 'asc' } });
    expect(flakyFirst.errorType).toBe('UpstreamTimeout');
  }, 30_000);

  it('4. the CLI enqueues c_flaky and follows it until it succeeds, with exit code 0', async () => {
    const command = /`npm run -s cli -- (enqueue customer_sync c_flaky --watch)`/.exec(tour);
    expect(command, 'the tour gives the command').not.toBeNull();
    const out: string[] = [];
    const code = await main(['--url', `${app.url}/graphql`, ...command![1]!.split(' ')], { out: (text) => out.push(text), err: () => {}, env: {} });
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^Enqueued job \d+/);
    expect(out.at(-1)).toMatch(/ SUCCEEDED {2}attempt 2$/);
  }, 30_000);

  it('5. Prometheus reads the figures', async () => {
    expect(tour).toContain('`curl http://127.0.0.1:4000/metrics`');
    const response = await fetch(`${app.url}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^syncbridge_attempts_total\{/m);
  });
});
