/** The lifecycle decision after an attempt, edge by edge (SPEC → Lifecycle, Backoff). */
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, decideAfterAttempt as finishRowFor, maxBackoffMs, summarize } from '../src/domain/index.js';
import { parseRetryAfter } from '../src/integrations/errors.js';

const finishedAt = new Date('2026-01-01T00:00:00.000Z');
const timing = { finishedAt, durationMs: 12 };
const policy = { baseSeconds: 2 };
const retryable = { success: false as const, errorType: 'UpstreamTimeout', message: '503', retryable: true };
const attempt = (attemptNumber: number, maxRetries: number, unchargedAttempts = 0) => ({
  id: 1,
  claimedAt: finishedAt,
  startedAt: finishedAt,
  attemptNumber,
  maxRetries,
  unchargedAttempts,
});

describe('backoff', () => {
  it('doubles from the base: base * 2^(attemptCount - 1)', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, { baseSeconds: 2 }))).toEqual([2000, 4000, 8000, 16000]);
    expect(backoffDelayMs(3, { baseSeconds: 0.05 })).toBe(200);
  });
  it('a Retry-After lengthens the delay but never shortens it', () => {
    expect(backoffDelayMs(1, { baseSeconds: 2 }, 30_000)).toBe(30_000);
    expect(backoffDelayMs(3, { baseSeconds: 2 }, 1_000)).toBe(8_000);
  });
  it('is capped at 30 days, so no Retry-After or attempt number yields a date the database cannot store', () => {
    expect(backoffDelayMs(1, { baseSeconds: 2 }, 1e18)).toBe(maxBackoffMs);
    expect(backoffDelayMs(1, { baseSeconds: 2 }, Infinity)).toBe(maxBackoffMs);
    expect(backoffDelayMs(60, { baseSeconds: 2 })).toBe(maxBackoffMs);
    expect(Number.isNaN(new Date(Date.now() + backoffDelayMs(1, { baseSeconds: 2 }, 1e18)).getTime())).toBe(false);
  });
});

describe("backoff policies (a job type's retry.backoff)", () => {
  it('stops growing at maxSeconds: min(maxSeconds, base × 2^(n−1))', () => {
    const capped = { baseSeconds: 2, maxSeconds: 600 };
    expect([1, 5, 9, 10, 25].map((n) => backoffDelayMs(n, capped))).toEqual([2000, 32_000, 512_000, 600_000, 600_000]);
  });
  it('without jitter, draws nothing: the same delay every time', () => {
    const draws: number[] = [];
    const random = () => (draws.push(1), 0.5);
    expect(backoffDelayMs(3, { baseSeconds: 2, jitter: 'none' }, undefined, random)).toBe(8000);
    expect(draws).toHaveLength(0);
  });
  it('full jitter draws each delay uniformly from [0, cap]: over many draws, all within and spread across it', () => {
    const full = { baseSeconds: 2, maxSeconds: 600, jitter: 'full' as const };
    for (const n of [1, 4, 12]) {
      const cap = Math.min(600_000, 2000 * 2 ** (n - 1));
      const delays = Array.from({ length: 2000 }, () => backoffDelayMs(n, full));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThanOrEqual(cap);
      // Spread over the range, not clustered at its top (the quartiles of a uniform draw).
      const sorted = [...delays].sort((a, b) => a - b);
      expect(sorted[500]! / cap).toBeGreaterThan(0.15);
      expect(sorted[500]! / cap).toBeLessThan(0.35);
      expect(sorted[1500]! / cap).toBeGreaterThan(0.65);
      expect(sorted[1500]! / cap).toBeLessThan(0.85);
    }
    // The bounds themselves, with the draw pinned at its ends.
    expect(backoffDelayMs(4, full, undefined, () => 0)).toBe(0);
    expect(backoffDelayMs(4, full, undefined, () => 0.999999)).toBe(16_000);
  });
  it('a Retry-After still lengthens a jittered delay, never shortens it', () => {
    expect(backoffDelayMs(1, { baseSeconds: 2, jitter: 'full' }, 30_000, () => 0.1)).toBe(30_000);
  });
});

