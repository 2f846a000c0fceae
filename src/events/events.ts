/**
 * The typed events of one process. Keys are `noun:verb`. Payloads are facts that are already
 * committed: nothing is emitted from inside a transaction. Transitions come in batches, one per
 * committed write (a claim, a batch of finishes, an enqueue), in commit order.
 */
import type { Job } from '../db/types.js';
import type { JobStatus, TransitionKind } from '../domain/index.js';

export type { JobStatus, TransitionKind } from '../domain/index.js';

export interface JobTransition {
  jobId: number;
  /** Status before the change; null for a job that did not exist before (enqueue, replay). */
  from: JobStatus | null;
  to: JobStatus;
  kind: TransitionKind;
  /** The attempt concerned: the one claimed for, or the one that just ended. */
  attemptNumber: number;
  at: Date;
  /** The job's row as committed. */
  job: Job;
  /** Set when this transition recorded an Attempt row (the attempt that ended). */
  attempt?: { success: boolean; errorType: string | null; durationMs: number };
  /** Published by another process (arrived through the cross-process transport). */
  remote?: boolean;
  /** The process that published it, for remote transitions (its live channel's id). */
  origin?: string;
}

export interface LiveEvents {
  /** Jobs changed state. */
  'job:transitions': readonly JobTransition[];
  /** Jobs became due now: idle workers should claim. */
  'jobs:available': { count: number };
  /** A job type's controls (pause, concurrency) changed in this process (other processes see it at their next refresh). */
  'jobTypes:changed': { jobType: string };
  /** An alert fired, changed or resolved, or a rule was changed, in this process. */
  'alerts:changed': { alertId?: number; ruleId?: number };
  /** A live subscription started in this process (other processes are asked for their transitions). */
  'subscription:started': { kind: 'jobUpdated' | 'metricsUpdated' | 'jobTypesUpdated' | 'alertsUpdated' | 'groupsUpdated' };
}
