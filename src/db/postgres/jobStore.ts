/**
 * The JobStore on PostgreSQL: the work pool's named statements (statements.ts). Claims lock rows
 * with `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint batches without waiting on
 * each other (River's riverpgxv5 and graphile-worker do the same).
 */
import type pg from 'pg';
import type {
  AuditStamp,
  ClaimParams,
  CoalesceResult,
  CoalesceRow,
  DeliveryWrite,
  ExpiredLease,
  FinishParams,
  JobStore,
  NewDeliveryRow,
  NewJobRow,
  ReleaseParams,
  RenewParams,
  StartRow,
  WrittenJob,
} from '../ports.js';
import { insertedJob } from '../../domain/index.js';
import { claimGroupedInTurn } from './fairClaim.js';
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

type WrittenRow = { id: number; status: string; canceledAt: string | null; followUpId: number | null; superseded: boolean | null };

/** The written rows, as reported by finish and release. */
function written(rows: WrittenRow[]): WrittenJob[] {
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    canceledAt: row.canceledAt === null ? null : new Date(Number(row.canceledAt)),
    supersededBy: row.superseded ? row.followUpId : null,
    // The job left its pair (not back to PENDING): its follow-up may run now.
    freedFollowUp: row.status === 'PENDING' ? null : row.followUpId,
  }));
}

/** The insert statement's values for these rows ($1-$20, then the audit's $21-$25). */
function insertValues(rows: NewJobRow[], audit?: AuditStamp): unknown[] {
  const texts = (key: 'jobType' | 'sourceSystem' | 'targetSystem' | 'entityType' | 'entityId' | 'correlationId' | 'activeKey' | 'followUpKey' | 'groupKey') =>
    pgArray.texts(rows.map((row) => row[key]));
  const numbers = (key: 'priority' | 'maxRetries' | 'payloadVersion' | 'replayOfId' | 'replayOfAttemptId') => pgArray.numbers(rows.map((row) => row[key]));
  const times = (key: 'scheduledAt' | 'createdAt' | 'nextRunAt') => pgArray.times(rows.map((row) => row[key]));
  return [
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
    texts('followUpKey'),
    pgArray.numbers(rows.map((row) => row.coalescedCount ?? 0)),
    texts('groupKey'),
    ...(audit ? [iso(audit.at), audit.actor, audit.role, audit.action, audit.requestId] : []),
  ];
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
    const result = await this.query<{ id: number; activeKey: string }>(audit ? 'insertAudited' : 'insert', insertValues(rows, audit));
    return result.rows.map((row) => ({ id: row.id, activeKey: row.activeKey }));
  }

  async coalesce(changes: CoalesceRow[], audit?: AuditStamp): Promise<CoalesceResult[]> {
    this.observe('coalesce');
    return this.inTransaction((client) => coalesceInTransaction(client, changes, audit));
  }

  async receiveDelivery(delivery: NewDeliveryRow, writes: { inserts: NewJobRow[]; coalesces: CoalesceRow[] }, audit: AuditStamp): Promise<DeliveryWrite> {
    this.observe('receiveDelivery');
    return this.inTransaction(async (client) => {
      const run = <R extends pg.QueryResultRow>(name: StatementName, values: unknown[]) => client.query<R>({ name, text: workStatements[name], values });
      const { source, deliveryId } = delivery;
      const stored = await run<{ id: number }>('deliveryInsert', [source, deliveryId, delivery.eventType, iso(delivery.receivedAt), delivery.requestId, delivery.bodyBytes]);
      const id = stored.rows[0]?.id;
      if (id === undefined) return { duplicate: true, id: (await run<{ id: number }>('deliveryBySourceId', [source, deliveryId])).rows[0]!.id };
      const inserted = writes.inserts.length ? await insertOrNameHolders(run, writes.inserts, audit) : [];
      const coalesced = writes.coalesces.length ? await coalesceInTransaction(client, writes.coalesces, audit) : [];
      const links = [
        ...inserted.map((result) => ('id' in result ? [result.id, 'CREATED'] : [result.holderId, 'ACTIVE'])),
        ...coalesced.map((result) => [result.job.id, result.coalesced ? 'COALESCED' : 'CREATED']),
      ] as [number, string][];
      if (links.length) await run('deliveryJobs', [id, pgArray.numbers(links.map((link) => link[0])), pgArray.texts(links.map((link) => link[1]))]);
      return { duplicate: false, id, inserted, coalesced };
    });
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
    return this.inTransaction(async (client) => {
      const lock = await client.query<{ concurrency: number }>({ name: 'typeLock', text: workStatements.typeLock, values: [jobType] });
      const concurrency = lock.rows[0]?.concurrency;
      if (concurrency === undefined) return [];
      const claimed = await client.query<{ r: unknown[] }>({
        name: 'claimOfType',
        text: workStatements.claimOfType,
        values: [iso(now), limit, workerId, leaseMs, jobType, concurrency],
      });
      return claimed.rows.map((row) => jobFromValues(row.r));
    });
  }

  async claimGrouped(params: ClaimParams & { jobType: string; after: string }) {
    this.observe('claimGrouped');
    return this.inTransaction((client) => claimGroupedInTurn(client, params));
  }

  async markGrouped(jobTypes: readonly string[]) {
    if (!jobTypes.length) return;
    await this.query('markGrouped', [pgArray.texts(jobTypes)]);
  }

  async claimProbe({ workerId, now, leaseMs, jobTypes }: Omit<ClaimParams, 'limit'> & { jobTypes: readonly string[] }) {
    const result = await this.query<{ r: unknown[] }>('claimProbe', [iso(now), 1, workerId, leaseMs, pgArray.texts(jobTypes)]);
    return result.rows.map((row) => jobFromValues(row.r));
  }

  /** Runs `work` in a transaction on one work-pool connection; a connection that failed is discarded, not pooled. */
  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(failure);
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

  async pausedGroups() {
    return (await this.query<{ jobType: string; groupKey: string }>('pausedGroups')).rows;
  }

  async controls() {
    return (await this.query<{ jobType: string; paused: boolean; concurrency: number | null; heldBy: string | null; grouped: boolean }>('controls')).rows;
  }
}

