/**
 * Coalescing (ifActive COALESCE): the debounce of a new job, a PENDING job absorbing an
 * enqueue, and the words a superseded job is left with. Pure, like the rest of the lifecycle.
 */
import { firstDueAt, type JobState } from './lifecycle.js';

/**
 * When a new job is due: at `scheduledAt` when that is later than now, else now; with a debounce
 * (ifActive COALESCE), not before `debounceMs` from now, so the changes of a burst land in it.
 */
export function dueAtDebounced(scheduledAt: Date | null, now: Date, debounceMs: number): Date {
  const due = firstDueAt(scheduledAt, now);
  const debounced = debouncedStartMs(now.getTime(), debounceMs);
  return debounceMs > 0 && debounced > due.getTime() ? new Date(debounced) : due;
}

/**
 * The start a debounce asks for: now + debounce, rounded up to a tenth of the debounce. Never
 * earlier than asked, at most a tenth later; and a burst's changes mostly leave the start where
 * it is, so their updates touch no index (a HOT update on PostgreSQL: the COALESCE burst ran 1.5×
 * faster, measured). PostgreSQL's coalesceInto computes the same (statements.ts `debouncedStart`).
 */
export function debouncedStartMs(nowMs: number, debounceMs: number): number {
  const step = Math.max(1, Math.floor(debounceMs / 10));
  return Math.ceil((nowMs + debounceMs) / step) * step;
}

/**
 * A PENDING job absorbing an enqueue (ifActive COALESCE): the newer payload wins (when one is
 * given), the count grows, and an unstarted job's start moves to now + debounce (in steps), but never past
 * `maxDelayMs` after it was first enqueued (nor before its scheduledAt). A job waiting out a
 * retry keeps its backoff.
 */
export function afterCoalesce<J extends JobState & { payload: string | null; payloadVersion: number; createdAt: Date; scheduledAt: Date | null }>(
  before: J,
  change: { payload: string | null; payloadVersion: number; count: number; debounceMs: number; maxDelayMs: number; now: Date },
): J {
  let nextRunAt = before.nextRunAt;
  if (before.attemptCount === 0 && change.debounceMs > 0) {
    const debounced = Math.min(debouncedStartMs(change.now.getTime(), change.debounceMs), before.createdAt.getTime() + change.maxDelayMs);
    nextRunAt = new Date(Math.max(debounced, before.scheduledAt?.getTime() ?? 0));
  }
  return {
    ...before,
    payload: change.payload ?? before.payload,
    payloadVersion: change.payload === null ? before.payloadVersion : change.payloadVersion,
    coalescedCount: before.coalescedCount + change.count,
    nextRunAt,
    updatedAt: change.now,
  };
}

/** The lastError of a superseded job (each dialect's SQL writes the same words around the id). */
export const supersededWords = ['Superseded by job ', ': it holds a newer change of this entity and runs instead of this job going back to PENDING.'] as const;

export function supersededError(followUpId: number): string {
  return `${supersededWords[0]}${followUpId}${supersededWords[1]}`;
}
