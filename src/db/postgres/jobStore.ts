/**
 * The JobStore on PostgreSQL: the work pool's named statements (statements.ts). Claims lock rows
 * with `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint batches without waiting on
 * each other (River's riverpgxv5 and graphile-worker do the same).
 */
import type pg from 'pg';
import type { AuditStamp, ClaimParams, ExpiredLease, FinishParams, JobStore, NewJobRow, ReleaseParams, RenewParams, StartRow, WrittenJob } from '../ports.js';
import { jobFromValues } from '../jobRow.js';
import { iso, pgArray } from './arrays.js';
import { isTransient } from './connections.js';
import { workStatements } from './statements.js';

type StatementName = keyof typeof workStatements;

/** Runs a named statement on the work pool, observed. */
export type WorkQuery = <R extends pg.QueryResultRow>(name: StatementName, values?: unknown[]) => Promise<pg.QueryResult<R>>;

export function workQuery(pool: pg.Pool, observe: (name: string) => void): WorkQuery {
  return <R extends pg.QueryResultRow>(name: StatementName, values: unknown[] = []) => {
    observe(name);
    return pool.query<R>({ name, text: workStatements[name], values });
  };
}

type WrittenRow = { id: number; status: string; canceledAt: string | null };

/** The written rows, as reported by finish and release. */
function written(rows: WrittenRow[]): WrittenJob[] {
  return rows.map((row) => ({ id: row.id, status: row.status, canceledAt: row.canceledAt === null ? null : new Date(Number(row.canceledAt)) }));
}