type TransactionQuery = <R extends pg.QueryResultRow>(name: StatementName, values: unknown[]) => Promise<pg.QueryResult<R>>;

/** Plain inserts in the caller's transaction: each row's new id, or the id of the active job holding its pair. */
async function insertOrNameHolders(run: TransactionQuery, rows: NewJobRow[], audit: AuditStamp): Promise<({ id: number } | { holderId: number })[]> {
  const results: ({ id: number } | { holderId: number } | undefined)[] = new Array(rows.length);
  let todo = rows.map((_, index) => index);
  for (let round = 0; round < maxCoalesceRounds && todo.length; round++) {
    const inserted = await run<{ id: number; activeKey: string }>(
      'insertAudited',
      insertValues(
        todo.map((index) => rows[index]!),
        audit,
      ),
    );
    const idByKey = new Map(inserted.rows.map((row) => [row.activeKey, row.id]));
    const conflicted = todo.filter((index) => {
      const id = idByKey.get(rows[index]!.activeKey!);
      if (id === undefined) return true;
      idByKey.delete(rows[index]!.activeKey!); // a later row of the same pair conflicts with this one
      results[index] = { id };
      return false;
    });
    todo = [];
    if (!conflicted.length) break;
    // In this transaction: holders inserted by it are seen; the owner is listed last, so it wins.
    const holders = await run<{ id: number; activeKey: string }>('activeHolders', [pgArray.texts([...new Set(conflicted.map((index) => rows[index]!.activeKey!))])]);
    const holderByKey = new Map(holders.rows.map((holder) => [holder.activeKey, holder.id]));
    for (const index of conflicted) {
      const holderId = holderByKey.get(rows[index]!.activeKey!);
      if (holderId === undefined)
        todo.push(index); // it finished in between: insert again
      else results[index] = { holderId };
    }
  }
  if (todo.length) throw new Error(`could not insert ${todo.length} job(s) after ${maxCoalesceRounds} rounds: their pairs kept changing hands`);
  return results as ({ id: number } | { holderId: number })[];
}

