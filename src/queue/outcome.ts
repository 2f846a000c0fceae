/**
 * The lifecycle decision after an attempt: from the attempt's number and budget and its outcome
 * to the row `jobsFinish` writes. Pure, so every edge of the SPEC's state machine is testable here.
 */
import type { FinishRow } from '../db/dialects/index.js';
import { backoffDelayMs } from './backoff.js';

export type AttemptOutcome =
  | { success: true; details?: string | null }
  | {
      success: false;
      /** Forensics from the runner (upstream calls, a stack), as stored. */
      details?: string | null;
      errorType: string;
      message: string;
      retryable: boolean;
      retryAfterMs?: number;
      /** Due again at once: the attempt was lost to the system (lease expiry, shutdown), not to the upstream. */
      immediate?: boolean;
      /** Not counted against maxRetries: lost to the system (a shutdown, no file descriptors left), not to the upstream. */
      uncharged?: boolean;
    };

/** The attempt that ended: which job, which lease, which attempt of how many allowed. */
export interface EndedAttempt {
  id: number;
  claimedAt: Date;
  attemptNumber: number;
  /** Attempts before this one that were not charged (Job.unchargedAttempts). */
  unchargedAttempts: number;
  maxRetries: number;
  startedAt: Date;
}

export const errorSummaryLimit = 1024;

export function summarize(message: string): string {
  return message.length <= errorSummaryLimit ? message : `${message.slice(0, errorSummaryLimit - 1)}…`;
}

export function finishRowFor(attempt: EndedAttempt, outcome: AttemptOutcome, timing: { finishedAt: Date; durationMs: number }, backoffBaseSeconds: number): FinishRow {
  // One literal shape for every outcome (spreads of varying shapes showed in the drain's profile).
  let status: FinishRow['status'] = 'SUCCEEDED';
  let nextRunAt: Date | null = null;
  let deadAt: Date | null = null;
  let lastError: string | null = null;
  let lastErrorType: string | null = null;
  if (!outcome.success) {
    lastError = summarize(outcome.message);
    lastErrorType = outcome.errorType;
    // The retry budget counts charged attempts only: this one, unless it is uncharged, and those before that were.
    const charged = attempt.attemptNumber - attempt.unchargedAttempts;
    if (!outcome.retryable) status = 'FAILED';
    else if (outcome.uncharged || charged <= attempt.maxRetries) {
      const delay = outcome.immediate ? 0 : backoffDelayMs(outcome.uncharged ? 1 : charged, backoffBaseSeconds, outcome.retryAfterMs);
      status = 'PENDING';
      nextRunAt = new Date(timing.finishedAt.getTime() + delay);
    } else {
      status = 'DEAD';
      deadAt = timing.finishedAt;
    }
  }
  return {
    id: attempt.id,
    claimedAt: attempt.claimedAt,
    attemptNumber: attempt.attemptNumber,
    startedAt: attempt.startedAt,
    success: outcome.success,
    finishedAt: timing.finishedAt,
    durationMs: timing.durationMs,
    status,
    nextRunAt,
    lastError,
    lastErrorType,
    deadAt,
    details: outcome.details ?? null,
    uncharged: !outcome.success && Boolean(outcome.uncharged),
  };
}
