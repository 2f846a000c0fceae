/**
 * Bulk actions over the shared JobFilter and retention, on both databases: each match gets the
 * single-job rules, refusals are counted not fatal, a dry run changes nothing, and pruning removes
 * what it should (with attempts, keeping the lineage of what stays) and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './helpers.js';
import { gqlHttp, providers, recordTransitions, startTestApp } from './helpers.js';

const BULK_FIELDS = `... on BulkActionResult { dryRun matched affected skipped skippedBy { reason count } jobs(first: 3) { id status replayOf { id } } } ... on Error { __typename message }`;

/** Inserts `pairs` × 2 DEAD jobs (two per entity) with one failed attempt each, directly. */
async function seedDeadPairs(app: TestApp, prefix: string, pairs: number): Promise<number[]> {
  const now = new Date(Date.now() - 60_000);
  const rows = Array.from({ length: pairs * 2 }, (_, i) => ({
    jobType: 'customer_sync',
    sourceSystem: 'crm',
    targetSystem: 'billing',
    entityType: 'customer',
    entityId: `${prefix}_${i % pairs}`,
    status: 'DEAD',
    priority: 1,
    maxRetries: 0,
    attemptCount: 1,
    correlationId: `${prefix}-${i}`,
    nextRunAt: now,
    createdAt: now,
    updatedAt: now,
    lastFinishedAt: now,
    lastError: 'rate limited',
    lastErrorType: 'UpstreamRateLimited',
    deadAt: now,
  }));
  await app.database.db.job.createMany({ data: rows });
  const jobs = await app.database.db.job.findMany({ where: { entityId: { startsWith: `${prefix}_` } }, select: { id: true }, orderBy: { id: 'asc' } });
  await app.database.db.attempt.createMany({
    data: jobs.map((job) => ({
      jobId: job.id,
      attemptNumber: 1,
      startedAt: now,
      finishedAt: now,
      success: false,
      errorType: 'UpstreamRateLimited',
      errorSummary: 'rate limited',
      durationMs: 5,
    })),
  });
  return jobs.map((job) => job.id);
}

