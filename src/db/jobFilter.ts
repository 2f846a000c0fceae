/**
 * One filter for many jobs (the `jobs` connection, the bulk actions, the CLI), compiled to a
 * parameterized SQL condition for either database. Values are always parameters, never spliced
 * into the text; the two databases differ only in how a parameter and a time are written.
 */
import type { JobPhase, JobStatus } from '../domain/index.js';

export interface JobFilter {
  ids?: readonly number[];
  statuses?: readonly JobStatus[];
  phase?: JobPhase;
  jobTypes?: readonly string[];
  /** Exactly this entity id. */
  entityId?: string;
  /** Entity ids starting with this. */
  entityIdPrefix?: string;
  /** Exactly this group. */
  groupKey?: string;
  correlationId?: string;
  /** The latest attempt's error type. */
  errorType?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  /** The latest attempt ended in this range. */
  finishedAfter?: Date;
  finishedBefore?: Date;
  /** Changed (any transition) at or after this time. */
  updatedAfter?: Date;
  isReplay?: boolean;
  /** Jobs that absorbed at least this many enqueues besides their own (ifActive COALESCE). */
  minCoalescedCount?: number;
}

/** How a dialect writes parameters: `$1` or `?`, and times as it stores them. */
export interface SqlFlavor {
  placeholder(index: number): string;
  /** A time as a parameter value. */
  time(date: Date): unknown;
  /** A time parameter as an expression comparable with a time column. */
  timeParam(placeholder: string): string;
  /** The earliest time, as a literal comparable with a time column (an unfinished job's finish, sorting). */
  epoch: string;
  /** A boolean as a parameter value. */
  bool(value: boolean): unknown;
  /** `column` is one of the list bound at `placeholder`: the condition and the value to bind. */
  inList(column: string, placeholder: string, values: readonly (string | number)[]): { sql: string; value: unknown };
  /** `column` is byte-wise at or after `low` and (when given) before `high`, whatever the database's collation. */
  byteRange(column: string, low: string, high: string | undefined): string;
}

/**
 * The least string after every string that starts with `prefix`, comparing code points (which is
 * UTF-8 byte order): the prefix with its last code point one higher (surrogates skipped); none
 * when the prefix is all U+10FFFF.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

export interface SqlCondition {
  sql: string;
  params: unknown[];
}

/** The condition `filter` stands for at `now` ("TRUE" for an empty filter); `firstParam` numbers its parameters. */
export function jobFilterSql(filter: JobFilter, now: Date, flavor: SqlFlavor, firstParam = 1): SqlCondition {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return flavor.placeholder(firstParam + params.length - 1);
  };
  const time = (date: Date) => flavor.timeParam(param(flavor.time(date)));
  const inList = (column: string, values: readonly (string | number)[]) => {
    const { sql, value } = flavor.inList(column, flavor.placeholder(firstParam + params.length), values);
    params.push(value);
    return sql;
  };
  const and: string[] = [];
  if (filter.ids) and.push(filter.ids.length ? inList('"id"', filter.ids) : 'FALSE');
  if (filter.statuses?.length) and.push(inList('"status"', filter.statuses));
  if (filter.jobTypes?.length) and.push(inList('"jobType"', filter.jobTypes));
  if (filter.entityId !== undefined) and.push(`"entityId" = ${param(filter.entityId)}`);
  if (filter.entityIdPrefix) {
    // A byte-wise range, not LIKE (no wildcard escaping) and not the collation's order (an ICU
    // collation put C_10x between "c_10" and "c_10" + U+10FFFF): exact, and an index serves it.
    const high = prefixUpperBound(filter.entityIdPrefix);
    and.push(flavor.byteRange('"entityId"', param(filter.entityIdPrefix), high === undefined ? undefined : param(high)));
  }
  if (filter.groupKey !== undefined) and.push(`"groupKey" = ${param(filter.groupKey)}`);
  if (filter.correlationId !== undefined) and.push(`"correlationId" = ${param(filter.correlationId)}`);
  if (filter.errorType !== undefined) and.push(`"lastErrorType" = ${param(filter.errorType)}`);
  if (filter.createdAfter) and.push(`"createdAt" >= ${time(filter.createdAfter)}`);
  if (filter.createdBefore) and.push(`"createdAt" < ${time(filter.createdBefore)}`);
  if (filter.finishedAfter) and.push(`"lastFinishedAt" >= ${time(filter.finishedAfter)}`);
  if (filter.finishedBefore) and.push(`"lastFinishedAt" < ${time(filter.finishedBefore)}`);
  if (filter.updatedAfter) and.push(`"updatedAt" >= ${time(filter.updatedAfter)}`);
  if (filter.isReplay !== undefined) and.push(`"isReplay" = ${param(flavor.bool(filter.isReplay))}`);
  if (filter.minCoalescedCount !== undefined) and.push(`"coalescedCount" >= ${param(filter.minCoalescedCount)}`);
  if (filter.phase) {
    const at = () => time(now);
    // Jobs of a type an open circuit holds are in phase UPSTREAM_OPEN, whatever their due time.
    const held = `"jobType" IN (SELECT t."jobType" FROM "JobTypeState" AS t WHERE t."heldBy" IS NOT NULL)`;
    switch (filter.phase) {
      case 'QUEUED':
        and.push(`"status" = 'PENDING' AND "followUpKey" IS NULL AND "nextRunAt" <= ${at()} AND NOT ${held}`);
        break;
      case 'SCHEDULED':
        and.push(`"status" = 'PENDING' AND "followUpKey" IS NULL AND "nextRunAt" > ${at()} AND "attemptCount" = 0 AND NOT ${held}`);
        break;
      case 'RETRY_SCHEDULED':
        and.push(`"status" = 'PENDING' AND "followUpKey" IS NULL AND "nextRunAt" > ${at()} AND "attemptCount" > 0 AND NOT ${held}`);
        break;
      case 'UPSTREAM_OPEN':
        and.push(`"status" = 'PENDING' AND "followUpKey" IS NULL AND ${held}`);
        break;
      case 'BLOCKED':
        and.push(`"status" = 'PENDING' AND "followUpKey" IS NOT NULL`);
        break;
      case 'RUNNING':
        and.push(`"status" = 'RUNNING' AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" >= ${at()})`);
        break;
      case 'LEASE_EXPIRED':
        and.push(`"status" = 'RUNNING' AND "leaseExpiresAt" < ${at()}`);
        break;
      case 'FINISHED':
        and.push(`"status" IN ('SUCCEEDED', 'FAILED', 'DEAD', 'CANCELED')`);
        break;
    }
  }
  return { sql: and.length ? and.map((part) => `(${part})`).join(' AND ') : 'TRUE', params };
}

