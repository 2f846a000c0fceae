/**
 * The JobStore on SQLite, on the hot path's own better-sqlite3 connection. Statements run on this
 * thread, so the connection never waits for a lock (busy timeout 0): when Prisma's connection
 * holds the write lock across an await, the batch is retried a moment later instead of blocking
 * the event loop that would let Prisma finish. A batch is one transaction, observed once.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { jobFromValues } from '../jobRow.js';
import type { Job } from '../types.js';
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
  WrittenJob,
} from '../ports.js';
import { insertedJob } from '../../domain/index.js';
import { fairClaimTransaction } from './fairClaim.js';
import { rawStatements, statements } from './statements.js';

/** How long a hot-path batch keeps retrying while another connection holds the write lock. */
const busyRetryMs = 10_000;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/** Runs `run` (a statement or an immediate transaction), retrying a moment later while the database is locked. */
export async function retryWhileBusy<T>(run: () => T): Promise<T> {
  const deadline = Date.now() + busyRetryMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      return run();
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
    }
    await delay(wait);
  }
}

const ms = (date: Date | null) => (date ? date.getTime() : null);

type WrittenRow = { id: number; status: string; canceledAt: number | null; superseded: number | null; followUpId: number | null };
const written = (row: WrittenRow): WrittenJob => ({
  id: row.id,
  status: row.status,
  canceledAt: row.canceledAt === null ? null : new Date(row.canceledAt),
  supersededBy: row.superseded ? row.followUpId : null,
  // The job left its pair (not back to PENDING): its follow-up may run now.
  freedFollowUp: row.status === 'PENDING' ? null : row.followUpId,
});

/** Every named statement, prepared once. */
export function prepareAll(connection: Database.Database): Record<keyof typeof statements | keyof typeof rawStatements, Database.Statement> {
  const prepared = Object.fromEntries(Object.entries(statements).map(([name, text]) => [name, connection.prepare(text)])) as Record<keyof typeof statements, Database.Statement>;
  const raw = Object.fromEntries(Object.entries(rawStatements).map(([name, text]) => [name, connection.prepare(text).raw(true)])) as Record<
    keyof typeof rawStatements,
    Database.Statement
  >;
  return { ...prepared, ...raw };
}

export type Prepared = ReturnType<typeof prepareAll>;

type Row<K extends keyof JobStore> = Parameters<JobStore[K]>[0];

/** Inserts one new job unless its pair is held; its id, or undefined. */
function insertRow(s: Prepared, row: NewJobRow): number | undefined {
  const result = s.insert.get(
    row.jobType,
    row.sourceSystem,
    row.targetSystem,
    row.entityType,
    row.entityId,
    row.priority,
    ms(row.scheduledAt),
    row.maxRetries,
    row.payloadVersion,
    row.correlationId,
    row.activeKey,
    ms(row.createdAt),
    ms(row.createdAt),
    ms(row.nextRunAt),
    row.isReplay ? 1 : 0,
    row.replayOfId,
    row.replayOfAttemptId,
    row.payload,
    row.followUpKey,
    row.coalescedCount ?? 0,
    row.groupKey,
  ) as { id: number } | undefined;
  return result?.id;
}

/** The pairs among `rows` that a follow-up holds (an owner inserted then would run before the newer change). */
function heldByFollowUps(s: Prepared, rows: readonly NewJobRow[]): Set<string> | undefined {
  if (!s.anyFollowUp.get()) return undefined;
  const keys = rows.map((row) => row.activeKey).filter((key): key is string => key !== null);
  return new Set((s.followUpsHeld.all(JSON.stringify(keys)) as { followUpKey: string }[]).map((row) => row.followUpKey));
}

function auditInsert(s: Prepared, audit: AuditStamp, id: number, row: Pick<NewJobRow, 'replayOfId' | 'replayOfAttemptId'>, detail?: string): void {
  const replay = row.replayOfId === null ? null : `replay of job ${row.replayOfId}, attempt ${row.replayOfAttemptId}`;
  s.audit.run(ms(audit.at), audit.actor, audit.role, audit.action, id, audit.requestId, detail ?? replay);
}

/**
 * Coalescing enqueues of distinct pairs, in the caller's transaction (SQLite has one writer:
 * nothing moves between the statements): each pair's PENDING job absorbs its change, two
 * statements for the whole batch (three per change ran the COALESCE burst at 0.73× the plain
 * bulk enqueue, measured); a change left over becomes the follow-up behind its pair's RUNNING
 * owner, or the pair's new job.
 */