describe('attempt outcome → job state', () => {
  it('success → SUCCEEDED', () => {
    expect(finishRowFor(attempt(1, 3), { success: true }, timing, policy)).toMatchObject({ status: 'SUCCEEDED', lastError: null });
  });
  it('retryable failure with budget left → PENDING at now + backoff', () => {
    const row = finishRowFor(attempt(2, 3), retryable, timing, policy);
    expect(row).toMatchObject({ status: 'PENDING', lastErrorType: 'UpstreamTimeout', lastError: '503' });
    expect(row.nextRunAt!.getTime() - finishedAt.getTime()).toBe(4000);
  });
  it('retryable failure on attempt maxRetries + 1 → DEAD', () => {
    expect(finishRowFor(attempt(3, 3), retryable, timing, policy).status).toBe('PENDING');
    expect(finishRowFor(attempt(4, 3), retryable, timing, policy)).toMatchObject({ status: 'DEAD', deadAt: finishedAt });
  });
  it('an upstream Retry-After lengthens the retry delay, never shortens it', () => {
    const later = finishRowFor(attempt(1, 3), { ...retryable, retryAfterMs: 30_000 }, timing, policy);
    expect(later.nextRunAt!.getTime() - finishedAt.getTime()).toBe(30_000);
    const sooner = finishRowFor(attempt(1, 3), { ...retryable, retryAfterMs: 10 }, timing, policy);
    expect(sooner.nextRunAt!.getTime() - finishedAt.getTime()).toBe(2_000);
  });
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(Date.UTC(2026, 0, 1, 0, 1)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(60_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
  it('non-retryable failure → FAILED at once', () => {
    expect(finishRowFor(attempt(1, 3), { ...retryable, retryable: false, errorType: 'NotFound' }, timing, policy)).toMatchObject({ status: 'FAILED', lastErrorType: 'NotFound' });
  });
  it('a lost attempt (lease, shutdown) is due again at once; shutdown does not spend the budget', () => {
    const lost = finishRowFor(attempt(1, 3), { ...retryable, immediate: true }, timing, policy);
    expect(lost.nextRunAt).toEqual(finishedAt);
    expect(finishRowFor(attempt(9, 3), { ...retryable, immediate: true, uncharged: true }, timing, policy)).toMatchObject({ status: 'PENDING', uncharged: true });
  });
  it('uncharged attempts do not count against the budget later either, nor grow the backoff', () => {
    // maxRetries 3: attempts 1 and 2 were uncharged (a shutdown, no descriptors), so attempt 5 is the 3rd charged one.
    expect(finishRowFor(attempt(5, 3, 2), retryable, timing, policy)).toMatchObject({ status: 'PENDING', uncharged: false });
    expect(finishRowFor(attempt(5, 3, 2), retryable, timing, policy).nextRunAt!.getTime() - finishedAt.getTime()).toBe(8_000);
    // The 4th charged attempt is the last (maxRetries 3: four attempts in all).
    expect(finishRowFor(attempt(6, 3, 2), retryable, timing, policy).status).toBe('DEAD');
    // Without them, the same attempt number is past the budget.
    expect(finishRowFor(attempt(5, 3), retryable, timing, policy).status).toBe('DEAD');
    const local = finishRowFor(attempt(4, 3), { ...retryable, errorType: 'LocalResourcesExhausted', uncharged: true }, timing, policy);
    expect(local).toMatchObject({ status: 'PENDING', uncharged: true });
    expect(local.nextRunAt!.getTime() - finishedAt.getTime()).toBe(2_000);
  });
  it('error summaries are capped at 1024 characters', () => {
    expect(summarize('x'.repeat(5000))).toHaveLength(1024);
    expect(finishRowFor(attempt(1, 0), { ...retryable, message: 'y'.repeat(2000) }, timing, policy).lastError).toHaveLength(1024);
  });
});