export class PostgresJobStore implements JobStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly query: WorkQuery,
    private readonly observe: (name: string) => void,
  ) {}

  isTransient(error: unknown): boolean {
    return isTransient(error);
  }

  async insert(rows: NewJobRow[], audit?: AuditStamp) {
    const texts = (key: 'jobType' | 'sourceSystem' | 'targetSystem' | 'entityType' | 'entityId' | 'correlationId' | 'activeKey') => pgArray.texts(rows.map((row) => row[key]));
    const numbers = (key: 'priority' | 'maxRetries' | 'payloadVersion' | 'replayOfId' | 'replayOfAttemptId') => pgArray.numbers(rows.map((row) => row[key]));
    const times = (key: 'scheduledAt' | 'createdAt' | 'nextRunAt') => pgArray.times(rows.map((row) => row[key]));
    const values = [
      texts('jobType'),
      texts('sourceSystem'),
      texts('targetSystem'),
      texts('entityType'),
      texts('entityId'),
      numbers('priority'),
      times('scheduledAt'),
      numbers('maxRetries'),
      numbers('payloadVersion'),
      texts('correlationId'),
      texts('activeKey'),
      times('createdAt'),
      times('nextRunAt'),
      pgArray.booleans(rows.map((row) => row.isReplay)),
      numbers('replayOfId'),
      numbers('replayOfAttemptId'),
      iso(rows[0]?.createdAt ?? null),
      pgArray.texts(rows.map((row) => row.payload)),
      ...(audit ? [iso(audit.at), audit.actor, audit.role, audit.action, audit.requestId] : []),
    ];
    const result = await this.query<{ id: number; activeKey: string }>(audit ? 'insertAudited' : 'insert', values);
    return result.rows.map((row) => ({ id: row.id, activeKey: row.activeKey }));
  }

  async activeHolders(keys: readonly string[]) {
    if (!keys.length) return [];
    return (await this.query<{ id: number; activeKey: string }>('activeHolders', [pgArray.texts(keys)])).rows;
  }

  async claim({ workerId, now, leaseMs, limit }: ClaimParams) {
    const result = await this.query<{ r: unknown[] }>('claim', [iso(now), limit, workerId, leaseMs]);
    return result.rows.map((row) => jobFromValues(row.r));
  }

  async claimOfType({ workerId, now, leaseMs, limit, jobType }: ClaimParams & { jobType: string }) {
    this.observe('claimOfType');
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const lock = await client.query<{ concurrency: number }>({ name: 'typeLock', text: workStatements.typeLock, values: [jobType] });
      const concurrency = lock.rows[0]?.concurrency;
      const claimed =
        concurrency === undefined
          ? []
          : (
              await client.query<{ r: unknown[] }>({
                name: 'claimOfType',
                text: workStatements.claimOfType,
                values: [iso(now), limit, workerId, leaseMs, jobType, concurrency],
              })
            ).rows;
      await client.query('COMMIT');
      return claimed.map((row) => jobFromValues(row.r));
    } catch (error) {
      failure = error as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(failure); // a failed connection is discarded, not pooled
    }
  }

  async start({ leaseOwner, rows }: { leaseOwner: string; rows: StartRow[] }) {
    if (!rows.length) return;
    await this.query('start', [
      leaseOwner,
      pgArray.numbers(rows.map((row) => row.id)),
      pgArray.times(rows.map((row) => row.claimedAt)),
      pgArray.times(rows.map((row) => row.startedAt)),
    ]);
  }

  async finish({ leaseOwner, rows, expiredBy, now }: FinishParams) {
    if (!rows.length) return [];
    const result = await this.query<WrittenRow>('finish', [
      leaseOwner,
      pgArray.numbers(rows.map((row) => row.id)),
      pgArray.times(rows.map((row) => row.claimedAt)),
      pgArray.numbers(rows.map((row) => row.attemptNumber)),
      pgArray.texts(rows.map((row) => row.status)),
      pgArray.times(rows.map((row) => row.startedAt)),
      pgArray.times(rows.map((row) => row.finishedAt)),
      pgArray.booleans(rows.map((row) => row.success)),
      pgArray.numbers(rows.map((row) => row.durationMs)),
      pgArray.times(rows.map((row) => row.nextRunAt)),
      pgArray.texts(rows.map((row) => row.lastError)),
      pgArray.texts(rows.map((row) => row.lastErrorType)),
      pgArray.times(rows.map((row) => row.deadAt)),
      iso(expiredBy ?? null),
      iso(now),
      pgArray.texts(rows.map((row) => row.details)),
      pgArray.booleans(rows.map((row) => row.uncharged)),
    ]);
    return written(result.rows);
  }

  async release({ leaseOwner, jobs, now, expiredBy }: ReleaseParams) {
    if (!jobs.length) return [];
    const result = await this.query<WrittenRow>('release', [
      leaseOwner,
      pgArray.numbers(jobs.map((job) => job.id)),
      pgArray.times(jobs.map((job) => job.claimedAt)),
      iso(now),
      iso(expiredBy ?? null),
    ]);
    return written(result.rows);
  }

  async renew({ workerId, jobs, leaseExpiresAt }: RenewParams) {
    if (!jobs.length) return [];
    const result = await this.query<{ id: number }>('renew', [
      workerId,
      pgArray.numbers(jobs.map((job) => job.id)),
      pgArray.times(jobs.map((job) => job.claimedAt)),
      iso(leaseExpiresAt),
    ]);
    return result.rows.map((row) => row.id);
  }

  async expired({ now, limit }: { now: Date; limit: number }): Promise<ExpiredLease[]> {
    const result = await this.query<{
      id: number;
      leaseOwner: string;
      claimedAt: string;
      leaseExpiresAt: string;
      attemptCount: number;
      unchargedAttempts: number;
      maxRetries: number;
      startedAt: string | null;
    }>('expired', [iso(now), limit]);
    return result.rows.map((row) => ({
      id: row.id,
      leaseOwner: row.leaseOwner,
      claimedAt: new Date(Number(row.claimedAt)),
      leaseExpiresAt: new Date(Number(row.leaseExpiresAt)),
      attemptCount: row.attemptCount,
      unchargedAttempts: row.unchargedAttempts,
      maxRetries: row.maxRetries,
      startedAt: row.startedAt === null ? null : new Date(Number(row.startedAt)),
    }));
  }

  async leasedTo(leaseOwner: string) {
    return (await this.query<{ id: number; claimedAt: string }>('leasedTo', [leaseOwner])).rows.map((row) => ({ id: row.id, claimedAt: new Date(Number(row.claimedAt)) }));
  }

  async statuses(ids: readonly number[]) {
    if (!ids.length) return [];
    return (await this.query<{ id: number; status: string }>('statuses', [pgArray.numbers(ids)])).rows;
  }

  async controls() {
    return (await this.query<{ jobType: string; paused: boolean; concurrency: number | null }>('controls')).rows;
  }
}
