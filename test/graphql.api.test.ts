/** Every query, mutation and error variant through Yoga, on each database. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onQuery } from '../src/db/client.js';
import { gql, providers, startTestApp, type TestApp } from './helpers.js';

const ENQUEUE = `mutation ($input: EnqueueJobInput!) {
  enqueueJob(input: $input) {
    __typename
    ... on EnqueueJobSuccess { job { id status phase jobType entityId entityType sourceSystem targetSystem priority maxRetries payloadVersion scheduledAt correlationId attemptCount isReplay createdAt nextRunAt } }
    ... on DuplicateActiveJobError { message existingJobId existingJob { id status } }
    ... on InputError { message field }
  }
}`;

describe.each(providers)('GraphQL API (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    // No worker: jobs stay where the tests put them.
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' }, { queryEvents: true });
  });
  afterAll(async () => {
    await app?.close();
  });
  const enqueue = (input: Record<string, unknown>) => gql(app, ENQUEUE, { input });

  it('enqueueJob returns the job with every SPEC field', async () => {
    const { data, errors } = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_api_1', priority: 'HIGH', maxRetries: 5 });
    expect(errors).toBeUndefined();
    expect(data!.enqueueJob).toMatchObject({
      __typename: 'EnqueueJobSuccess',
      job: {
        status: 'PENDING',
        phase: 'QUEUED',
        jobType: 'CUSTOMER_SYNC',
        entityId: 'c_api_1',
        entityType: 'customer',
        sourceSystem: 'crm',
        targetSystem: 'billing',
        priority: 'HIGH',
        maxRetries: 5,
        payloadVersion: 1,
        scheduledAt: null,
        attemptCount: 0,
        isReplay: false,
      },
    });
    expect(data!.enqueueJob.job.id).toMatch(/^\d+$/);
    expect(data!.enqueueJob.job.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('a scheduled job is in phase SCHEDULED', async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const { data } = await enqueue({ jobType: 'INVOICE_SYNC', entityId: 'i_api_sched', scheduledAt: at });
    expect(data!.enqueueJob.job).toMatchObject({ phase: 'SCHEDULED', scheduledAt: at, nextRunAt: at, entityType: 'invoice' });
  });

  it('a duplicate is a DuplicateActiveJobError carrying the existing job', async () => {
    const first = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_api_dup' });
    const { data } = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_api_dup' });
    expect(data!.enqueueJob).toMatchObject({
      __typename: 'DuplicateActiveJobError',
      existingJobId: first.data!.enqueueJob.job.id,
      existingJob: { id: first.data!.enqueueJob.job.id, status: 'PENDING' },
    });
    expect(data!.enqueueJob.message).toContain('already pending or running');
  });

  it.each([
    [{ entityId: '' }, 'entityId'],
    [{ entityId: 'a b' }, 'entityId'],
    [{ entityId: 'x'.repeat(200) }, 'entityId'],
    [{ maxRetries: 99 }, 'maxRetries'],
    [{ scheduledAt: 'tomorrow-ish' }, 'scheduledAt'],
    [{ payloadVersion: -3 }, 'payloadVersion'],
  ])('invalid input %o is an InputError on %s and changes nothing', async (override, field) => {
    const before = await app.database.db.job.count();
    const { data, errors } = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_ok', ...override });
    expect(errors).toBeUndefined();
    expect(data!.enqueueJob).toMatchObject({ __typename: 'InputError', field });
    expect(await app.database.db.job.count()).toBe(before);
  });

  it('an unknown enum value is rejected by GraphQL validation, nothing written', async () => {
    const before = await app.database.db.job.count();
    const { errors } = await enqueue({ jobType: 'EMAIL_SYNC', entityId: 'x' });
    expect(errors?.[0]?.message).toContain('EMAIL_SYNC');
    expect(await app.database.db.job.count()).toBe(before);
  });

  it('enqueueJobs: each item succeeds or fails on its own, in order', async () => {
    const { data } = await gql(
      app,
      `mutation ($inputs: [EnqueueJobInput!]!) {
      enqueueJobs(inputs: $inputs) {
        __typename
        ... on EnqueueJobSuccess { job { id entityId } }
        ... on DuplicateActiveJobError { existingJobId }
        ... on InputError { field }
      }
    }`,
      {
        inputs: [
          { jobType: 'CUSTOMER_SYNC', entityId: 'c_b1' },
          { jobType: 'CUSTOMER_SYNC', entityId: 'c_b1' },
          { jobType: 'CUSTOMER_SYNC', entityId: '' },
          { jobType: 'INVOICE_SYNC', entityId: 'i_b1' },
        ],
      },
    );
    const items = data!.enqueueJobs;
    expect(items.map((item: { __typename: string }) => item.__typename)).toEqual(['EnqueueJobSuccess', 'DuplicateActiveJobError', 'InputError', 'EnqueueJobSuccess']);
    expect(items[1].existingJobId).toBe(items[0].job.id);
    expect(items[2].field).toBe('entityId');
  });

  it('job(id) returns the job, or null for an unknown or malformed id', async () => {
    const { data: created } = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_get' });
    const id = created!.enqueueJob.job.id;
    const { data } = await gql(app, `query ($a: ID!, $b: ID!, $c: ID!) { a: job(id: $a) { id entityId } b: job(id: $b) { id } c: job(id: $c) { id } }`, {
      a: id,
      b: '9999999',
      c: 'not-a-number',
    });
    expect(data).toEqual({ a: { id, entityId: 'c_get' }, b: null, c: null });
  });

  it('retry / cancel / replay answer NotFoundError and InvalidStateError as typed results', async () => {
    const { data: created } = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_states' });
    const id = created!.enqueueJob.job.id;
    const { data } = await gql(
      app,
      `mutation ($id: ID!) {
      retry: retryJob(id: $id) { __typename ... on InvalidStateError { currentStatus jobId message } }
      missing: retryJob(id: "424242") { __typename ... on NotFoundError { id entity message } }
      cancelMissing: cancelJob(id: "x1") { __typename ... on NotFoundError { id } }
      replayNoAttempts: replayJob(id: $id) { __typename ... on InputError { field message } }
      replayBadAttempt: replayJob(id: $id, attemptId: "777777") { __typename ... on Error { message } }
      cancel: cancelJob(id: $id) { __typename ... on CancelJobSuccess { job { id status phase canceledAt } } }
      cancelAgain: cancelJob(id: $id) { __typename ... on InvalidStateError { currentStatus } }
    }`,
      { id },
    );
    expect(data!.retry).toMatchObject({ __typename: 'InvalidStateError', currentStatus: 'PENDING', jobId: id });
    expect(data!.missing).toMatchObject({ __typename: 'NotFoundError', id: '424242', entity: 'Job' });
    expect(data!.cancelMissing).toMatchObject({ __typename: 'NotFoundError', id: 'x1' });
    expect(data!.replayNoAttempts).toMatchObject({ __typename: 'InputError', field: 'id' });
    expect(data!.replayBadAttempt.__typename).toBe('NotFoundError');
    expect(data!.cancel).toMatchObject({ __typename: 'CancelJobSuccess', job: { id, status: 'CANCELED', phase: 'FINISHED' } });
    expect(data!.cancelAgain).toMatchObject({ __typename: 'InvalidStateError', currentStatus: 'CANCELED' });
  });

  describe('jobs connection', () => {
    let ids: string[] = [];
    beforeAll(async () => {
      await app.database.db.job.updateMany({ where: { status: 'PENDING' }, data: { status: 'CANCELED', activeKey: null } });
      const { data } = await gql(app, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }`, {
        inputs: Array.from({ length: 12 }, (_, i) => ({ jobType: i % 3 === 0 ? 'INVOICE_SYNC' : 'CUSTOMER_SYNC', entityId: `page_${i}` })),
      });
      ids = data!.enqueueJobs.map((item: { job: { id: string } }) => item.job.id);
    });
    const page = (args: string) =>
      gql(app, `{ jobs(${args}) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id entityId } } } }`);

    it('pages forward newest first with totalCount', async () => {
      const filter = 'status: [PENDING], phase: QUEUED';
      const first = (await page(`${filter}, first: 5`)).data!.jobs;
      expect(first.totalCount).toBe(12);
      expect(first.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([...ids].reverse().slice(0, 5));
      expect(first.pageInfo).toMatchObject({ hasNextPage: true });
      const second = (await page(`${filter}, first: 5, after: "${first.pageInfo.endCursor}"`)).data!.jobs;
      expect(second.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([...ids].reverse().slice(5, 10));
      const third = (await page(`${filter}, first: 5, after: "${second.pageInfo.endCursor}"`)).data!.jobs;
      expect(third.edges).toHaveLength(2);
      expect(third.pageInfo.hasNextPage).toBe(false);
    });

    it('pages backward', async () => {
      const filter = 'status: [PENDING]';
      const last = (await page(`${filter}, last: 4`)).data!.jobs;
      expect(last.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([...ids].reverse().slice(8, 12));
      expect(last.pageInfo.hasPreviousPage).toBe(true);
      const before = (await page(`${filter}, last: 4, before: "${last.pageInfo.startCursor}"`)).data!.jobs;
      expect(before.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([...ids].reverse().slice(4, 8));
    });

    it('filters by jobType, entityId, isReplay and status', async () => {
      expect((await page('status: [PENDING], jobType: INVOICE_SYNC, first: 50')).data!.jobs.totalCount).toBe(4);
      const one = (await page('entityId: "page_7", first: 5')).data!.jobs;
      expect(one.edges.map((edge: { node: { entityId: string } }) => edge.node.entityId)).toEqual(['page_7']);
      expect((await page('status: [PENDING], isReplay: true, first: 5')).data!.jobs.totalCount).toBe(0);
      expect((await page('status: [DEAD, FAILED], first: 5')).data!.jobs.totalCount).toBe(0);
    });
  });

  it('a page of 50 jobs with attempts and replay links costs as many SQL statements as a page of 10', async () => {
    const db = app.database.db;
    // 60 finished jobs with two attempts each, every other one replayed.
    const now = new Date();
    for (let i = 0; i < 60; i++) {
      const job = await db.job.create({
        data: {
          jobType: 'customer_sync',
          sourceSystem: 'crm',
          targetSystem: 'billing',
          entityType: 'customer',
          entityId: `n1_${i}`,
          status: 'FAILED',
          priority: 1,
          maxRetries: 3,
          attemptCount: 2,
          correlationId: `corr-${i}`,
          nextRunAt: now,
          createdAt: now,
          attempts: { create: [1, 2].map((attemptNumber) => ({ attemptNumber, startedAt: now, finishedAt: now, success: false, errorType: 'NotFound', durationMs: 1 })) },
        },
        include: { attempts: true },
      });
      if (i % 2 === 0) {
        await db.job.create({
          data: {
            jobType: 'customer_sync',
            sourceSystem: 'crm',
            targetSystem: 'billing',
            entityType: 'customer',
            entityId: `n1_${i}`,
            status: 'SUCCEEDED',
            priority: 1,
            maxRetries: 3,
            correlationId: `corr-r-${i}`,
            nextRunAt: now,
            createdAt: now,
            isReplay: true,
            replayOfId: job.id,
            replayOfAttemptId: job.attempts[1]!.id,
          },
        });
      }
    }
    // Every statement: Prisma's and the read seam's.
    const statements: string[] = [];
    onQuery(db, (sql) => statements.push(sql));
    app.context.capabilities.onStatement((name) => statements.push(name));
    const countFor = async (first: number) => {
      statements.length = 0;
      const { data, errors } = await gql(
        app,
        `{ jobs(first: ${first}, status: [FAILED, SUCCEEDED]) { totalCount edges { node {
        id status attempts(first: 5) { id attemptNumber errorType replays(first: 5) { id } } replays { id status } replayOf { id attempts { id } } replayOfAttempt { id attemptNumber job { id } }
      } } } }`,
      );
      expect(errors).toBeUndefined();
      expect(data!.jobs.edges).toHaveLength(first);
      return statements.length;
    };
    const ten = await countFor(10);
    const fifty = await countFor(50);
    expect(fifty).toBe(ten);
    expect(ten).toBeGreaterThan(0);
    expect(ten).toBeLessThanOrEqual(12);
  });

  it('metrics match the table, on a database of their own', async () => {
    // Its own rows, whatever the other tests left: 3 FAILED with two attempts (1 and 3 ms), 2
    // SUCCEEDED with one (2 ms), 1 PENDING, 1 CANCELED.
    const own = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' });
    try {
      const db = own.database.db;
      const now = new Date();
      const row = (entityId: string, status: string, durations: number[]) =>
        db.job.create({
          data: {
            jobType: entityId.startsWith('i') ? 'invoice_sync' : 'customer_sync',
            sourceSystem: 'crm',
            targetSystem: 'billing',
            entityType: 'customer',
            entityId,
            status,
            priority: 1,
            maxRetries: 3,
            attemptCount: durations.length,
            correlationId: `m-${entityId}`,
            nextRunAt: now,
            createdAt: now,
            activeKey: status === 'PENDING' ? `customer_sync:${entityId}` : null,
            attempts: {
              create: durations.map((durationMs, index) => ({ attemptNumber: index + 1, startedAt: now, finishedAt: now, success: status === 'SUCCEEDED', durationMs })),
            },
          },
        });
      for (const entityId of ['f1', 'f2', 'i3']) await row(entityId, 'FAILED', [1, 3]);
      for (const entityId of ['s1', 's2']) await row(entityId, 'SUCCEEDED', [2]);
      await row('p1', 'PENDING', []);
      await row('x1', 'CANCELED', []);
      const { data } = await gql(
        own,
        `{ metrics { totalJobs finishedJobs successRate retryCount avgExecutionMs attemptCount pending running succeeded failed dead canceled byStatus { status count } byJobType { jobType count } } }`,
      );
      expect(data!.metrics).toEqual({
        totalJobs: 7,
        finishedJobs: 5,
        successRate: 0.4,
        retryCount: 3,
        avgExecutionMs: 2,
        attemptCount: 8,
        pending: 1,
        running: 0,
        succeeded: 2,
        failed: 3,
        dead: 0,
        canceled: 1,
        byStatus: ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELED'].map((status) => ({
          status,
          count: { PENDING: 1, SUCCEEDED: 2, FAILED: 3, CANCELED: 1 }[status] ?? 0,
        })),
        byJobType: [
          { jobType: 'CUSTOMER_SYNC', count: 6 },
          { jobType: 'INVOICE_SYNC', count: 1 },
        ],
      });
    } finally {
      await own.close();
    }
  });

  it('unexpected errors are masked for clients and logged with the request id', async () => {
    const db = app.database.db;
    const original = db.job.groupBy;
    (db.job as { groupBy: unknown }).groupBy = () => Promise.reject(new Error('SELECT secret FROM internals failed'));
    try {
      const response = await app.yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-mask-1' },
        body: JSON.stringify({ query: '{ metrics { totalJobs } }' }),
      });
      expect(response.headers.get('x-request-id')).toBe('req-mask-1');
      const body = await response.json();
      expect(JSON.stringify(body)).not.toContain('secret');
      expect(body.errors[0].message).toBe('Unexpected error.');
      const logged = app.logs.lines.find((line) => line.requestId === 'req-mask-1');
      expect(logged).toMatchObject({ msg: 'unexpected GraphQL error' });
      expect(JSON.stringify(logged)).toContain('SELECT secret');
    } finally {
      (db.job as { groupBy: unknown }).groupBy = original;
    }
  });

  it('serves GET queries per GraphQL over HTTP and refuses mutations over GET', async () => {
    const get = await app.yoga.fetch(`http://localhost/graphql?query=${encodeURIComponent('{ metrics { totalJobs } }')}`, {
      headers: { accept: 'application/graphql-response+json' },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toContain('application/graphql-response+json');
    expect((await get.json()).data.metrics.totalJobs).toBeGreaterThan(0);
    const mutation = await app.yoga.fetch(`http://localhost/graphql?query=${encodeURIComponent('mutation { cancelJob(id: "1") { __typename } }')}`, {
      headers: { accept: 'application/graphql-response+json' },
    });
    expect(mutation.status).toBe(405);
  });
});
