/**
 * Backoff between retries: `min(maxSeconds, baseSeconds × 2^(n − 1))` for the n-th charged
 * attempt, optionally with full jitter (a uniform draw between 0 and that), so a burst of failures
 * does not come back in lockstep. An upstream's Retry-After may lengthen a delay, never shorten
 * it. Without jitter it is deterministic, which the SPEC's formula (base × 2^(n − 1)) needs. Capped
 * at 30 days in any case, so no answer (a Retry-After of a million years) and no attempt number
 * can produce a date the database cannot store.
 */
export const maxBackoffMs = 30 * 86_400_000;

export interface BackoffPolicy {
  baseSeconds: number;
  /** No delay grows past this; default (and at most) 30 days. */
  maxSeconds?: number;
  jitter?: 'none' | 'full';
}

export function backoffDelayMs(attemptCount: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const capMs = Math.min(maxBackoffMs, (policy.maxSeconds ?? Infinity) * 1000);
  const exponential = Math.min(capMs, policy.baseSeconds * 1000 * 2 ** Math.max(0, attemptCount - 1));
  const drawn = policy.jitter === 'full' ? random() * exponential : exponential;
  const delay = Math.max(drawn, retryAfterMs === undefined || Number.isNaN(retryAfterMs) ? 0 : retryAfterMs);
  return Math.round(Math.min(delay, maxBackoffMs));
}
