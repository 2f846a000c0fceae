/**
 * The lifecycle decision after an attempt: from the job's counters and the attempt's outcome to
 * the row `finishJobs` writes. Pure, so every edge of the SPEC's state machine is testable here.
 */
import type { FinishRow } from '../db/dialects/index.js';
import { backoffDelayMs } from './backoff.js';

export type AttemptOutcome =
  | { success: true }
  | {
      success: false;
      errorType: string;
      message: string;
      retryable: boolean;
      retryAfterMs?: number;
      /** Due again at once: the attempt was lost to the system (lease expiry, shutdown), not to the upstream. */
      immediate?: boolean;
      /** Not counted against maxRetries: the worker shut down under the job. */
      budgetFree?: boolean;
    };

export interface FinishingJob {
  id: number;
  attemptCount: number;
  maxRetries: number;
}

export const errorSummaryLimit = 1024;

export function summarize(message: string): string {
  return message.length <= errorSummaryLimit ? message : `${message.slice(0, errorSummaryLimit - 1)}…`;
}

export type OutcomeRow = Omit<FinishRow, 'startedAt' | 'success'>;

export function finishRowFor(
  job: FinishingJob,
  outcome: AttemptOutcome,
  timing: { finishedAt: Date; durationMs: number },
  backoffBaseSeconds: number,
): OutcomeRow {
  const base = { id: job.id, attemptNumber: job.attemptCount, finishedAt: timing.finishedAt, durationMs: timing.durationMs };
  if (outcome.success) {
    return { ...base, status: 'SUCCEEDED', nextRunAt: null, lastError: null, lastErrorType: null, deadAt: null };
  }
  const error = { lastError: summarize(outcome.message), lastErrorType: outcome.errorType };
  if (!outcome.retryable) return { ...base, ...error, status: 'FAILED', nextRunAt: null, deadAt: null };
  if (outcome.budgetFree || job.attemptCount <= job.maxRetries) {
    const delay = outcome.immediate ? 0 : backoffDelayMs(job.attemptCount, backoffBaseSeconds, outcome.retryAfterMs);
    return { ...base, ...error, status: 'PENDING', nextRunAt: new Date(timing.finishedAt.getTime() + delay), deadAt: null };
  }
  return { ...base, ...error, status: 'DEAD', nextRunAt: null, deadAt: timing.finishedAt };
}
