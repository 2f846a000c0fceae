/**
 * Exponential backoff per SPEC: base * 2^(attemptCount - 1) seconds. An upstream Retry-After may
 * lengthen the delay, never shorten it. Capped at 30 days, so no answer (a Retry-After of a
 * million years) and no attempt number can produce a date the database cannot store.
 */
export const maxBackoffMs = 30 * 86_400_000;

export function backoffDelayMs(attemptCount: number, baseSeconds: number, retryAfterMs?: number): number {
  const exponential = baseSeconds * 1000 * 2 ** Math.max(0, attemptCount - 1);
  const delay = Math.max(exponential, retryAfterMs === undefined || Number.isNaN(retryAfterMs) ? 0 : retryAfterMs);
  return Math.round(Math.min(delay, maxBackoffMs));
}
