/** retry, cancel and replay: the SPEC's state rules and typed errors, on each database. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamNotFoundError } from '../src/integrations/errors.js';
import { DuplicateActiveJobError, InputError, InvalidStateError, NotFoundError } from '../src/queue/errors.js';
import { jobCancel } from '../src/queue/services/jobCancel.js';
import { jobEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { jobReplay } from '../src/queue/services/jobReplay.js';
import { jobRetry } from '../src/queue/services/jobRetry.js';
import { jobRunNow } from '../src/queue/services/jobRunNow.js';
import { jobTypeSetPaused } from '../src/queue/services/jobTypePause.js';
import type { JobTransition } from '../src/events/events.js';
import { demoTypesWith, gqlHttp, isFinal, providers, recordTransitions, startTestApp, waitForJob, type TestApp } from './helpers.js';

/** Handlers the test steers: `block` jobs run until aborted; `fail:*` fail as named. */
function steeredHandlers(seen: { aborted: number[] }) {
  const outcomes = new Map<string, () => unknown>([
    ['ok', () => ({ id: 'ok' })],
    [
      'missing',
      () => {
        throw new UpstreamNotFoundError('not there', { statusCode: 404 });
      },
    ],
  ]);
  const handler = async ({ job, signal }: { job: { id: number; entityId: string }; signal: AbortSignal }) => {
    if (job.entityId.startsWith('block')) {
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => {
          seen.aborted.push(job.id);
          reject(signal.reason);
        }),
      );
    }
    const outcome = outcomes.get(job.entityId.split('_')[0]!) ?? outcomes.get('ok')!;
    return outcome();
  };
  return demoTypesWith({ customer_sync: handler, invoice_sync: handler });
}

