/**
 * Retention in a worker process, every interval: SUCCEEDED and CANCELED jobs past one age, FAILED
 * and DEAD past another (src/queue/jobsPrune.ts does the deleting); the attempt history's minute
 * rows past the longest range it serves.
 */
import type { QueueContext } from '../context.js';
import { jobsPrune } from '../services/jobsPrune.js';
import { Periodic } from './periodic.js';
import { historyKeptSeconds } from './attemptHistory.js';

export interface RetentionSettings {
  succeededSeconds: number;
  failedSeconds: number;
  intervalMs: number;
}

/** One round of both rules; resolves with how many jobs were deleted. */
async function retentionRound(context: QueueContext, settings: RetentionSettings): Promise<number> {
  const now = context.now().getTime();
  const rules = [
    { statuses: ['SUCCEEDED', 'CANCELED'] as const, seconds: settings.succeededSeconds },
    { statuses: ['FAILED', 'DEAD'] as const, seconds: settings.failedSeconds },
  ];
  let deleted = 0;
  for (const rule of rules) {
    if (rule.seconds > 0) deleted += await jobsPrune(context, { statuses: rule.statuses, olderThan: new Date(now - rule.seconds * 1000) });
  }
  // Two rows a minute per job type at most: one statement suffices.
  await context.db.attemptMinute.deleteMany({ where: { minute: { lt: new Date(now - historyKeptSeconds * 1000) } } });
  return deleted;
}

export class Retention extends Periodic<number> {
  constructor(
    context: QueueContext,
    private readonly settings: RetentionSettings,
  ) {
    super(() => retentionRound(context, settings), settings.intervalMs, context.logger, 'a retention round');
  }

  override start(): void {
    if (this.settings.succeededSeconds || this.settings.failedSeconds) super.start();
  }
}
