/**
 * `jobs(orderBy:)` on both databases: every order pages through the same set, forward and
 * backward, each job once, in the order the field gives (ties by id), unfinished jobs counted as
 * the earliest finish and the shortest run; a cursor of another order is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlHttp, providers, startTestApp, type TestApp } from './helpers.js';

const PAGE = `query ($orderBy: JobOrder, $first: Int, $after: String, $last: Int, $before: String) {
  jobs(filter: { entityIdPrefix: "ord_" }, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id lastFinishedAt lastDurationMs updatedAt } }
  }
}`;

describe.each(providers)('jobs orderBy (%s)', (provider) => {
  let app: TestApp;
  let seeded: { id: number; finished: number | null; duration: number | null; updated: number }[];

  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' });
    const base = Date.now() - 3_600_000;
    // Ties on purpose (equal finishes and durations), and unfinished jobs (nulls).
    const shapes = [
      [5, 30],
      [2, 10],
      [5, 30],
      [null, null],
      [9, 5],
      [2, 50],
      [null, null],
      [7, 10],
    ] as const;
    for (const [index, [finishedMin, duration]] of shapes.entries()) {
      const finished = finishedMin === null ? null : new Date(base + finishedMin * 60_000);
      const updated = new Date(base + (index % 3) * 60_000);
      await app.database.db.job.create({
        data: {
          jobType: 'customer_sync',
          sourceSystem: 'crm',
          targetSystem: 'billing',
          entityType: 'customer',
          entityId: `ord_${index}`,
          status: finished ? 'SUCCEEDED' : 'PENDING',
          priority: 1,
          maxRetries: 3,
          attemptCount: finished ? 1 : 0,
          correlationId: `ord-${index}`,
          nextRunAt: new Date(base),
          createdAt: new Date(base),
          updatedAt: updated,
          lastFinishedAt: finished,
          lastDurationMs: duration,
          activeKey: finished ? null : `customer_sync:ord_${index}`,
        },
      });
    }
    seeded = (await app.database.db.job.findMany({ where: { entityId: { startsWith: 'ord_' } } })).map((job) => ({
      id: job.id,
      finished: job.lastFinishedAt?.getTime() ?? null,
      duration: job.lastDurationMs,
      updated: job.updatedAt.getTime(),
    }));
  });
  afterAll(async () => app?.close());

  const expected = (key: (job: (typeof seeded)[number]) => number, direction: 'ASC' | 'DESC') =>
    [...seeded].sort((a, b) => (key(a) - key(b) || a.id - b.id) * (direction === 'ASC' ? 1 : -1)).map((job) => String(job.id));
  const orders = [
    { field: 'CREATED_AT', direction: 'DESC', key: (job: (typeof seeded)[number]) => job.id },
    { field: 'CREATED_AT', direction: 'ASC', key: (job: (typeof seeded)[number]) => job.id },
    { field: 'FINISHED_AT', direction: 'DESC', key: (job: (typeof seeded)[number]) => job.finished ?? 0 },
    { field: 'FINISHED_AT', direction: 'ASC', key: (job: (typeof seeded)[number]) => job.finished ?? 0 },
    { field: 'DURATION', direction: 'DESC', key: (job: (typeof seeded)[number]) => job.duration ?? -1 },
    { field: 'DURATION', direction: 'ASC', key: (job: (typeof seeded)[number]) => job.duration ?? -1 },
    { field: 'UPDATED_AT', direction: 'DESC', key: (job: (typeof seeded)[number]) => job.updated },
  ] as const;

  it.each(orders)('pages $field $direction forward and backward, three at a time, each job once in order', async ({ field, direction, key }) => {
    const orderBy = { field, direction };
    const forward: string[] = [];
    let after: string | undefined;
    for (;;) {
      const { data, errors } = await gqlHttp(app, PAGE, { orderBy, first: 3, after });
      expect(errors).toBeUndefined();
      forward.push(...data!.jobs.edges.map((edge: { node: { id: string } }) => edge.node.id));
      if (!data!.jobs.pageInfo.hasNextPage) break;
      after = data!.jobs.pageInfo.endCursor;
    }
    expect(forward).toEqual(expected(key, direction));
    const backward: string[] = [];
    let before: string | undefined;
    for (;;) {
      const { data } = await gqlHttp(app, PAGE, { orderBy, last: 3, before });
      backward.unshift(...data!.jobs.edges.map((edge: { node: { id: string } }) => edge.node.id));
      if (!data!.jobs.pageInfo.hasPreviousPage) break;
      before = data!.jobs.pageInfo.startCursor;
    }
    expect(backward).toEqual(forward);
  });

  it('refuses a cursor read in another order', async () => {
    const { data } = await gqlHttp(app, PAGE, { first: 2 });
    const { errors } = await gqlHttp(app, PAGE, { orderBy: { field: 'DURATION' }, first: 2, after: data!.jobs.pageInfo.endCursor });
    expect(errors?.[0]?.message).toBe('after is not a cursor this API gave out for this order.');
  });
});