function coalesceDistinct(s: Prepared, changes: CoalesceRow[], audit: AuditStamp | undefined): CoalesceResult[] {
  const results = new Array<CoalesceResult | undefined>(changes.length);
  const positions = new Map(changes.map((change, index) => [change.key, index]));
  const now = ms(changes[0]!.row.createdAt);
  let left = changes;
  for (const statement of [s.coalesceKeepingStart, s.coalesceMovingStart]) {
    if (!left.length) break;
    const encoded = JSON.stringify(left.map((change) => [change.key, change.row.payload, change.row.payloadVersion, change.count, change.debounceMs, change.maxDelayMs]));
    for (const { row } of statement.all({ changes: encoded, now }) as { row: string }[]) {
      const job = jobFromValues(JSON.parse(row) as unknown[]);
      const index = positions.get((job.followUpKey ?? job.activeKey)!)!;
      results[index] = { job, coalesced: true };
      if (audit) auditInsert(s, audit, job.id, changes[index]!.row, `coalesced ${changes[index]!.count} enqueue(s)`);
    }
    left = left.filter((change) => !results[positions.get(change.key)!]);
  }
  for (const change of left) {
    // Behind a RUNNING owner: the follow-up; with no owner: the pair's new owner.
    const { row, key } = change;
    const held = s.followUpByKey.get(key) !== undefined || s.ownerByKey.get(key) !== undefined;
    const newRow: NewJobRow = held
      ? { ...row, activeKey: null, followUpKey: key, coalescedCount: change.count - 1 }
      : { ...row, activeKey: key, followUpKey: null, coalescedCount: change.count - 1 };
    const id = insertRow(s, newRow)!;
    if (audit) auditInsert(s, audit, id, newRow);
    results[positions.get(key)!] = { job: insertedJob(id, newRow), coalesced: false };
  }
  return results as CoalesceResult[];
}

/** Coalescing enqueues in order; a pair named twice takes its changes one after the other. */
function coalesceAll(s: Prepared, changes: CoalesceRow[], audit: AuditStamp | undefined): CoalesceResult[] {
  if (new Set(changes.map((change) => change.key)).size === changes.length) return coalesceDistinct(s, changes, audit);
  return changes.map((change) => coalesceDistinct(s, [change], audit)[0]!);
}

/** The batches that write, each one transaction of per-row statements. */
function writeBatches(connection: Database.Database, s: Prepared) {
  return {
    insert: connection.transaction((rows: Row<'insert'>, audit: Parameters<JobStore['insert']>[1]) => {
      const inserted: { id: number; activeKey: string }[] = [];
      const held = heldByFollowUps(s, rows);
      for (const row of rows) {
        if (held?.has(row.activeKey!)) continue;
        const id = insertRow(s, row);
        if (id === undefined) continue;
        inserted.push({ id, activeKey: (row.activeKey ?? row.followUpKey)! });
        if (audit) auditInsert(s, audit, id, row);
      }
      return inserted;
    }),
    coalesce: connection.transaction((rows: CoalesceRow[], audit: AuditStamp | undefined) => coalesceAll(s, rows, audit)),
    receiveDelivery: connection.transaction((delivery: NewDeliveryRow, writes: { inserts: NewJobRow[]; coalesces: CoalesceRow[] }, audit: AuditStamp): DeliveryWrite => {
      const stored = s.deliveryInsert.get(delivery.source, delivery.deliveryId, delivery.eventType, ms(delivery.receivedAt), delivery.requestId, delivery.bodyBytes) as
        { id: number } | undefined;
      if (!stored) return { duplicate: true, id: (s.deliveryBySourceId.get(delivery.source, delivery.deliveryId) as { id: number }).id };
      const held = heldByFollowUps(s, writes.inserts);
      const inserted = writes.inserts.map((row) => {
        const id = held?.has(row.activeKey!) ? undefined : insertRow(s, row);
        if (id !== undefined) {
          auditInsert(s, audit, id, row);
          s.deliveryJob.run(stored.id, id, 'CREATED');
          return { id };
        }
        // One writer: the holder cannot finish in between. The owner is listed last.
        const holderId = (s.activeHolders.all({ keys: JSON.stringify([row.activeKey]) }) as { id: number }[]).at(-1)!.id;
        s.deliveryJob.run(stored.id, holderId, 'ACTIVE');
        return { holderId };
      });
      const coalesced = writes.coalesces.length ? coalesceAll(s, writes.coalesces, audit) : [];
      for (const result of coalesced) s.deliveryJob.run(stored.id, result.job.id, result.coalesced ? 'COALESCED' : 'CREATED');
      return { duplicate: false, id: stored.id, inserted, coalesced };
    }),
    start: connection.transaction(({ leaseOwner, rows }: Row<'start'>) => {
      for (const row of rows) s.start.run(ms(row.startedAt), row.id, leaseOwner, ms(row.claimedAt));
    }),
    renew: connection.transaction(({ workerId, jobs, leaseExpiresAt }: Row<'renew'>) => {
      const held: number[] = [];
      for (const job of jobs) if (s.renew.get(leaseExpiresAt.getTime(), job.id, workerId, ms(job.claimedAt))) held.push(job.id);
      return held;
    }),
  };
}

