/**
 * Transitions on the wire between processes: compact JSON (a job as an array of values in a fixed
 * field order, times as epoch milliseconds), small enough for PostgreSQL's 8000-byte NOTIFY.
 */
import type { Job } from '../db/client.js';
import type { JobStatus, JobTransition, TransitionKind } from './events.js';

const jobFields = [
  'id', 'jobType', 'sourceSystem', 'targetSystem', 'entityType', 'entityId', 'status', 'priority', 'scheduledAt',
  'maxRetries', 'attemptCount', 'payloadVersion', 'correlationId', 'activeKey', 'leaseOwner', 'leaseAcquiredAt',
  'leaseExpiresAt', 'createdAt', 'updatedAt', 'nextRunAt', 'lastStartedAt', 'lastFinishedAt', 'lastError',
  'lastErrorType', 'lastDurationMs', 'canceledAt', 'deadAt', 'deadError', 'deadErrorType', 'isReplay', 'replayOfId',
  'replayOfAttemptId',
] as const satisfies readonly (keyof Job)[];

const dateFields = new Set<string>([
  'scheduledAt', 'leaseAcquiredAt', 'leaseExpiresAt', 'createdAt', 'updatedAt', 'nextRunAt', 'lastStartedAt',
  'lastFinishedAt', 'canceledAt', 'deadAt',
]);

type WireTransition = [from: JobStatus | null, to: JobStatus, kind: TransitionKind, attemptNumber: number, at: number, job: unknown[]];

export interface WireBatch {
  /** The publishing process; receivers drop their own batches. */
  origin: string;
  transitions: WireTransition[];
}

export function encodeTransition(transition: JobTransition): WireTransition {
  const job = jobFields.map((field) => {
    const value = transition.job[field];
    return value instanceof Date ? value.getTime() : value;
  });
  return [transition.from, transition.to, transition.kind, transition.attemptNumber, transition.at.getTime(), job];
}

export function decodeBatch(payload: string): { origin: string; transitions: JobTransition[] } {
  const batch = JSON.parse(payload) as WireBatch;
  return {
    origin: batch.origin,
    transitions: batch.transitions.map(([from, to, kind, attemptNumber, at, values]) => {
      const job = Object.fromEntries(
        jobFields.map((field, index) => {
          const value = values[index];
          return [field, dateFields.has(field) && value !== null ? new Date(value as number) : value];
        }),
      ) as unknown as Job;
      return { jobId: job.id, from, to, kind, attemptNumber, at: new Date(at), job };
    }),
  };
}

/**
 * Packs transitions into payloads of at most `maxBytes` (PostgreSQL NOTIFY allows 8000), in order.
 */
export function encodeBatches(origin: string, transitions: JobTransition[], maxBytes: number): string[] {
  const payloads: string[] = [];
  const head = `{"origin":${JSON.stringify(origin)},"transitions":[`;
  let parts: string[] = [];
  let size = head.length + 2;
  for (const transition of transitions) {
    const part = JSON.stringify(encodeTransition(transition));
    if (parts.length && size + part.length + 1 > maxBytes) {
      payloads.push(`${head}${parts.join(',')}]}`);
      parts = [];
      size = head.length + 2;
    }
    parts.push(part);
    size += Buffer.byteLength(part) + 1;
  }
  if (parts.length) payloads.push(`${head}${parts.join(',')}]}`);
  return payloads;
}
