/**
 * A job row, provider-neutral: the one `Job` type the code base uses, and its columns in a fixed
 * order. That order is the compact form rows travel in: the hot-path claim returns each row as
 * an array of values in this order (a JSON array on PostgreSQL, a raw row on SQLite), and live
 * events cross processes in the same form. Times travel as epoch milliseconds.
 */
import type { Attempt, Job } from './types.js';

export const jobColumns = [
  'id',
  'jobType',
  'sourceSystem',
  'targetSystem',
  'entityType',
  'entityId',
  'status',
  'priority',
  'scheduledAt',
  'maxRetries',
  'attemptCount',
  'payloadVersion',
  'correlationId',
  'activeKey',
  'leaseOwner',
  'leaseAcquiredAt',
  'leaseExpiresAt',
  'createdAt',
  'updatedAt',
  'nextRunAt',
  'lastStartedAt',
  'lastFinishedAt',
  'lastError',
  'lastErrorType',
  'lastDurationMs',
  'canceledAt',
  'deadAt',
  'deadError',
  'deadErrorType',
  'isReplay',
  'replayOfId',
  'replayOfAttemptId',
  'unchargedAttempts',
  'payload',
  'followUpKey',
  'coalescedCount',
  'groupKey',
] as const satisfies readonly (keyof Job)[];

// Every column of the model is listed (a new column fails to compile until it is added above).
type Missing = Exclude<keyof Job, (typeof jobColumns)[number]>;
const everyColumn: Missing extends never ? true : Missing = true;
void everyColumn;

export const jobDateColumns = new Set<string>([
  'scheduledAt',
  'leaseAcquiredAt',
  'leaseExpiresAt',
  'createdAt',
  'updatedAt',
  'nextRunAt',
  'lastStartedAt',
  'lastFinishedAt',
  'canceledAt',
  'deadAt',
]);

const date = (value: unknown) => (value === null || value === undefined ? null : new Date(Number(value)));
const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/**
 * A row from its values in column order (times as epoch ms; numbers may arrive as bigint, booleans
 * as 0/1). One object literal, so every row has the same shape: rows built key by key were
 * dictionaries, and copying one cost 5 µs (measured) on the hot path.
 */
export function jobFromValues(values: readonly unknown[]): Job {
  return {
    id: Number(values[0]),
    jobType: values[1] as string,
    sourceSystem: values[2] as string,
    targetSystem: values[3] as string,
    entityType: values[4] as string,
    entityId: values[5] as string,
    status: values[6] as string,
    priority: Number(values[7]),
    scheduledAt: date(values[8]),
    maxRetries: Number(values[9]),
    attemptCount: Number(values[10]),
    payloadVersion: Number(values[11]),
    correlationId: values[12] as string,
    activeKey: (values[13] ?? null) as string | null,
    leaseOwner: (values[14] ?? null) as string | null,
    leaseAcquiredAt: date(values[15]),
    leaseExpiresAt: date(values[16]),
    createdAt: date(values[17])!,
    updatedAt: date(values[18])!,
    nextRunAt: date(values[19])!,
    lastStartedAt: date(values[20]),
    lastFinishedAt: date(values[21]),
    lastError: (values[22] ?? null) as string | null,
    lastErrorType: (values[23] ?? null) as string | null,
    lastDurationMs: num(values[24]),
    canceledAt: date(values[25]),
    deadAt: date(values[26]),
    deadError: (values[27] ?? null) as string | null,
    deadErrorType: (values[28] ?? null) as string | null,
    isReplay: Boolean(values[29]),
    replayOfId: num(values[30]),
    replayOfAttemptId: num(values[31]),
    unchargedAttempts: Number(values[32] ?? 0),
    payload: (values[33] ?? null) as string | null,
    followUpKey: (values[34] ?? null) as string | null,
    coalescedCount: Number(values[35] ?? 0),
    groupKey: (values[36] ?? null) as string | null,
  };
}

/** The values of a row in column order, times as epoch ms. */
export function jobToValues(job: Job): unknown[] {
  return jobColumns.map((column) => {
    const value = job[column];
    return value instanceof Date ? value.getTime() : value;
  });
}

export const attemptColumns = [
  'id',
  'jobId',
  'attemptNumber',
  'startedAt',
  'finishedAt',
  'success',
  'errorSummary',
  'errorType',
  'durationMs',
  'details',
] as const satisfies readonly (keyof Attempt)[];

type MissingAttempt = Exclude<keyof Attempt, (typeof attemptColumns)[number]>;
const everyAttemptColumn: MissingAttempt extends never ? true : MissingAttempt = true;
void everyAttemptColumn;

export const attemptDateColumns = new Set<string>(['startedAt', 'finishedAt']);

/** An attempt from its values in attemptColumns order (same conventions as jobFromValues). */
export function attemptFromValues(values: readonly unknown[]): Attempt {
  return {
    id: Number(values[0]),
    jobId: Number(values[1]),
    attemptNumber: Number(values[2]),
    startedAt: date(values[3])!,
    finishedAt: date(values[4]),
    success: Boolean(values[5]),
    errorSummary: (values[6] ?? null) as string | null,
    errorType: (values[7] ?? null) as string | null,
    durationMs: num(values[8]),
    details: (values[9] ?? null) as string | null,
  };
}
