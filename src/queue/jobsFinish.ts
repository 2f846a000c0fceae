/**
 * Writes a batch of attempt outcomes (the jobs' new states and their Attempt rows, atomically, in
 * the dialect's fewest statements), then publishes the transitions. A job that this worker no
 * longer holds (its lease expired and another worker took it over) is left alone and its attempt
 * is not written here: the lease recovery already recorded it as lost.
 */
import type { Job } from '../db/client.js';
import type { FinishRow } from '../db/dialects/index.js';
import type { JobStatus, TransitionKind } from '../live/events.js';
import { announceDueJobs, publishTransitions, type QueueContext } from './context.js';

export interface FinishedAttempt {
  row: Omit<FinishRow, 'startedAt' | 'success'>;
  startedAt: Date;
  success: boolean;
}

const kindByStatus: Record<string, TransitionKind> = {
  SUCCEEDED: 'succeeded',
  PENDING: 'retry_scheduled',
  DEAD: 'dead',
  FAILED: 'failed',
};

export async function jobsFinish(
  context: QueueContext,
  leaseOwner: string,
  attempts: FinishedAttempt[],
  /** The kind for jobs that go back to PENDING when that is not a backoff (lease expiry, shutdown). */
  kindOverride?: TransitionKind,
): Promise<Job[]> {
  if (!attempts.length) return [];
  const jobs = await context.dialect.finishJobs(context.db, {
    leaseOwner,
    rows: attempts.map(({ row, startedAt, success }) => ({ ...row, startedAt, success })),
  });
  if (!jobs.length) return [];
  const rowById = new Map(attempts.map((attempt) => [attempt.row.id, attempt.row]));
  publishTransitions(
    context,
    jobs.map((job) => {
      const row = rowById.get(job.id)!;
      const canceled = job.status === 'CANCELED';
      return {
        jobId: job.id,
        from: (canceled ? 'CANCELED' : 'RUNNING') as JobStatus,
        to: job.status as JobStatus,
        kind: canceled ? 'attempt_finished' : row.status === 'PENDING' && kindOverride ? kindOverride : kindByStatus[row.status]!,
        attemptNumber: row.attemptNumber,
        at: row.finishedAt,
        job,
      };
    }),
  );
  const now = context.now();
  await announceDueJobs(context, jobs.filter((job) => job.status === 'PENDING' && job.nextRunAt <= now).length);
  return jobs;
}
