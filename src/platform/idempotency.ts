/**
 * Idempotency keys for upstream writes. A job's key for an operation is the same on every
 * attempt, retry and lease recovery of that job, so an upstream that honours keys (payment APIs
 * do) applies a write once even when its answer was lost and the job ran again. It changes when
 * the job took a later change (coalescing: a new payload is a new request) and for a replay (a
 * new job: an operator's deliberate re-send, which an upstream must not answer from its memory of
 * the failed run).
 */
import { createHash } from 'node:crypto';

export function idempotencyKey(job: { id: number; coalescedCount: number }, operation: string): string {
  const digest = createHash('sha256').update(`${job.id}\n${job.coalescedCount}\n${operation}`).digest('base64url').slice(0, 22);
  return `sb-${job.id}-${job.coalescedCount}-${digest}`;
}
