/**
 * The typed events of one process. Keys are `noun:verb`. Payloads are facts that are already
 * committed: nothing is emitted from inside a transaction.
 */
import type { Job } from '../db/client.js';

export type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'DEAD' | 'CANCELED';

/** Why a job changed state; one value per edge of the SPEC's lifecycle. */
export type TransitionKind =
  | 'enqueued'
  | 'claimed'
  | 'succeeded'
  | 'retry_scheduled'
  | 'dead'
  | 'failed'
  | 'canceled'
  | 'retried'
  | 'replayed'
  | 'attempt_finished'
  | 'lease_expired'
  | 'released';

export interface JobTransition {
  jobId: number;
  /** Status before the change; null for a job that did not exist before (enqueue, replay). */
  from: JobStatus | null;
  to: JobStatus;
  kind: TransitionKind;
  /** The job's attempt count after the change (the attempt that just ran, for finishes). */
  attemptNumber: number;
  at: Date;
  /** The job's row as committed. */
  job: Job;
  /** Published by another process (arrived through the cross-process transport). */
  remote?: boolean;
}

export interface LiveEvents {
  /** A job changed state. */
  'job:transition': JobTransition;
  /** Jobs became due now: idle workers should claim. */
  'jobs:available': { count: number };
}
