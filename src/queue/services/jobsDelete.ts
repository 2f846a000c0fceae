/**
 * deleteJobs (admins): every finished job a filter matches is deleted with its attempts, a page
 * at a time (newest first, each page one short transaction with its audit rows), the way the bulk
 * actions walk their matches. Active jobs (PENDING, RUNNING) are skipped and counted: cancel them
 * first, so no worker ever holds a job that no longer exists. Jobs that replay a deleted one keep
 * running and lose only their link. `dryRun` counts and deletes nothing.
 */
import type { JobFilter } from '../../db/jobFilter.js';
import { finalStatuses } from '../../domain/index.js';
import type { QueueContext } from '../context.js';
import { auditRow, logAudited, type Actor } from './audit.js';
import { matchingPages, type BulkResult } from './jobsBulk.js';
import { deleteJobRows } from './jobsPrune.js';

const isFinished = (status: string) => (finalStatuses as readonly string[]).includes(status);

export async function jobsDelete(context: QueueContext, filter: JobFilter, options: { dryRun?: boolean; actor?: Actor } = {}): Promise<BulkResult> {
  const result: BulkResult = { matched: 0, affected: 0, skipped: 0, skippedBy: {}, jobIds: [] };
  for await (const page of matchingPages(context, filter)) {
    result.matched += page.length;
    const finished = page.filter((job) => isFinished(job.status)).map((job) => job.id);
    let deleted = finished.length;
    if (!options.dryRun && finished.length) {
      const now = context.now();
      const { actor } = options;
      deleted = await context.db.$transaction(async (tx) => {
        // Still finished when deleted: one retried or replayed meanwhile stays.
        const doomed = { id: { in: finished }, status: { in: [...finalStatuses] } };
        const gone = actor ? await tx.job.findMany({ where: doomed, select: { id: true, jobType: true, entityId: true, status: true } }) : [];
        const count = await deleteJobRows(tx, doomed);
        if (actor && gone.length)
          await tx.auditEvent.createMany({ data: gone.map((job) => auditRow(actor, 'DELETE', job.id, 'OK', now, `${job.jobType}:${job.entityId} was ${job.status}`)) });
        return count;
      });
      if (actor) logAudited(context, actor, 'DELETE', finished);
    }
    result.affected += deleted;
    const active = page.length - finished.length + (finished.length - deleted);
    if (active) {
      result.skipped += active;
      result.skippedBy.InvalidStateError = (result.skippedBy.InvalidStateError ?? 0) + active;
    }
  }
  if (result.matched)
    context.logger.info(
      { action: 'delete', dryRun: Boolean(options.dryRun), matched: result.matched, deleted: result.affected, skipped: result.skipped, actor: options.actor?.name },
      'bulk delete',
    );
  return result;
}
