/**
 * The cross-process wire: payloads are cut by UTF-8 bytes, not characters (PostgreSQL refuses a
 * NOTIFY payload of 8,000 bytes or more), so error texts in other scripts never push a batch over
 * the transport's budget; what is sent decodes back to the same transitions.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../src/db/types.js';
import type { JobTransition } from '../src/events/events.js';
import { decodeBatch, encodeBatches, PayloadTooLargeError } from '../src/events/wire.js';

const at = new Date('2026-11-29T05:00:00.000Z');

function transition(id: number, lastError: string | null): JobTransition {
  const job: Job = {
    id,
    jobType: 'customer_sync',
    sourceSystem: 'crm',
    targetSystem: 'billing',
    entityType: 'customer',
    entityId: `c_${id}`,
    status: 'FAILED',
    priority: 1,
    scheduledAt: null,
    maxRetries: 3,
    attemptCount: 1,
    payloadVersion: 1,
    correlationId: `corr-${id}`,
    activeKey: null,
    leaseOwner: null,
    leaseAcquiredAt: null,
    leaseExpiresAt: null,
    createdAt: at,
    updatedAt: at,
    nextRunAt: at,
    lastStartedAt: at,
    lastFinishedAt: at,
    lastError,
    lastErrorType: lastError ? 'ValidationError' : null,
    lastDurationMs: 12,
    canceledAt: null,
    deadAt: null,
    deadError: lastError,
    deadErrorType: null,
    isReplay: false,
    replayOfId: null,
    replayOfAttemptId: null,
    unchargedAttempts: 0,
    payload: null,
    followUpKey: null,
    coalescedCount: 0,
    groupKey: null,
  };
  return { jobId: id, from: 'RUNNING', to: 'FAILED', kind: 'failed', attemptNumber: 1, at, job };
}

const budget = 7_999;

describe('live wire', () => {
  it('keeps every payload within the byte budget when error texts are multi-byte', () => {
    // 3-byte characters (CJK) and 4-byte ones (emoji): as characters these fit many times over.
    const texts = ['請求書の同期に失敗しました。'.repeat(300), '🙂'.repeat(3_000), 'é'.repeat(5_000), null, '短い'];
    const transitions = Array.from({ length: 40 }, (_, i) => transition(i + 1, texts[i % texts.length]!));
    const payloads = encodeBatches('process-a', transitions, budget);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload, 'utf8')).toBeLessThanOrEqual(budget);
    const decoded = payloads.flatMap((payload) => decodeBatch(payload).transitions);
    expect(decoded.map((item) => item.jobId)).toEqual(transitions.map((item) => item.jobId));
    // Texts that fit are carried whole; a text too long for one payload is cut, never split mid-character.
    expect(decoded[3]!.job.lastError).toBeNull();
    expect(decoded[4]!.job.lastError).toBe('短い');
    for (const item of decoded) {
      const text = item.job.lastError ?? '';
      expect(text.includes('\uFFFD')).toBe(false);
      expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
    }
    for (const index of [0, 1, 2]) expect(decoded[index]!.job.lastError!.endsWith('…')).toBe(true);
  });

  it('refuses a transition that cannot fit even without its texts', () => {
    expect(() => encodeBatches('process-a', [transition(1, 'x')], 100)).toThrow(PayloadTooLargeError);
  });
});
