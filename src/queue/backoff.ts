/**
 * Exponential backoff per SPEC: base * 2^(attemptCount - 1) seconds. An upstream Retry-After may
 * lengthen the delay, never shorten it.
 */
export function backoffDelayMs(attemptCount: number, baseSeconds: number, retryAfterMs?: number): number {
  const exponential = baseSeconds * 1000 * 2 ** Math.max(0, attemptCount - 1);
  return Math.round(Math.max(exponential, retryAfterMs ?? 0));
}
