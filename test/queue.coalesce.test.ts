/**
 * ifActive COALESCE on both databases: an enqueue for a pair with a PENDING job is folded into it
 * (last payload wins, counted, audited, live), one behind a RUNNING job becomes the pair's single
 * follow-up (phase BLOCKED) that runs once the running job ends however it ends, a running job
 * that would go back to PENDING is superseded by its follow-up, the debounce moves the start but
 * never past the maximum delay, retry and replay follow the same rules, and REJECT stays as it was.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJobType, RetryableError } from '../src/index.js';
import { jobsEnqueue } from '../src/queue/services/jobsEnqueue.js';
import type { JobTransition } from '../src/events/events.js';
import { gqlHttp, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';

/** Handlers wait at this gate until the test opens it (per entity), and count themselves. */
class Gate {
  private readonly waiting = new Map<string, () => void>();
  readonly runs: { entityId: string; name: string | undefined }[] = [];
  running = 0;
  mostAtOnce = 0;
  failNext = new Set<string>();

  async pass(entityId: string, name: string | undefined): Promise<void> {
    this.running += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    this.runs.push({ entityId, name });
    try {
      await new Promise<void>((resolve) => this.waiting.set(entityId, resolve));
      if (this.failNext.delete(entityId)) throw new RetryableError('the target was busy');
    } finally {
      this.running -= 1;
    }
  }

  open(entityId: string): void {
    this.waiting.get(entityId)?.();
    this.waiting.delete(entityId);
  }

  isWaiting(entityId: string): boolean {
    return this.waiting.has(entityId);
  }
}

const gate = new Gate();

const profileSync = defineJobType({
  name: 'profile_sync',
  description: 'A profile, coalesced per entity',
  payload: z.object({ name: z.string() }).optional(),
  ifActive: 'coalesce',
  retry: { maxRetries: 3, backoff: { baseSeconds: 0.05 } },
  handler: async ({ entityId, payload }) => gate.pass(entityId, payload?.name),
});

const debouncedSync = defineJobType({
  name: 'debounced_sync',
  ifActive: 'coalesce',
  debounceSeconds: 30,
  maxDelaySeconds: 60,
  handler: () => undefined,
});

const strictSync = defineJobType({ name: 'strict_sync', handler: () => undefined });

const enqueueMutation = `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) {
  __typename ... on EnqueueJobSuccess { coalesced job { id status phase coalescedCount payload } } ... on DuplicateActiveJobError { existingJobId } } }`;