describe.each(providers)('bulk actions and retention (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off', SYNCBRIDGE_MUTATIONS_PER_MINUTE: '0' });
  });
  afterAll(async () => app?.close());

  const counts = async () => ({ jobs: await app.database.db.job.count(), pending: await app.database.db.job.count({ where: { status: 'PENDING' } }) });

  it('replays 5,000 DEAD jobs as one new job per pair, skipping the rest with counts; a dry run changes nothing', async () => {
    const pairs = 2_500;
    await seedDeadPairs(app, 'bulk', pairs);
    const filter = { status: ['DEAD'], entityIdPrefix: 'bulk_' };
    const before = await counts();
    const dry = await gqlHttp(app, `mutation ($filter: JobFilter!) { replayJobs(filter: $filter, dryRun: true) { ${BULK_FIELDS} } }`, { filter });
    expect(dry.data!.replayJobs).toMatchObject({
      dryRun: true,
      matched: pairs * 2,
      affected: pairs,
      skipped: pairs,
      skippedBy: [{ reason: 'DuplicateActiveJobError', count: pairs }],
      jobs: [],
    });
    expect(await counts()).toEqual(before);

    const recorder = recordTransitions(app.bus);
    const started = performance.now();
    const real = await gqlHttp(app, `mutation ($filter: JobFilter!) { replayJobs(filter: $filter) { ${BULK_FIELDS} } }`, { filter });
    const seconds = (performance.now() - started) / 1000;
    recorder.stop();
    expect(real.data!.replayJobs).toMatchObject({
      dryRun: false,
      matched: pairs * 2,
      affected: pairs,
      skipped: pairs,
      skippedBy: [{ reason: 'DuplicateActiveJobError', count: pairs }],
    });
    expect(real.data!.replayJobs.jobs).toHaveLength(3);
    expect(real.data!.replayJobs.jobs[0]).toMatchObject({ status: 'PENDING', replayOf: { id: expect.any(String) } });
    // Exactly one active job per pair, every one published live.
    const active = await app.database.db.job.groupBy({ by: ['entityId'], where: { entityId: { startsWith: 'bulk_' }, status: 'PENDING' }, _count: true });
    expect(active).toHaveLength(pairs);
    expect(active.every((row) => row._count === 1)).toBe(true);
    expect(recorder.transitions.filter((transition) => transition.kind === 'replayed')).toHaveLength(pairs);
    // Audited: each replay with its new job, each refusal with its reason.
    expect(await app.database.db.auditEvent.count({ where: { action: 'REPLAY', outcome: 'OK' } })).toBe(pairs);
    expect(await app.database.db.auditEvent.count({ where: { action: 'REPLAY', outcome: 'DuplicateActiveJobError' } })).toBe(pairs);
    console.log(`bulk replay (${provider}): ${pairs * 2} matched, ${pairs} replayed, ${pairs} skipped in ${seconds.toFixed(1)} s`);

    // The same filter again: every pair is active now, so nothing more is replayed.
    const again = await gqlHttp(app, `mutation ($filter: JobFilter!) { replayJobs(filter: $filter) { ${BULK_FIELDS} } }`, { filter });
    expect(again.data!.replayJobs).toMatchObject({ matched: pairs * 2, affected: 0, skipped: pairs * 2 });
  }, 120_000);

  it('cancels what a filter matches and skips what it cannot cancel; an empty filter is refused', async () => {
    const cancel = await gqlHttp(app, `mutation ($filter: JobFilter!) { cancelJobs(filter: $filter) { ${BULK_FIELDS} } }`, { filter: { entityIdPrefix: 'bulk_1' } });
    // bulk_1, bulk_10…bulk_19, bulk_100…: each has two DEAD jobs and one PENDING replay.
    const { matched, affected, skipped } = cancel.data!.cancelJobs;
    expect(affected).toBe(matched / 3);
    expect(skipped).toBe((matched / 3) * 2);
    expect(await app.database.db.job.count({ where: { entityId: { startsWith: 'bulk_1' }, status: 'PENDING' } })).toBe(0);
    const audit = await app.database.db.auditEvent.count({ where: { action: 'CANCEL', outcome: 'OK' } });
    expect(audit).toBe(affected);

    const empty = await gqlHttp(app, `mutation { retryJobs(filter: {}) { ${BULK_FIELDS} } }`);
    expect(empty.data!.retryJobs).toMatchObject({ __typename: 'InputError', message: 'The filter must hold at least one condition.' });
  });

  it('prunes finished jobs past their age with their attempts, in batches, keeping lineage valid and everything else', async () => {
    // The DEAD originals are a minute old; their replays (PENDING or just CANCELED) are not finished long ago.
    const originals = await app.database.db.job.count({ where: { entityId: { startsWith: 'bulk_' }, status: 'DEAD' } });
    const replays = await app.database.db.job.count({ where: { entityId: { startsWith: 'bulk_' }, isReplay: true } });
    const keptBefore = await app.database.db.job.count({ where: { NOT: { status: 'DEAD' } } });
    const olderThan = new Date(Date.now() - 30_000).toISOString();

    const refused = await gqlHttp(app, `mutation ($at: DateTime!) { pruneJobs(olderThan: $at, statuses: [PENDING]) { __typename ... on Error { message } } }`, { at: olderThan });
    expect(refused.data!.pruneJobs).toMatchObject({ __typename: 'InputError', message: expect.stringContaining('PENDING is not a final status') });

    const pruned = await gqlHttp(app, `mutation ($at: DateTime!) { pruneJobs(olderThan: $at, statuses: [DEAD, FAILED]) { __typename ... on PruneJobsSuccess { deleted } } }`, {
      at: olderThan,
    });
    expect(pruned.data!.pruneJobs).toEqual({ __typename: 'PruneJobsSuccess', deleted: originals });
    expect(await app.database.db.job.count({ where: { status: 'DEAD' } })).toBe(0);
    expect(await app.database.db.job.count({ where: { NOT: { status: 'DEAD' } } })).toBe(keptBefore);
    // Attempts went with their jobs; replays stay, their links to what was pruned cleared.
    expect(await app.database.db.attempt.count({ where: { job: { entityId: { startsWith: 'bulk_' } } } })).toBe(0);
    expect(await app.database.db.job.count({ where: { isReplay: true, entityId: { startsWith: 'bulk_' } } })).toBe(replays);
    expect(
      await app.database.db.job.count({ where: { isReplay: true, entityId: { startsWith: 'bulk_' }, OR: [{ replayOfId: { not: null } }, { replayOfAttemptId: { not: null } }] } }),
    ).toBe(0);
    const { data } = await gqlHttp(app, `{ jobs(filter: { isReplay: true, entityIdPrefix: "bulk_" }, first: 1) { edges { node { replayOf { id } replayOfAttempt { id } } } } }`);
    expect(data!.jobs.edges[0].node).toEqual({ replayOf: null, replayOfAttempt: null });

    // The background rule prunes by age: nothing here is old enough for the defaults.
    expect(app.retention, 'worker off: this process does not prune').toBeUndefined();
  });

  it('deleteJobs deletes the finished jobs a filter matches with their attempts, skips active ones, audits each; a dry run deletes nothing', async () => {
    const ids = await seedDeadPairs(app, 'gone', 300); // 600 DEAD jobs: more than one page
    const active = await gqlHttp(app, `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "gone_live" }) { ... on EnqueueJobSuccess { job { id } } } }`);
    const activeId = Number(active.data!.enqueueJob.job.id);
    const before = await app.database.db.job.count();
    const dry = await gqlHttp(app, `mutation { deleteJobs(filter: { entityIdPrefix: "gone_" }, dryRun: true) { ${BULK_FIELDS} } }`);
    expect(dry.data!.deleteJobs).toMatchObject({ dryRun: true, matched: 601, affected: 600, skipped: 1, skippedBy: [{ reason: 'InvalidStateError', count: 1 }] });
    expect(await app.database.db.job.count()).toBe(before);

    const done = await gqlHttp(app, `mutation { deleteJobs(filter: { entityIdPrefix: "gone_" }) { ${BULK_FIELDS} } }`);
    expect(done.data!.deleteJobs).toMatchObject({ dryRun: false, matched: 601, affected: 600, skipped: 1 });
    expect(await app.database.db.job.findMany({ where: { entityId: { startsWith: 'gone_' } }, select: { id: true } })).toEqual([{ id: activeId }]);
    expect(await app.database.db.attempt.count({ where: { jobId: { in: ids } } })).toBe(0);
    const audited = await app.database.db.auditEvent.findMany({ where: { action: 'DELETE' }, select: { jobId: true, detail: true } });
    expect(audited.map((row) => row.jobId).sort((a, b) => a! - b!)).toEqual(ids);
    expect(audited[0]!.detail).toMatch(/^customer_sync:gone_\d+ was DEAD$/);
    // The audit log lists every action, these and the others (a schedule's used to break the listing).
    await gqlHttp(app, `mutation { createSchedule(input: { name: "audit-listing", cron: "0 2 * * *", jobType: CUSTOMER_SYNC, entityId: "c_1001" }) { __typename } }`);
    const listing = await gqlHttp(app, `{ auditEvents(first: 200) { edges { node { action } } } }`);
    expect(listing.errors).toBeUndefined();
    expect(new Set(listing.data!.auditEvents.edges.map((edge: { node: { action: string } }) => edge.node.action))).toEqual(new Set(['DELETE', 'SCHEDULE_CREATE']));

    const empty = await gqlHttp(app, `mutation { deleteJobs(filter: {}) { ${BULK_FIELDS} } }`);
    expect(empty.data!.deleteJobs).toMatchObject({ __typename: 'InputError', message: 'The filter must hold at least one condition.' });
  });
});