/** The batches that end leases: outcomes (each job's row and its Attempt row) and releases. */
function leaseBatches(connection: Database.Database, s: Prepared) {
  return {
    finish: connection.transaction((params: Row<'finish'>) => {
      const result: WrittenJob[] = [];
      for (const row of params.rows) {
        const values = {
          id: row.id,
          leaseOwner: params.leaseOwner,
          claimedAt: ms(row.claimedAt),
          expiredBy: ms(params.expiredBy ?? null),
          attemptNumber: row.attemptNumber,
          status: row.status,
          startedAt: ms(row.startedAt),
          finishedAt: ms(row.finishedAt),
          success: row.success ? 1 : 0,
          durationMs: row.durationMs,
          nextRunAt: ms(row.nextRunAt),
          lastError: row.lastError,
          lastErrorType: row.lastErrorType,
          deadAt: ms(row.deadAt),
          details: row.details,
          uncharged: row.uncharged ? 1 : 0,
        };
        s.attempt.run(values);
        // Named parameters: each statement reads the ones it names.
        const updated = s.finish.get(values) as WrittenRow | undefined;
        if (updated) result.push(written(updated));
      }
      return result;
    }),
    release: connection.transaction(({ leaseOwner, jobs, now, expiredBy }: Row<'release'>) => {
      const result: WrittenJob[] = [];
      for (const job of jobs) {
        const updated = s.release.get({ id: job.id, leaseOwner, claimedAt: ms(job.claimedAt), now: now.getTime(), expiredBy: ms(expiredBy ?? null) }) as WrittenRow | undefined;
        if (updated) result.push(written(updated));
      }
      return result;
    }),
  };
}

type ExpiredRow = Omit<ExpiredLease, 'claimedAt' | 'leaseExpiresAt' | 'startedAt'> & { claimedAt: number; leaseExpiresAt: number; startedAt: number | null };

export class SqliteJobStore implements JobStore {
  private readonly writes: ReturnType<typeof writeBatches>;
  private readonly leases: ReturnType<typeof leaseBatches>;

  private readonly claimWithFollowUps: Database.Transaction<(params: { workerId: string; now: number; expires: number; limit: number }) => Job[]>;
  private readonly claimGroupedTurns: ReturnType<typeof fairClaimTransaction>;

  constructor(
    connection: Database.Database,
    private readonly s: Prepared,
    private readonly observe: (name: string) => void,
  ) {
    this.writes = writeBatches(connection, s);
    this.leases = leaseBatches(connection, s);
    this.claimWithFollowUps = connection.transaction((params) => {
      const followUps = (s.claimFollowUps.all(params) as unknown[][]).map(jobFromValues);
      const rest = params.limit - followUps.length;
      return rest > 0 ? followUps.concat((s.claim.all({ ...params, limit: rest }) as unknown[][]).map(jobFromValues)) : followUps;
    });
    this.claimGroupedTurns = fairClaimTransaction(connection, s);
  }

  /** Busy is retried inside; what reaches the caller is about the data, or the disk. */
  isTransient(error: unknown): boolean {
    return /^SQLITE_(IOERR|FULL|CANTOPEN|BUSY|LOCKED)/.test(String((error as { code?: unknown }).code ?? ''));
  }

  insert(rows: NewJobRow[], audit?: AuditStamp) {
    this.observe('insert');
    return retryWhileBusy(() => this.writes.insert.immediate(rows, audit));
  }

  async activeHolders(keys: readonly string[]) {
    if (!keys.length) return [];
    this.observe('activeHolders');
    return this.s.activeHolders.all({ keys: JSON.stringify(keys) }) as { id: number; activeKey: string }[];
  }

  coalesce(rows: CoalesceRow[], audit?: AuditStamp) {
    this.observe('coalesce');
    return retryWhileBusy(() => this.writes.coalesce.immediate(rows, audit));
  }