describe.each(providers)('ifActive COALESCE (%s)', (provider) => {
  let app: TestApp;
  let transitions: JobTransition[] = [];
  let offTransitions: () => void;

  beforeAll(async () => {
    gate.runs.length = 0;
    gate.mostAtOnce = 0;
    app = await startTestApp(provider, { SYNCBRIDGE_WORKER_POLL_SECONDS: '0.1' }, { jobTypes: [profileSync, debouncedSync, strictSync], upstreams: {} });
    offTransitions = app.bus.on('job:transitions', (batch) => transitions.push(...batch));
  }, 60_000);
  afterAll(async () => {
    offTransitions();
    await app?.close();
  });
  afterEach(() => {
    transitions = [];
  });

  const enqueue = async (inputs: Record<string, unknown>[]) => {
    const { data, errors } = await gqlHttp(app, enqueueMutation, { inputs });
    if (!data) throw new Error(JSON.stringify(errors));
    return data.enqueueJobs as any[];
  };

  it('folds enqueues into the PENDING job: last payload wins, counted, audited and live; REJECT asked per call still refuses', async () => {
    // Scheduled ahead: it stays PENDING while the changes arrive.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const [first] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_pending', scheduledAt: later, payload: { name: 'Ada' } }]);
    expect(first).toMatchObject({ __typename: 'EnqueueJobSuccess', coalesced: false, job: { status: 'PENDING', coalescedCount: 0 } });
    const answers = await enqueue([
      { jobType: 'PROFILE_SYNC', entityId: 'p_pending', payload: { name: 'Ada L.' } },
      { jobType: 'PROFILE_SYNC', entityId: 'p_pending' }, // no payload: the newer one stays
      { jobType: 'PROFILE_SYNC', entityId: 'p_pending', payload: { name: 'Ada Lovelace' } },
    ]);
    for (const answer of answers) expect(answer).toMatchObject({ __typename: 'EnqueueJobSuccess', coalesced: true, job: { id: first.job.id } });
    const job = await app.database.db.job.findUniqueOrThrow({ where: { id: Number(first.job.id) } });
    expect({ payload: JSON.parse(job.payload!), coalescedCount: job.coalescedCount, status: job.status }).toEqual({
      payload: { name: 'Ada Lovelace' },
      coalescedCount: 3,
      status: 'PENDING',
    });
    expect(transitions.filter((transition) => transition.kind === 'coalesced' && transition.jobId === job.id).length).toBeGreaterThan(0);
    const audit = await app.database.db.auditEvent.findMany({ where: { jobId: job.id } });
    expect(audit.map((event) => event.detail)).toContain('coalesced 3 enqueue(s)');
    const [refused] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_pending', ifActive: 'REJECT' }]);
    expect(refused).toEqual({ __typename: 'DuplicateActiveJobError', existingJobId: first.job.id });
    // The filter finds it by what it absorbed.
    const { data } = await gqlHttp(app, `{ jobs(filter: { minCoalescedCount: 3 }) { edges { node { id } } } }`);
    expect(data!.jobs.edges.map((edge: any) => edge.node.id)).toEqual([first.job.id]);
    // The types say their policy.
    const types = (await gqlHttp(app, `{ jobTypes { jobType ifActive debounceSeconds maxDelaySeconds } }`)).data!.jobTypes;
    expect(types).toEqual(
      expect.arrayContaining([
        { jobType: 'PROFILE_SYNC', ifActive: 'COALESCE', debounceSeconds: 0, maxDelaySeconds: 0 },
        { jobType: 'DEBOUNCED_SYNC', ifActive: 'COALESCE', debounceSeconds: 30, maxDelaySeconds: 60 },
        { jobType: 'STRICT_SYNC', ifActive: 'REJECT', debounceSeconds: 0, maxDelaySeconds: 0 },
      ]),
    );
    await gqlHttp(app, `mutation { cancelJob(id: "${first.job.id}") { __typename } }`);
  });

  it('one follow-up behind a RUNNING job takes every later change, runs once that one finishes, never beside it', async () => {
    const [running] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_busy', payload: { name: 'v1' } }]);
    await expect.poll(() => gate.isWaiting('p_busy'), { timeout: 10_000 }).toBe(true);
    const followUps = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_busy', payload: { name: 'v2' } }]);
    expect(followUps[0]).toMatchObject({ coalesced: false, job: { status: 'PENDING', phase: 'BLOCKED' } });
    const followUpId = followUps[0].job.id;
    const more = await enqueue([
      { jobType: 'PROFILE_SYNC', entityId: 'p_busy', payload: { name: 'v3' } },
      { jobType: 'PROFILE_SYNC', entityId: 'p_busy', payload: { name: 'v4' } },
    ]);
    expect(more.map((answer) => [answer.coalesced, answer.job.id])).toEqual([
      [true, followUpId],
      [true, followUpId],
    ]);
    const { data } = await gqlHttp(app, `{ jobs(filter: { phase: BLOCKED }) { edges { node { id } } } }`);
    expect(data!.jobs.edges.map((edge: any) => edge.node.id)).toContain(followUpId);
    // Still blocked: the running one holds the pair.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gate.runs.filter((run) => run.entityId === 'p_busy').map((run) => run.name)).toEqual(['v1']);
    gate.open('p_busy');
    await waitForJob(app, Number(running.job.id), (job) => job.status === 'SUCCEEDED');
    await expect.poll(() => gate.isWaiting('p_busy'), { timeout: 10_000 }).toBe(true);
    expect(gate.runs.filter((run) => run.entityId === 'p_busy').map((run) => run.name)).toEqual(['v1', 'v4']);
    gate.open('p_busy');
    const done = await waitForJob(app, Number(followUpId), (job) => job.status === 'SUCCEEDED');
    expect(done.coalescedCount).toBe(2);
    expect(gate.mostAtOnce).toBe(1);
  });

  it('a running job that would go back to PENDING while a follow-up waits is superseded by it; the follow-up runs at once', async () => {
    const [running] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_retry', payload: { name: 'old' } }]);
    await expect.poll(() => gate.isWaiting('p_retry'), { timeout: 10_000 }).toBe(true);
    const [followUp] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_retry', payload: { name: 'new' } }]);
    gate.failNext.add('p_retry');
    gate.open('p_retry');
    const superseded = await waitForJob(app, Number(running.job.id), (job) => job.status === 'CANCELED');
    expect(superseded).toMatchObject({ lastErrorType: 'Superseded', activeKey: null });
    expect(superseded.lastError).toContain(`Superseded by job ${followUp.job.id}`);
    expect(transitions.some((transition) => transition.jobId === superseded.id && transition.kind === 'superseded')).toBe(true);
    // Its attempt keeps what really happened.
    const attempts = await app.database.db.attempt.findMany({ where: { jobId: superseded.id } });
    expect(attempts.map((attempt) => attempt.errorType)).toEqual(['RetryableError']);
    await expect.poll(() => gate.isWaiting('p_retry'), { timeout: 10_000 }).toBe(true);
    expect(gate.runs.at(-1)).toEqual({ entityId: 'p_retry', name: 'new' });
    gate.open('p_retry');
    await waitForJob(app, Number(followUp.job.id), (job) => job.status === 'SUCCEEDED');
  });

  it('a follow-up runs when the running job is canceled', async () => {
    const [running] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_cancel', payload: { name: 'a' } }]);
    await expect.poll(() => gate.isWaiting('p_cancel'), { timeout: 10_000 }).toBe(true);
    const [followUp] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_cancel', payload: { name: 'b' } }]);
    await gqlHttp(app, `mutation { cancelJob(id: "${running.job.id}") { __typename } }`);
    gate.open('p_cancel'); // the canceled handler ends
    await expect.poll(() => gate.runs.filter((run) => run.entityId === 'p_cancel').length, { timeout: 10_000 }).toBe(2);
    expect(gate.runs.filter((run) => run.entityId === 'p_cancel').at(-1)!.name).toBe('b');
    gate.open('p_cancel');
    await waitForJob(app, Number(followUp.job.id), (job) => job.status === 'SUCCEEDED');
    expect(gate.mostAtOnce).toBe(1);
  });

  it("the debounce moves an unstarted job's start with each change, never past the maximum delay after its first enqueue", async () => {
    const t0 = Date.now();
    const [first] = await enqueue([{ jobType: 'DEBOUNCED_SYNC', entityId: 'd_1' }]);
    const firstRow = await app.database.db.job.findUniqueOrThrow({ where: { id: Number(first.job.id) } });
    // now + 30 s rounded up to a tenth of the debounce: never earlier, at most 3 s later.
    expect(firstRow.nextRunAt.getTime() - firstRow.createdAt.getTime()).toBeGreaterThanOrEqual(30_000);
    expect(firstRow.nextRunAt.getTime() - firstRow.createdAt.getTime()).toBeLessThan(33_000);
    expect(firstRow.nextRunAt.getTime() % 3_000).toBe(0);
    await enqueue([{ jobType: 'DEBOUNCED_SYNC', entityId: 'd_1' }]);
    const moved = await app.database.db.job.findUniqueOrThrow({ where: { id: firstRow.id } });
    expect(moved.nextRunAt.getTime()).toBeGreaterThanOrEqual(t0 + 30_000);
    expect(moved.nextRunAt.getTime()).toBeLessThanOrEqual(firstRow.createdAt.getTime() + 60_000);
    expect(moved.nextRunAt.getTime() % 3_000).toBe(0); // whole steps, computed in integer ms
    // A change within the same step leaves the start where it is (the update touches no index); the next step moves it.
    const stepStart = moved.nextRunAt.getTime() - 30_000 - 3_000;
    const at = (ms: number) => ({ ...app.context, now: () => new Date(ms) });
    await jobsEnqueue(at(stepStart + 1), [{ jobType: 'debounced_sync', entityId: 'd_1' }]);
    expect((await app.database.db.job.findUniqueOrThrow({ where: { id: firstRow.id } })).nextRunAt).toEqual(moved.nextRunAt);
    await jobsEnqueue(at(stepStart + 3_001), [{ jobType: 'debounced_sync', entityId: 'd_1' }]);
    expect((await app.database.db.job.findUniqueOrThrow({ where: { id: firstRow.id } })).nextRunAt.getTime()).toBe(moved.nextRunAt.getTime() + 3_000);
    // Changes later than the maximum delay allows: held at createdAt + 60 s.
    await jobsEnqueue(at(firstRow.createdAt.getTime() + 45_000), [{ jobType: 'debounced_sync', entityId: 'd_1' }]);
    const held = await app.database.db.job.findUniqueOrThrow({ where: { id: firstRow.id } });
    expect(held.nextRunAt.getTime()).toBe(firstRow.createdAt.getTime() + 60_000);
    expect(held.coalescedCount).toBe(4);
  });

  it('one batch over pairs in every state: each PENDING job (owner or follow-up) absorbs its change, a RUNNING owner gets a follow-up, a new pair a job', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const [pending] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_b_pending', scheduledAt: later, payload: { name: 'old' } }]);
    const [debounced] = await enqueue([{ jobType: 'DEBOUNCED_SYNC', entityId: 'd_b' }]);
    const [busy] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_b_busy', payload: { name: 'b1' } }]);
    const [followed] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_b_follow', payload: { name: 'f1' } }]);
    await expect.poll(() => gate.isWaiting('p_b_busy') && gate.isWaiting('p_b_follow'), { timeout: 10_000 }).toBe(true);
    const [followUp] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_b_follow', payload: { name: 'f2' } }]);
    const answers = (
      await gqlHttp(
        app,
        `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) {
          ... on EnqueueJobSuccess { coalesced job { id status phase coalescedCount payload nextRunAt } } } }`,
        {
          inputs: [
            { jobType: 'PROFILE_SYNC', entityId: 'p_b_pending', payload: { name: 'new' } },
            { jobType: 'DEBOUNCED_SYNC', entityId: 'd_b' },
            { jobType: 'PROFILE_SYNC', entityId: 'p_b_busy', payload: { name: 'b2' } },
            { jobType: 'PROFILE_SYNC', entityId: 'p_b_follow', payload: { name: 'f3' } },
            { jobType: 'PROFILE_SYNC', entityId: 'p_b_new', scheduledAt: later, payload: { name: 'n1' } },
          ],
        },
      )
    ).data!.enqueueJobs as any[];
    expect(answers.map((answer) => answer.coalesced)).toEqual([true, true, false, true, false]);
    expect([answers[0].job.id, answers[1].job.id, answers[3].job.id]).toEqual([pending.job.id, debounced.job.id, followUp.job.id]);
    expect(answers[2].job).toMatchObject({ status: 'PENDING', phase: 'BLOCKED', coalescedCount: 0 });
    expect(answers[4].job).toMatchObject({ status: 'PENDING', coalescedCount: 0 });
    // What each answer says is what was stored.
    for (const answer of answers) {
      const row = await app.database.db.job.findUniqueOrThrow({ where: { id: Number(answer.job.id) } });
      expect({ payload: JSON.parse(row.payload ?? 'null'), coalescedCount: row.coalescedCount, nextRunAt: row.nextRunAt.toISOString() }).toEqual({
        payload: answer.job.payload ?? null,
        coalescedCount: answer.job.coalescedCount,
        nextRunAt: answer.job.nextRunAt,
      });
    }
    expect(answers.map((answer) => answer.job.payload?.name ?? null)).toEqual(['new', null, 'b2', 'f3', 'n1']);
    expect(answers.map((answer) => answer.job.coalescedCount)).toEqual([1, 1, 0, 1, 0]);
    const audited = await app.database.db.auditEvent.findMany({ where: { jobId: { in: answers.map((answer) => Number(answer.job.id)) }, detail: 'coalesced 1 enqueue(s)' } });
    expect(audited.map((event) => String(event.jobId)).sort()).toEqual([pending.job.id, debounced.job.id, followUp.job.id].sort());
    expect(
      transitions
        .filter((transition) => transition.kind === 'coalesced')
        .map((transition) => String(transition.jobId))
        .sort(),
    ).toEqual([pending.job.id, debounced.job.id, followUp.job.id].sort());
    for (const entityId of ['p_b_busy', 'p_b_follow']) {
      gate.open(entityId);
      await expect.poll(() => gate.isWaiting(entityId), { timeout: 10_000 }).toBe(true);
      gate.open(entityId);
    }
    for (const { job } of [busy, followed, answers[2], followUp]) await waitForJob(app, Number(job.id), (row) => row.status === 'SUCCEEDED');
    expect(gate.runs.filter((run) => run.entityId.startsWith('p_b_')).map((run) => run.name)).toEqual(['b1', 'f1', 'b2', 'f3']);
    await gqlHttp(
      app,
      `mutation { a: cancelJob(id: "${pending.job.id}") { __typename } b: cancelJob(id: "${answers[4].job.id}") { __typename } c: cancelJob(id: "${debounced.job.id}") { __typename } }`,
    );
  });

  it('REJECT types keep refusing an enqueue while the pair is active, and a follow-up holds the pair against them', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const [first, second] = await enqueue([
      { jobType: 'STRICT_SYNC', entityId: 's_1', scheduledAt: later },
      { jobType: 'STRICT_SYNC', entityId: 's_1' },
    ]);
    expect(first.__typename).toBe('EnqueueJobSuccess');
    expect(second).toEqual({ __typename: 'DuplicateActiveJobError', existingJobId: first.job.id });
    // A follow-up waiting (its owner RUNNING) also refuses a REJECT enqueue of the pair.
    const [running] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_mixed' }]);
    await expect.poll(() => gate.isWaiting('p_mixed'), { timeout: 10_000 }).toBe(true);
    const [followUp] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_mixed' }]);
    const [refused] = await enqueue([{ jobType: 'PROFILE_SYNC', entityId: 'p_mixed', ifActive: 'REJECT' }]);
    expect(refused.__typename).toBe('DuplicateActiveJobError');
    expect([running.job.id, followUp.job.id]).toContain(refused.existingJobId);
    gate.open('p_mixed');
    await expect.poll(() => gate.isWaiting('p_mixed'), { timeout: 10_000 }).toBe(true);
    gate.open('p_mixed');
    await waitForJob(app, Number(followUp.job.id), (job) => job.status === 'SUCCEEDED');
  });
});