describe('deleteJobs is for admins', () => {
  let app: TestApp;
  const operator = 'bulk-operator-token-0123456789';
  beforeAll(async () => {
    app = await startTestApp('sqlite', { SYNCBRIDGE_API_TOKENS: `ops:operator:${operator}` });
  });
  afterAll(async () => app?.close());

  it('refuses an operator with a typed error, deleting nothing', async () => {
    await seedDeadPairs(app, 'kept', 2);
    const refused = await gqlHttp(app, `mutation { deleteJobs(filter: { status: [DEAD] }) { __typename ... on ForbiddenError { message requiredRole } } }`, undefined, {
      authorization: `Bearer ${operator}`,
    });
    expect(refused.data!.deleteJobs).toMatchObject({ __typename: 'ForbiddenError', requiredRole: 'admin' });
    expect(await app.database.db.job.count({ where: { entityId: { startsWith: 'kept_' } } })).toBe(4);
  });
});

describe('retention in a worker process', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('sqlite', { SYNCBRIDGE_RETENTION_SUCCEEDED: '1s', SYNCBRIDGE_RETENTION_FAILED: 'off', SYNCBRIDGE_RETENTION_INTERVAL_SECONDS: '3600' });
  });
  afterAll(async () => app?.close());

  it('prunes SUCCEEDED and CANCELED jobs past their age and keeps FAILED and DEAD when their rule is off', async () => {
    const old = new Date(Date.now() - 10_000);
    const base = {
      jobType: 'customer_sync',
      sourceSystem: 'crm',
      targetSystem: 'billing',
      entityType: 'customer',
      priority: 1,
      maxRetries: 0,
      correlationId: 'r',
      nextRunAt: old,
      createdAt: old,
      updatedAt: old,
    };
    await app.database.db.job.createMany({
      data: [
        { ...base, entityId: 'ret_ok', status: 'SUCCEEDED' },
        { ...base, entityId: 'ret_canceled', status: 'CANCELED' },
        { ...base, entityId: 'ret_dead', status: 'DEAD' },
        { ...base, entityId: 'ret_fresh', status: 'SUCCEEDED', updatedAt: new Date() },
      ],
    });
    expect(await app.retention!.runOnce()).toBe(2);
    const left = (await app.database.db.job.findMany({ where: { entityId: { startsWith: 'ret_' } }, select: { entityId: true }, orderBy: { entityId: 'asc' } })).map(
      (job) => job.entityId,
    );
    expect(left).toEqual(['ret_dead', 'ret_fresh']);
  });
});
