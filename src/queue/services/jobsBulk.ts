/**
 * Bulk actions: retry, cancel or replay every job a filter matches, each by the single-job rules
 * (the same service, so each change is its own short write, audited and published live). Jobs
 * are visited newest first in pages of `pageSize` by id, so a million matches hold no lock for
 * long and no more than a page in memory; jobs the action itself creates or moves are not
 * visited again (the cursor only moves down). A job the rules refuse (a FAILED job whose pair
 * is active again, a replay whose pair already has an active job) is skipped and counted, never
 * an error for the whole batch. `dryRun` applies the same rules without writing anything.
 */
import type { Job } from '../../db/types.js';
import type { JobFilter } from '../../db/jobFilter.js';
import { activeKey, canCancel, canRetry, replayRefusal } from '../../domain/index.js';
import type { QueueContext } from '../context.js';
import type { Actor, AuditAction } from './audit.js';
import { auditFailures } from './audit.js';
import { QueueError } from '../errors.js';
import { jobCancel } from './jobCancel.js';
import { jobReplay } from './jobReplay.js';
import { jobRetry } from './jobRetry.js';

export type BulkAction = 'retry' | 'cancel' | 'replay';

export interface BulkResult {
  /** Jobs the filter matched when visited. */
  matched: number;
  /** Jobs changed (for a dry run: that would be). For a replay, the new jobs are in `jobIds`. */
  affected: number;
  /** Matched jobs the action's rules refused (wrong status, pair already active, no failed attempt). */
  skipped: number;
  /** Why jobs were skipped, by error type. */
  skippedBy: Record<string, number>;
  /** The first affected jobs (the new ones for a replay); none for a dry run. */
  jobIds: number[];
}

const auditActions: Record<BulkAction, AuditAction> = { retry: 'RETRY', cancel: 'CANCEL', replay: 'REPLAY' };
const pageSize = 500;
const keptIds = 200;

/**
 * The jobs `filter` matches, a page at a time, newest first: each page is read after the one before
 * was acted on, from the last id it held, so a job that changes meanwhile is neither missed nor read twice.
 */
export async function* matchingPages(context: QueueContext, filter: JobFilter): AsyncGenerator<Job[]> {
  let afterId: number | undefined;
  for (;;) {
    const page = await context.reads.page({ filter, now: context.now(), limit: pageSize, afterId });
    if (page.length) yield page;
    if (page.length < pageSize) return;
    afterId = page.at(-1)!.id;
  }
}

export async function jobsBulk(context: QueueContext, action: BulkAction, filter: JobFilter, options: { dryRun?: boolean; actor?: Actor } = {}): Promise<BulkResult> {
  const result: BulkResult = { matched: 0, affected: 0, skipped: 0, skippedBy: {}, jobIds: [] };
  const skip = (reason: string) => {
    result.skipped += 1;
    result.skippedBy[reason] = (result.skippedBy[reason] ?? 0) + 1;
  };
  // A dry run's own would-be effects: pairs it would make active.
  const pairsTaken = new Set<string>();
  for await (const page of matchingPages(context, filter)) {
    result.matched += page.length;
    if (options.dryRun) {
      for (const reason of await dryRunRefusals(context, action, page, pairsTaken)) {
        if (reason) skip(reason);
        else result.affected += 1;
      }
      continue;
    }
    const failures: { jobId: number; error: QueueError }[] = [];
    // A few jobs at a time: each is a round trip or two, and the database takes them in parallel.
    await forEachConcurrently(page, context.capabilities.bulkConcurrency, async (job) => {
      try {
        const written = await apply(context, action, job, options.actor);
        result.affected += 1;
        if (result.jobIds.length < keptIds) result.jobIds.push(written.id);
      } catch (error) {
        if (!(error instanceof QueueError)) throw error;
        skip(error.name);
        failures.push({ jobId: job.id, error });
      }
    });
    if (options.actor) await auditFailures(context, options.actor, auditActions[action], failures);
  }
  if (result.affected || result.skipped) {
    context.logger.info(
      { action, dryRun: Boolean(options.dryRun), matched: result.matched, affected: result.affected, skipped: result.skipped, actor: options.actor?.name },
      'bulk action',
    );
  }
  return result;
}

function apply(context: QueueContext, action: BulkAction, job: Job, actor: Actor | undefined): Promise<Job> {
  switch (action) {
    case 'retry':
      return jobRetry(context, job.id, actor);
    case 'cancel':
      return jobCancel(context, job.id, actor);
    case 'replay':
      return jobReplay(context, job.id, undefined, actor);
  }
}

async function forEachConcurrently<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

/** Why the action would refuse each job of a page now (the single-job rules), or undefined; two queries a page. */
async function dryRunRefusals(context: QueueContext, action: BulkAction, page: readonly Job[], pairsTaken: Set<string>): Promise<(string | undefined)[]> {
  const latest = new Map<number, { success: boolean }>();
  if (action === 'replay') {
    const ids = page.map((job) => job.id);
    for (const attempt of await context.reads.attemptsByJobIds(ids, 1)) latest.set(attempt.jobId, attempt);
  }
  const keys = action === 'cancel' ? [] : [...new Set(page.map((job) => activeKey(job.jobType, job.entityId)))];
  const held = new Set((await context.jobs.activeHolders(keys)).map((job) => job.activeKey));
  // The single-job rules (src/domain/lifecycle.ts), asked of each job.
  return page.map((job) => {
    if (action === 'cancel') return canCancel(job.status) ? undefined : 'InvalidStateError';
    if (action === 'retry' && !canRetry(job.status)) return 'InvalidStateError';
    if (action === 'replay' && replayRefusal(latest.get(job.id))) return 'InputError';
    const key = activeKey(job.jobType, job.entityId);
    if (pairsTaken.has(key) || held.has(key)) return 'DuplicateActiveJobError';
    pairsTaken.add(key);
    return undefined;
  });
}
