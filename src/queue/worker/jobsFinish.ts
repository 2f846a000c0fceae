/**
 * Writes a batch of attempt outcomes (the jobs' new states and their Attempt rows, atomically, in
 * one statement), then publishes the transitions. A job this owner no longer holds under that
 * lease (it expired and another worker took the job over) is left alone and its attempt is not
 * written here: the lease recovery recorded it. The rows published are rebuilt from the claimed
 * row and the outcome (lifecycle `afterFinish`, which mirrors the SQL) instead of read back.
 */
import type { Job } from '../../db/types.js';
import { afterFinish, type FinishRow, type JobStatus, type TransitionKind } from '../../domain/index.js';
import type { JobTransition } from '../../events/events.js';
import { announceDueJobs, publishTransitions, type QueueContext } from '../context.js';

export interface FinishedAttempt {
  row: FinishRow;
  /** The row as claimed; without it (recovery of another worker's job) the written rows are read back. */
  job?: Job;
}

const kindByStatus: Record<FinishRow['status'], TransitionKind> = {
  SUCCEEDED: 'succeeded',
  PENDING: 'retry_scheduled',
  DEAD: 'dead',
  FAILED: 'failed',
};

export async function jobsFinish(
  context: QueueContext,
  leaseOwner: string,
  attempts: FinishedAttempt[],
  options: {
    /** The kind for jobs that go back to PENDING when that is not a backoff (lease expiry, shutdown). */
    pendingKind?: TransitionKind;
    /** Recovery: only leases expired by then. */
    expiredBy?: Date;
  } = {},
): Promise<JobTransition[]> {
  if (!attempts.length) return [];
  const now = context.now();
  const written = await context.jobs.finish({ leaseOwner, rows: attempts.map((attempt) => attempt.row), expiredBy: options.expiredBy, now });
  if (!written.length) return [];
  const byId = new Map(attempts.map((attempt) => [attempt.row.id, attempt]));
  const missing = written.filter((row) => !byId.get(row.id)!.job).map((row) => row.id);
  const readBack = missing.length ? new Map((await context.reads.byIds(missing)).map((job) => [job.id, job])) : undefined;
  let due = 0;
  const transitions = written.map((result): JobTransition => {
    const { row, job: claimed } = byId.get(result.id)!;
    const job = claimed ? afterFinish(claimed, row, result) : readBack!.get(result.id)!;
    const superseded = result.supersededBy !== null;
    const canceled = result.status === 'CANCELED' && !superseded;
    if (job.status === 'PENDING' && job.nextRunAt.getTime() <= now.getTime()) due += 1;
    if (result.freedFollowUp !== null) due += 1;
    return {
      jobId: result.id,
      from: (canceled ? 'CANCELED' : 'RUNNING') as JobStatus,
      to: result.status as JobStatus,
      kind: superseded ? 'superseded' : canceled ? 'attempt_finished' : row.status === 'PENDING' && options.pendingKind ? options.pendingKind : kindByStatus[row.status],
      attemptNumber: row.attemptNumber,
      at: row.finishedAt,
      job,
      attempt: { success: row.success, errorType: row.lastErrorType, durationMs: row.durationMs },
    };
  });
  publishTransitions(context, transitions);
  await announceDueJobs(context, due, { notified: true });
  return transitions;
}
