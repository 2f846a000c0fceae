/**
 * Retention: deletes finished jobs older than a cutoff, with their attempts (a cascade), in small
 * batches, each its own transaction, so pruning never holds a lock for long. Kept jobs keep valid
 * lineage: a replay of a pruned job loses its replayOf / replayOfAttempt link (set to null) in the
 * same transaction. Audit events stay (they name job ids, not rows). On PostgreSQL one process at
 * a time prunes (a transaction-scoped advisory lock); others skip their turn.
 */
import type { JobWhereInput as JobWhere, Tx } from '../../db/types.js';
import type { JobStatus } from '../../domain/index.js';
import type { QueueContext } from '../context.js';
import { auditRow, type Actor } from './audit.js';

export interface PruneRule {
  statuses: readonly JobStatus[];
  /** Jobs whose last change (their finish or cancel) is before this are pruned. */
  olderThan: Date;
}

/** One lock id for every SyncBridge process on the database ("prune" in ASCII). */
const pruneLockId = 0x7072756e65;
const batchSize = 500;

/** Prunes one batch; resolves with the jobs deleted, or undefined when another process holds the turn. */
async function pruneBatch(context: QueueContext, rule: PruneRule): Promise<number | undefined> {
  const matching = { status: { in: [...rule.statuses] }, updatedAt: { lt: rule.olderThan } };
  return context.db.$transaction(async (tx) => {
    const exclusiveTurn = context.capabilities.exclusiveTurnSql?.(pruneLockId);
    if (exclusiveTurn) {
      const [turn] = await tx.$queryRawUnsafe<{ locked: boolean }[]>(exclusiveTurn);
      if (!turn?.locked) return undefined;
    }
    const ids = (await tx.job.findMany({ where: matching, select: { id: true }, orderBy: { id: 'asc' }, take: batchSize })).map((job) => job.id);
    if (!ids.length) return 0;
    return deleteJobRows(tx, { id: { in: ids }, ...matching });
  });
}

/**
 * Deletes the jobs `doomed` matches (in the caller's transaction) with their attempts; the jobs
 * that replay them keep running and lose only their link. Resolves with how many were deleted.
 */
export async function deleteJobRows(tx: Tx, doomed: JobWhere): Promise<number> {
  await tx.job.updateMany({ where: { replayOf: doomed }, data: { replayOfId: null } });
  await tx.job.updateMany({ where: { replayOfAttempt: { job: doomed } }, data: { replayOfAttemptId: null } });
  // Explicitly too, not only by the cascade: SQLite enforces foreign keys only when asked to.
  await tx.attempt.deleteMany({ where: { job: doomed } });
  const { count } = await tx.job.deleteMany({ where: doomed });
  return count;
}

/**
 * Prunes every job the rule matches, batch after batch; resolves with how many were deleted.
 * With an `actor` (pruneJobs through the API) the prune is audited: one row saying how many and which.
 */
export async function jobsPrune(context: QueueContext, rule: PruneRule, options: { maxBatches?: number; actor?: Actor } = {}): Promise<number> {
  if (!rule.statuses.length) return 0;
  let deleted = 0;
  for (let batch = 0; batch < (options.maxBatches ?? Number.POSITIVE_INFINITY); batch++) {
    const count = await pruneBatch(context, rule);
    if (count === undefined) break; // another process is pruning
    deleted += count;
    if (count < batchSize) break;
  }
  const { actor } = options;
  if (actor) {
    const detail = `deleted ${deleted} ${rule.statuses.join('/')} jobs last changed before ${rule.olderThan.toISOString()}`;
    await context.db.auditEvent.create({ data: auditRow(actor, 'PRUNE', null, 'OK', context.now(), detail) });
    context.logger.info(
      { audit: { actor: actor.name, role: actor.role, action: 'PRUNE', outcome: 'OK' }, deleted, statuses: rule.statuses, olderThan: rule.olderThan, requestId: actor.requestId },
      'pruned finished jobs',
    );
  } else if (deleted) context.logger.info({ deleted, statuses: rule.statuses, olderThan: rule.olderThan, actor: 'retention' }, 'pruned finished jobs');
  return deleted;
}