describe.each(providers)('retry, cancel, replay (%s)', (provider) => {
  let app: TestApp;
  const seen = { aborted: [] as number[] };
  beforeAll(async () => {
    app = await startTestApp(provider, {}, { ...steeredHandlers(seen) });
  });
  afterAll(async () => {
    await app?.close();
  });
  afterEach(() => {
    seen.aborted.length = 0;
  });

  const failedJob = async (entityId: string) => {
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId });
    return waitForJob(app, job.id, isFinal);
  };

  it('retry: FAILED → PENDING due now, error cleared, attempts kept and counting on', async () => {
    const failed = await failedJob('missing_r1');
    expect(failed).toMatchObject({ status: 'FAILED', attemptCount: 1, lastErrorType: 'NotFound' });
    const recorder = recordTransitions(app.bus);
    const retried = await jobRetry(app.context, failed.id);
    expect(retried).toMatchObject({ status: 'PENDING', lastError: null, lastErrorType: null, attemptCount: 1 });
    // The failure's own transition may still be on its way to the bus: look for the retry's.
    expect(recorder.transitions.filter((transition) => transition.jobId === failed.id && transition.to === 'PENDING')).toMatchObject([
      { from: 'FAILED', to: 'PENDING', kind: 'retried' },
    ]);
    recorder.stop();
    const again = await waitForJob(app, failed.id, isFinal);
    expect(again).toMatchObject({ status: 'FAILED', attemptCount: 2 });
    const attempts = await app.database.db.attempt.findMany({ where: { jobId: failed.id }, orderBy: { attemptNumber: 'asc' } });
    expect(attempts.map((attempt) => attempt.attemptNumber)).toEqual([1, 2]);
  });

  it('retry: only FAILED jobs; unknown ids are NotFound', async () => {
    const done = await failedJob('ok_r2');
    await expect(jobRetry(app.context, done.id)).rejects.toMatchObject({ constructor: InvalidStateError, currentStatus: 'SUCCEEDED' });
    await expect(jobRetry(app.context, 999_999)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('retry: refused while another job for the entity is active', async () => {
    const failed = await failedJob('missing_r3');
    const blocker = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'missing_r3', scheduledAt: new Date(Date.now() + 3_600_000) });
    await expect(jobRetry(app.context, failed.id)).rejects.toMatchObject({ constructor: DuplicateActiveJobError, existingJobId: blocker.id });
    expect((await app.database.db.job.findUnique({ where: { id: failed.id } }))!.status).toBe('FAILED');
  });

  it('cancel: a PENDING job becomes CANCELED and is never run', async () => {
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'ok_c1', scheduledAt: new Date(Date.now() + 3_600_000) });
    const canceled = await jobCancel(app.context, job.id);
    expect(canceled).toMatchObject({ status: 'CANCELED', activeKey: null, attemptCount: 0 });
    expect(canceled.canceledAt).toBeInstanceOf(Date);
    // Its entity is free again.
    await expect(jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'ok_c1' })).resolves.toMatchObject({ status: 'PENDING' });
  });

  it('cancel: a RUNNING handler sees the abort and the job stays CANCELED', async () => {
    const job = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'block_c2' });
    await waitForJob(app, job.id, (row) => row.status === 'RUNNING');
    const recorder = recordTransitions(app.bus);
    const attemptEnded = new Promise<JobTransition>((resolve) => {
      const off = app.bus.on('job:transitions', (batch) => {
        const ended = batch.find((transition) => transition.jobId === job.id && transition.kind === 'attempt_finished');
        if (ended) {
          off();
          resolve(ended);
        }
      });
    });
    await jobCancel(app.context, job.id);
    // The handler's late result is written as an attempt; the job stays CANCELED.
    expect(await attemptEnded).toMatchObject({
      from: 'CANCELED',
      to: 'CANCELED',
      attempt: { success: false, errorType: 'Canceled' },
      job: { status: 'CANCELED', attemptCount: 1 },
    });
    recorder.stop();
    expect(seen.aborted).toContain(job.id);
    const row = await app.database.db.job.findUnique({ where: { id: job.id }, include: { attempts: true } });
    expect(row).toMatchObject({ status: 'CANCELED', leaseOwner: null });
    expect(row!.attempts).toMatchObject([{ attemptNumber: 1, success: false, errorType: 'Canceled' }]);
    expect(recorder.transitions.filter((t) => t.jobId === job.id).map((t) => `${t.from}->${t.to}`)).toEqual(['RUNNING->CANCELED', 'CANCELED->CANCELED']);
  });

  it('cancel: only PENDING or RUNNING; unknown ids are NotFound', async () => {
    const done = await failedJob('ok_c4');
    await expect(jobCancel(app.context, done.id)).rejects.toMatchObject({ constructor: InvalidStateError, currentStatus: 'SUCCEEDED' });
    await expect(jobCancel(app.context, 424_242)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('replay: a new linked PENDING job; the original and its attempts untouched', async () => {
    const failed = await failedJob('missing_p1');
    const before = await app.database.db.job.findUnique({ where: { id: failed.id }, include: { attempts: true } });
    const attempt = before!.attempts[0]!;
    const recorder = recordTransitions(app.bus);
    const replay = await jobReplay(app.context, failed.id);
    recorder.stop();
    expect(replay).toMatchObject({ isReplay: true, replayOfId: failed.id, replayOfAttemptId: attempt.id, status: 'PENDING', entityId: 'missing_p1' });
    expect(replay.id).not.toBe(failed.id);
    expect(replay.correlationId).not.toBe(failed.correlationId);
    expect(recorder.transitions[0]).toMatchObject({ jobId: replay.id, kind: 'replayed', from: null, to: 'PENDING' });
    await waitForJob(app, replay.id, isFinal);
    const after = await app.database.db.job.findUnique({ where: { id: failed.id }, include: { attempts: true, replays: true } });
    expect({ ...after, replays: undefined, updatedAt: undefined }).toEqual({ ...before, replays: undefined, updatedAt: undefined });
    expect(after!.replays.map((job) => job.id)).toEqual([replay.id]);
  });

  it('replay: of a chosen failed attempt; a succeeded or foreign attempt is an InputError', async () => {
    const failed = await failedJob('missing_p2');
    await jobRetry(app.context, failed.id);
    await waitForJob(app, failed.id, isFinal);
    const attempts = await app.database.db.attempt.findMany({ where: { jobId: failed.id }, orderBy: { attemptNumber: 'asc' } });
    const replay = await jobReplay(app.context, failed.id, attempts[0]!.id);
    expect(replay.replayOfAttemptId).toBe(attempts[0]!.id);
    await waitForJob(app, replay.id, isFinal);

    const succeeded = await failedJob('ok_p3');
    const okAttempt = await app.database.db.attempt.findFirstOrThrow({ where: { jobId: succeeded.id } });
    await expect(jobReplay(app.context, succeeded.id, okAttempt.id)).rejects.toMatchObject({ constructor: InputError, field: 'attemptId' });
    await expect(jobReplay(app.context, succeeded.id)).rejects.toBeInstanceOf(InputError);
    await expect(jobReplay(app.context, failed.id, okAttempt.id)).rejects.toMatchObject({ constructor: InputError, field: 'attemptId' });
    await expect(jobReplay(app.context, failed.id, 987_654)).rejects.toBeInstanceOf(NotFoundError);
    await expect(jobReplay(app.context, 987_654)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('replay: obeys the duplicate rule', async () => {
    const failed = await failedJob('missing_p4');
    await waitForJob(app, (await jobReplay(app.context, failed.id)).id, isFinal);
    const active = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'missing_p4', scheduledAt: new Date(Date.now() + 3_600_000) });
    await expect(jobReplay(app.context, failed.id)).rejects.toMatchObject({ constructor: DuplicateActiveJobError, existingJobId: active.id });
    expect(await app.database.db.job.count({ where: { replayOfId: failed.id } })).toBe(1);
  });

  it('run now: a scheduled job is due at once and runs; audited and published; a due job is left as it is; only PENDING', async () => {
    const later = new Date(Date.now() + 3_600_000);
    const scheduled = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'ok_now1', scheduledAt: later });
    const recorder = recordTransitions(app.bus);
    const answer = await gqlHttp(app, `mutation ($id: ID!) { runJobNow(id: $id) { __typename ... on RunJobNowSuccess { job { id status phase nextRunAt } } } }`, {
      id: String(scheduled.id),
    });
    expect(answer.data!.runJobNow).toMatchObject({ __typename: 'RunJobNowSuccess', job: { status: 'PENDING', phase: 'QUEUED' } });
    expect(new Date(answer.data!.runJobNow.job.nextRunAt).getTime()).toBeLessThanOrEqual(Date.now());
    // The workers are woken: it runs well before the next poll would have found it.
    const done = await waitForJob(app, scheduled.id, isFinal, 1_000);
    expect(done).toMatchObject({ status: 'SUCCEEDED', scheduledAt: later });
    recorder.stop();
    expect(recorder.transitions.find((transition) => transition.jobId === scheduled.id && transition.kind === 'promoted')).toMatchObject({ from: 'PENDING', to: 'PENDING' });
    const audit = await app.database.db.auditEvent.findFirstOrThrow({ where: { jobId: scheduled.id, action: 'RUN_NOW' } });
    expect(audit).toMatchObject({ outcome: 'OK', detail: `was due ${later.toISOString()}` });

    // Already due (its type paused, so it waits): answered as it is, nothing written.
    await jobTypeSetPaused(app.context, 'invoice_sync', true);
    const waiting = await jobEnqueue(app.context, { jobType: 'invoice_sync', entityId: 'ok_now3' });
    expect(await jobRunNow(app.context, waiting.id)).toEqual(waiting);
    expect(await app.database.db.auditEvent.count({ where: { jobId: waiting.id, action: 'RUN_NOW' } })).toBe(0);
    await jobTypeSetPaused(app.context, 'invoice_sync', false);

    const due = await jobEnqueue(app.context, { jobType: 'customer_sync', entityId: 'block_now2' });
    await waitForJob(app, due.id, (job) => job.status === 'RUNNING');
    await expect(jobRunNow(app.context, due.id)).rejects.toMatchObject({ constructor: InvalidStateError, currentStatus: 'RUNNING' });
    await expect(jobRunNow(app.context, due.id)).rejects.toThrow(`Cannot run now job ${due.id}: it is RUNNING; only PENDING jobs can be run now.`);
    await jobCancel(app.context, due.id);
    await expect(jobRunNow(app.context, done.id)).rejects.toMatchObject({ constructor: InvalidStateError, currentStatus: 'SUCCEEDED' });
    await expect(jobRunNow(app.context, 987_654)).rejects.toBeInstanceOf(NotFoundError);
  });
});