/** Rounds of a coalescing batch: a pair taken meanwhile by a plain enqueue (which takes no turn) is absorbed next round. */
const maxCoalesceRounds = 3;

/**
 * Coalescing in the caller's transaction: each pair's turn (an advisory lock until commit, so
 * coalescing enqueues of one pair in any number of processes follow each other), then the
 * pair's PENDING job absorbs the change, or the new job is inserted: a follow-up behind an owner,
 * or the owner.
 */
async function coalesceInTransaction(client: pg.PoolClient, changes: CoalesceRow[], audit?: AuditStamp): Promise<CoalesceResult[]> {
  const run = <R extends pg.QueryResultRow>(name: keyof typeof workStatements, values: unknown[]) => client.query<R>({ name, text: workStatements[name], values });
  const now = changes[0]!.row.createdAt;
  await run('pairLocks', [pgArray.texts(changes.map((change) => change.key))]);
  const results: (CoalesceResult | undefined)[] = new Array(changes.length);
  let todo = changes.map((_, index) => index);
  for (let round = 0; round < maxCoalesceRounds && todo.length; round++) {
    const pick = (read: (change: CoalesceRow) => unknown) => todo.map((index) => read(changes[index]!));
    const absorbed = await run<{ r: unknown[]; key: string }>('coalesceInto', [
      pgArray.texts(pick((change) => change.key) as string[]),
      pgArray.texts(pick((change) => change.row.payload) as (string | null)[]),
      pgArray.numbers(pick((change) => change.row.payloadVersion) as number[]),
      pgArray.numbers(pick((change) => change.count) as number[]),
      pgArray.numbers(pick((change) => change.debounceMs) as number[]),
      pgArray.numbers(pick((change) => change.maxDelayMs) as number[]),
      iso(now),
    ]);
    const byKey = new Map(absorbed.rows.map((row) => [row.key, jobFromValues(row.r)]));
    const rest = todo.filter((index) => {
      const job = byKey.get(changes[index]!.key);
      if (job) results[index] = { job, coalesced: true };
      return !job;
    });
    if (audit && absorbed.rows.length) {
      const counts = todo.filter((index) => byKey.has(changes[index]!.key));
      await run('auditCoalesced', [
        iso(audit.at),
        audit.actor,
        audit.role,
        audit.action,
        audit.requestId,
        pgArray.numbers(counts.map((index) => byKey.get(changes[index]!.key)!.id)),
        pgArray.numbers(counts.map((index) => changes[index]!.count)),
      ]);
    }
    todo = rest;
    if (!rest.length) break;
    const owned = new Set((await run<{ activeKey: string }>('ownedPairs', [pgArray.texts(rest.map((index) => changes[index]!.key))])).rows.map((row) => row.activeKey));
    const rows = rest.map((index): NewJobRow => {
      const { row, key, count } = changes[index]!;
      return owned.has(key) ? { ...row, activeKey: null, followUpKey: key, coalescedCount: count - 1 } : { ...row, activeKey: key, followUpKey: null, coalescedCount: count - 1 };
    });
    const inserted = await run<{ id: number; activeKey: string }>(audit ? 'insertAudited' : 'insert', insertValues(rows, audit));
    const idByKey = new Map(inserted.rows.map((row) => [row.activeKey, row.id]));
    todo = [];
    rest.forEach((index, position) => {
      const id = idByKey.get(changes[index]!.key);
      if (id === undefined) todo.push(index);
      else results[index] = { job: insertedJob(id, rows[position]!), coalesced: false };
    });
  }
  if (todo.length) throw new Error(`could not coalesce ${todo.length} enqueue(s) after ${maxCoalesceRounds} rounds: their pairs kept changing hands`);
  return results as CoalesceResult[];
}