/** The orders a page of jobs is read in; `createdAt` is the id order (ids grow with creation). */
export type JobOrderField = 'createdAt' | 'updatedAt' | 'finishedAt' | 'duration';
export interface JobOrder {
  field: JobOrderField;
  direction: 'asc' | 'desc';
}
export const newestFirst: JobOrder = { field: 'createdAt', direction: 'desc' };

/** A job's sort key under `field`, as a cursor carries it: times in epoch ms, none (not finished) the lowest. */
export function orderKeyOf(job: { updatedAt: Date; lastFinishedAt: Date | null; lastDurationMs: number | null }, field: JobOrderField): number | undefined {
  if (field === 'updatedAt') return job.updatedAt.getTime();
  if (field === 'finishedAt') return job.lastFinishedAt?.getTime() ?? 0;
  if (field === 'duration') return job.lastDurationMs ?? -1;
  return undefined;
}

/**
 * ORDER BY, and the keyset condition for the rows after (`after`) or before a cursor row (its id
 * and key), in `order`, read backward (the reverse order) for `before`. Ties break by id, so every
 * row has one place. Finished time and duration have no index: with no filter to narrow them,
 * such a page reads every job (the newest-first order is the indexed one).
 */
export function jobOrderSql(
  order: JobOrder,
  cursor: { id: number; key?: number } | undefined,
  backward: boolean,
  flavor: SqlFlavor,
  firstParam: number,
): { cursorSql: string; orderBy: string; params: unknown[] } {
  const params: unknown[] = [];
  // Parameters in the order they appear in the text (SQLite's are positional).
  const param = (value: unknown) => {
    params.push(value);
    return flavor.placeholder(firstParam + params.length - 1);
  };
  const key = { createdAt: undefined, updatedAt: '"updatedAt"', finishedAt: `coalesce("lastFinishedAt", ${flavor.epoch})`, duration: 'coalesce("lastDurationMs", -1)' }[
    order.field
  ];
  const keyParam = (value: number) => (order.field === 'duration' ? param(value) : flavor.timeParam(param(flavor.time(new Date(value)))));
  // Reading backward (a page before a cursor, or `last`) walks the order in reverse.
  const descending = (order.direction === 'desc') !== backward;
  const direction = descending ? 'DESC' : 'ASC';
  const orderBy = key ? `${key} ${direction}, "id" ${direction}` : `"id" ${direction}`;
  if (!cursor) return { cursorSql: '', orderBy, params };
  const beyond = descending ? '<' : '>';
  if (!key || cursor.key === undefined) return { cursorSql: `AND "id" ${beyond} ${param(cursor.id)}`, orderBy, params };
  const past = keyParam(cursor.key);
  const same = keyParam(cursor.key);
  const id = param(cursor.id);
  return { cursorSql: `AND (${key} ${beyond} ${past} OR (${key} = ${same} AND "id" ${beyond} ${id}))`, orderBy, params };
}
