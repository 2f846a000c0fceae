/**
 * The SPEC's seed scenarios end to end over a real HTTP port: enqueue the fixtures, watch them
 * finish, retry the failed one, replay the dead one and follow the links, hit a duplicate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlHttp, isFinal, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';

const JOB =
  'id status attemptCount lastErrorType deadErrorType isReplay replayOf { id } replayOfAttempt { id attemptNumber errorType } replays { id } attempts { id attemptNumber success errorType }';

describe.each(providers)('seed scenarios over HTTP (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(async () => {
    await app?.close();
  });

  const enqueue = async (entityId: string) => {
    const { data } = await gqlHttp(
      app,
      `mutation ($e: String!) { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: $e }) { __typename ... on EnqueueJobSuccess { job { id } } } }`,
      { e: entityId },
    );
    expect(data!.enqueueJob.__typename).toBe('EnqueueJobSuccess');
    return data!.enqueueJob.job.id as string;
  };
  const job = async (id: string) => (await gqlHttp(app, `query ($id: ID!) { job(id: $id) { ${JOB} } }`, { id })).data!.job;

  it('c_1001, c_flaky, c_1002, c_missing reach SUCCEEDED, SUCCEEDED, DEAD, FAILED; then retry, replay, duplicate', async () => {
    const ids = await Promise.all(['c_1001', 'c_flaky', 'c_1002', 'c_missing'].map(enqueue));
    const duplicate = await gqlHttp(
      app,
      `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_1002" }) { __typename ... on DuplicateActiveJobError { existingJobId } } }`,
    );
    await Promise.all(ids.map((id) => waitForJob(app, Number(id), isFinal)));
    const [ok, flaky, dead, missing] = await Promise.all(ids.map(job));
    expect(ok).toMatchObject({ status: 'SUCCEEDED', attemptCount: 1 });
    expect(flaky).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2 });
    expect(flaky.attempts.map((a: { errorType: string | null }) => a.errorType)).toEqual([null, 'UpstreamTimeout']); // newest first
    expect(dead).toMatchObject({ status: 'DEAD', attemptCount: 4, deadErrorType: 'UpstreamRateLimited' });
    expect(dead.attempts.map((a: { attemptNumber: number }) => a.attemptNumber)).toEqual([4, 3, 2, 1]);
    expect(missing).toMatchObject({ status: 'FAILED', attemptCount: 1, lastErrorType: 'NotFound' });
    // Refused while c_1002 was still working through its backoff (≥ 140 ms), naming it.
    expect(duplicate.data!.enqueueJob).toEqual({ __typename: 'DuplicateActiveJobError', existingJobId: ids[2] });

    const retried = await gqlHttp(app, `mutation ($id: ID!) { retryJob(id: $id) { __typename ... on RetryJobSuccess { job { id status lastError } } } }`, { id: ids[3] });
    expect(retried.data!.retryJob).toMatchObject({ __typename: 'RetryJobSuccess', job: { status: 'PENDING', lastError: null } });
    await waitForJob(app, Number(ids[3]), (row) => isFinal(row) && row.attemptCount === 2);
    expect(await job(ids[3]!)).toMatchObject({ status: 'FAILED', attemptCount: 2 });

    const replayed = await gqlHttp(app, `mutation ($id: ID!) { replayJob(id: $id) { __typename ... on ReplayJobSuccess { job { ${JOB} } } } }`, { id: ids[2] });
    const replay = replayed.data!.replayJob.job;
    expect(replay).toMatchObject({ isReplay: true, replayOf: { id: ids[2] }, replayOfAttempt: { attemptNumber: 4, errorType: 'UpstreamRateLimited' } });
    expect((await job(ids[2]!)).replays).toEqual([{ id: replay.id }]);
    const original = await job(ids[2]!);
    expect(original).toMatchObject({ status: 'DEAD', attemptCount: 4 });

    const dup = await gqlHttp(
      app,
      `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_1002" }) { __typename ... on DuplicateActiveJobError { existingJobId existingJob { id isReplay } } } }`,
    );
    expect(dup.data!.enqueueJob).toMatchObject({ __typename: 'DuplicateActiveJobError', existingJobId: replay.id, existingJob: { id: replay.id, isReplay: true } });
    expect(await waitForJob(app, Number(replay.id), isFinal)).toMatchObject({ status: 'DEAD', attemptCount: 4 });
  });

  it('answers health and readiness', async () => {
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', pendingMigrations: [] });
  });

  it('serves GraphiQL, offline, with the example operations', async () => {
    const page = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('SyncBridge GraphiQL');
    expect(html).toContain('DeadJobs');
    expect(html).not.toMatch(/<script[^>]+src="https?:/);
    expect(html).not.toMatch(/<link[^>]+href="https?:/);
  });
});