  receiveDelivery(delivery: NewDeliveryRow, writes: { inserts: NewJobRow[]; coalesces: CoalesceRow[] }, audit: AuditStamp) {
    this.observe('receiveDelivery');
    return retryWhileBusy(() => this.writes.receiveDelivery.immediate(delivery, writes, audit));
  }

  claim({ workerId, now, leaseMs, limit }: ClaimParams) {
    this.observe('claim');
    return retryWhileBusy(() => this.claims(workerId, now.getTime(), leaseMs, limit));
  }

  /** Free follow-ups first (only when any pair has one: one probe of their empty index otherwise), then the rest. */
  private claims(workerId: string, now: number, leaseMs: number, limit: number): Job[] {
    const params = { workerId, now, expires: now + leaseMs, limit };
    if (!this.s.anyFollowUp.get()) return (this.s.claim.all(params) as unknown[][]).map(jobFromValues);
    return this.claimWithFollowUps.immediate(params);
  }

  claimOfType({ workerId, now, leaseMs, limit, jobType }: ClaimParams & { jobType: string }) {
    this.observe('claimOfType');
    return retryWhileBusy(() => (this.s.claimOfType.all({ workerId, now: now.getTime(), expires: now.getTime() + leaseMs, limit, jobType }) as unknown[][]).map(jobFromValues));
  }

  claimGrouped({ workerId, now, leaseMs, limit, jobType, after }: ClaimParams & { jobType: string; after: string }) {
    this.observe('claimGrouped');
    return retryWhileBusy(() => this.claimGroupedTurns.immediate({ workerId, now: now.getTime(), expires: now.getTime() + leaseMs, limit, jobType, after }));
  }

  async markGrouped(jobTypes: readonly string[]) {
    if (!jobTypes.length) return;
    this.observe('markGrouped');
    await retryWhileBusy(() => this.s.markGrouped.run(JSON.stringify(jobTypes)));
  }

  claimProbe({ workerId, now, leaseMs, jobTypes }: Omit<ClaimParams, 'limit'> & { jobTypes: readonly string[] }) {
    this.observe('claimProbe');
    return retryWhileBusy(() =>
      (this.s.claimProbe.all({ workerId, now: now.getTime(), expires: now.getTime() + leaseMs, jobTypes: JSON.stringify(jobTypes) }) as unknown[][]).map(jobFromValues),
    );
  }

  async start(params: Row<'start'>) {
    if (!params.rows.length) return;
    this.observe('start');
    await retryWhileBusy(() => this.writes.start.immediate(params));
  }

  async finish(params: FinishParams) {
    if (!params.rows.length) return [];
    this.observe('finish');
    return retryWhileBusy(() => this.leases.finish.immediate(params));
  }

  async release(params: ReleaseParams) {
    if (!params.jobs.length) return [];
    this.observe('release');
    return retryWhileBusy(() => this.leases.release.immediate(params));
  }

  async renew(params: RenewParams) {
    if (!params.jobs.length) return [];
    this.observe('renew');
    return retryWhileBusy(() => this.writes.renew.immediate(params));
  }

  async expired({ now, limit }: { now: Date; limit: number }): Promise<ExpiredLease[]> {
    this.observe('expired');
    return (this.s.expired.all(now.getTime(), limit) as ExpiredRow[]).map((row) => ({
      ...row,
      claimedAt: new Date(row.claimedAt),
      leaseExpiresAt: new Date(row.leaseExpiresAt),
      startedAt: row.startedAt === null ? null : new Date(row.startedAt),
    }));
  }

  async leasedTo(leaseOwner: string) {
    this.observe('leasedTo');
    return (this.s.leasedTo.all(leaseOwner) as { id: number; claimedAt: number }[]).map((row) => ({ id: row.id, claimedAt: new Date(row.claimedAt) }));
  }

  async statuses(ids: readonly number[]) {
    if (!ids.length) return [];
    this.observe('statuses');
    return this.s.statuses.all(JSON.stringify(ids)) as { id: number; status: string }[];
  }

  async pausedGroups() {
    this.observe('pausedGroups');
    return this.s.pausedGroups.all() as { jobType: string; groupKey: string }[];
  }

  async controls() {
    this.observe('controls');
    return (this.s.controls.all() as { jobType: string; paused: number; concurrency: number | null; heldBy: string | null; grouped: number }[]).map((row) => ({
      jobType: row.jobType,
      concurrency: row.concurrency,
      heldBy: row.heldBy,
      paused: Boolean(row.paused),
      grouped: Boolean(row.grouped),
    }));
  }
}
