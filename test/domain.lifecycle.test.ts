/** The lifecycle decision after an attempt, edge by edge (SPEC → Lifecycle, Backoff). */
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, decideAfterAttempt as finishRowFor, maxBackoffMs, summarize } from '../src/domain/index.js';
import { parseRetryAfter } from '../src/integrations/errors.js';

const finishedAt = new Date('2026-01-01T00:00:00.000Z');
const timing = { finishedAt, durationMs: 12 };
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
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, 2))).toEqual([2000, 4000, 8000, 16000]);
    expect(backoffDelayMs(3, 0.05)).toBe(200);
  });
  it('a Retry-After lengthens the delay but never shortens it', () => {
    expect(backoffDelayMs(1, 2, 30_000)).toBe(30_000);
    expect(backoffDelayMs(3, 2, 1_000)).toBe(8_000);
  });
  it('is capped at 30 days, so no Retry-After or attempt number yields a date the database cannot store', () => {
    expect(backoffDelayMs(1, 2, 1e18)).toBe(maxBackoffMs);
    expect(backoffDelayMs(1, 2, Infinity)).toBe(maxBackoffMs);
    expect(backoffDelayMs(60, 2)).toBe(maxBackoffMs);
    expect(Number.isNaN(new Date(Date.now() + backoffDelayMs(1, 2, 1e18)).getTime())).toBe(false);
  });
});

describe('attempt outcome → job state', () => {
  it('success → SUCCEEDED', () => {
    expect(finishRowFor(attempt(1, 3), { success: true }, timing, 2)).toMatchObject({ status: 'SUCCEEDED', lastError: null });
  });
  it('retryable failure with budget left → PENDING at now + backoff', () => {
    const row = finishRowFor(attempt(2, 3), retryable, timing, 2);
    expect(row).toMatchObject({ status: 'PENDING', lastErrorType: 'UpstreamTimeout', lastError: '503' });
    expect(row.nextRunAt!.getTime() - finishedAt.getTime()).toBe(4000);
  });
  it('retryable failure on attempt maxRetries + 1 → DEAD', () => {
    expect(finishRowFor(attempt(3, 3), retryable, timing, 2).status).toBe('PENDING');
    expect(finishRowFor(attempt(4, 3), retryable, timing, 2)).toMatchObject({ status: 'DEAD', deadAt: finishedAt });
  });
  it('an upstream Retry-After lengthens the retry delay, never shortens it', () => {
    const later = finishRowFor(attempt(1, 3), { ...retryable, retryAfterMs: 30_000 }, timing, 2);
    expect(later.nextRunAt!.getTime() - finishedAt.getTime()).toBe(30_000);
    const sooner = finishRowFor(attempt(1, 3), { ...retryable, retryAfterMs: 10 }, timing, 2);
    expect(sooner.nextRunAt!.getTime() - finishedAt.getTime()).toBe(2_000);
  });
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(Date.UTC(2026, 0, 1, 0, 1)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(60_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
  it('non-retryable failure → FAILED at once', () => {
    expect(finishRowFor(attempt(1, 3), { ...retryable, retryable: false, errorType: 'NotFound' }, timing, 2)).toMatchObject({ status: 'FAILED', lastErrorType: 'NotFound' });
  });
  it('a lost attempt (lease, shutdown) is due again at once; shutdown does not spend the budget', () => {
    const lost = finishRowFor(attempt(1, 3), { ...retryable, immediate: true }, timing, 2);
    expect(lost.nextRunAt).toEqual(finishedAt);
    expect(finishRowFor(attempt(9, 3), { ...retryable, immediate: true, uncharged: true }, timing, 2)).toMatchObject({ status: 'PENDING', uncharged: true });
  });
  it('uncharged attempts do not count against the budget later either, nor grow the backoff', () => {
    // maxRetries 3: attempts 1 and 2 were uncharged (a shutdown, no descriptors), so attempt 5 is the 3rd charged one.
    expect(finishRowFor(attempt(5, 3, 2), retryable, timing, 2)).toMatchObject({ status: 'PENDING', uncharged: false });
    expect(finishRowFor(attempt(5, 3, 2), retryable, timing, 2).nextRunAt!.getTime() - finishedAt.getTime()).toBe(8_000);
    // The 4th charged attempt is the last (maxRetries 3: four attempts in all).
    expect(finishRowFor(attempt(6, 3, 2), retryable, timing, 2).status).toBe('DEAD');
    // Without them, the same attempt number is past the budget.
    expect(finishRowFor(attempt(5, 3), retryable, timing, 2).status).toBe('DEAD');
    const local = finishRowFor(attempt(4, 3), { ...retryable, errorType: 'LocalResourcesExhausted', uncharged: true }, timing, 2);
    expect(local).toMatchObject({ status: 'PENDING', uncharged: true });
    expect(local.nextRunAt!.getTime() - finishedAt.getTime()).toBe(2_000);
  });
  it('error summaries are capped at 1024 characters', () => {
    expect(summarize('x'.repeat(5000))).toHaveLength(1024);
    expect(finishRowFor(attempt(1, 0), { ...retryable, message: 'y'.repeat(2000) }, timing, 2).lastError).toHaveLength(1024);
  });
});
