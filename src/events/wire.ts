/**
 * Transitions on the wire between processes: compact JSON, a job as its values in column order
 * (src/db/jobRow.ts), times as epoch milliseconds. Payloads are cut to the transport's budget in
 * bytes (PostgreSQL NOTIFY refuses 8,000 or more), counted in UTF-8: an error text in another
 * script takes up to three bytes a character.
 */
import { jobColumns, jobFromValues, jobToValues } from '../db/jobRow.js';
import type { Job } from '../db/types.js';
import type { JobStatus, JobTransition, TransitionKind } from './events.js';

type WireTransition = [from: JobStatus | null, to: JobStatus, kind: TransitionKind, attemptNumber: number, at: number, job: unknown[]];

export interface WireBatch {
  /** The publishing process; receivers drop their own batches. */
  origin: string;
  transitions: WireTransition[];
}

/** Where a job's payload sits among its values. */
const payloadIndex = jobColumns.indexOf('payload');
/** Sent in the payload's place: the job has one, not carried (a payload may be 64 KiB; a NOTIFY holds under 8,000 bytes). */
const payloadNotCarried = 0;

export function encodeTransition(transition: JobTransition): string {
  const values = jobToValues(transition.job);
  if (values[payloadIndex] !== null) values[payloadIndex] = payloadNotCarried;
  const wire: WireTransition = [transition.from, transition.to, transition.kind, transition.attemptNumber, transition.at.getTime(), values];
  return JSON.stringify(wire);
}

/** Whether a job came from another process without its payload (read it from the database when needed). */
export function payloadNotCarriedIn(job: Job): boolean {
  return job.payload === undefined;
}

/** The head every payload of `origin` starts with: a process drops its own batches without parsing them. */
export function batchHead(origin: string): string {
  return `{"origin":${JSON.stringify(origin)},"transitions":[`;
}

export function decodeBatch(payload: string): { origin: string; transitions: JobTransition[] } {
  const batch = JSON.parse(payload) as WireBatch;
  return {
    origin: batch.origin,
    transitions: batch.transitions.map(([from, to, kind, attemptNumber, at, values]) => {
      const job = jobFromValues(values);
      if (values[payloadIndex] === payloadNotCarried) (job as { payload: string | null | undefined }).payload = undefined;
      return { jobId: job.id, from, to, kind, attemptNumber, at: new Date(at), job };
    }),
  };
}

/** The message a process with live subscribers sends, so the others publish their transitions. */
export function interestMessage(origin: string): string {
  return JSON.stringify({ interest: origin });
}

/** The origin of an interest message, or undefined for anything else. */
export function parseInterest(payload: string): string | undefined {
  if (!payload.startsWith('{"interest":')) return undefined;
  return (JSON.parse(payload) as { interest: string }).interest;
}

/** Thrown for a single transition larger than the budget on its own (it cannot be sent whole). */
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}

/**
 * Packs transitions into payloads of at most `maxBytes` UTF-8 bytes, in order. A transition too
 * large on its own is sent with its error texts cut to fit (they are the only unbounded parts).
 */
export function encodeBatches(origin: string, transitions: readonly JobTransition[], maxBytes: number): string[] {
  const payloads: string[] = [];
  const head = batchHead(origin);
  const frame = Buffer.byteLength(head) + 2;
  let parts: string[] = [];
  let size = frame;
  for (const transition of transitions) {
    let part = encodeTransition(transition);
    let bytes = Buffer.byteLength(part);
    if (frame + bytes > maxBytes) {
      part = encodeTransition(shrunk(transition, maxBytes - frame));
      bytes = Buffer.byteLength(part);
      if (frame + bytes > maxBytes) throw new PayloadTooLargeError(`A transition of job ${transition.jobId} does not fit in ${maxBytes} bytes.`);
    }
    if (parts.length && size + bytes + 1 > maxBytes) {
      payloads.push(`${head}${parts.join(',')}]}`);
      parts = [];
      size = frame;
    }
    parts.push(part);
    size += bytes + (parts.length > 1 ? 1 : 0);
  }
  if (parts.length) payloads.push(`${head}${parts.join(',')}]}`);
  return payloads;
}

/** The first `length` UTF-16 units of `text`, one fewer where that would split a surrogate pair (an emoji). */
function cutAt(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

/** The transition with its error texts cut so the whole fits `budget` bytes. */
function shrunk(transition: JobTransition, budget: number): JobTransition {
  const job = { ...transition.job };
  const texts = ['lastError', 'deadError'] as const;
  const others = Buffer.byteLength(encodeTransition({ ...transition, job: { ...job, lastError: null, deadError: null } }));
  // Share what is left between the texts; a character is at most 4 bytes, and JSON escaping at most doubles it.
  const each = Math.max(0, Math.floor((budget - others) / texts.length / 8));
  for (const key of texts) {
    const text = job[key];
    if (text && text.length > each) job[key] = `${cutAt(text, Math.max(0, each - 1))}…`;
  }
  return { ...transition, job };
}
