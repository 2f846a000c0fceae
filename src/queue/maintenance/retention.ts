/**
 * Retention in a worker process, every interval: SUCCEEDED and CANCELED jobs past one age, FAILED
 * and DEAD past another (src/queue/jobsPrune.ts does the deleting); the attempt history's minute
 * rows past the longest range it serves; webhook deliveries past their age (with them goes the
 * memory of their ids: a repeat after that is a new delivery).
 */
import type { QueueContext } from '../context.js';
import { jobsPrune } from '../services/jobsPrune.js';
import { Periodic } from './periodic.js';
import { historyKeptSeconds } from './attemptHistory.js';

export interface RetentionSettings {
  succeededSeconds: number;
  failedSeconds: number;
  /** Webhook deliveries (0: kept forever). */
  webhookDeliveriesSeconds: number;
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
  if (settings.webhookDeliveriesSeconds > 0) await pruneDeliveries(context, new Date(now - settings.webhookDeliveriesSeconds * 1000));
  return deleted;
}

const deliveryBatch = 1_000;

/** Deliveries received before `before`, with their job links, a batch per transaction (no long lock). */
async function pruneDeliveries(context: QueueContext, before: Date): Promise<void> {
  let pruned = 0;
  for (;;) {
    const ids = (await context.db.webhookDelivery.findMany({ where: { receivedAt: { lt: before } }, select: { id: true }, orderBy: { id: 'asc' }, take: deliveryBatch })).map(
      (row) => row.id,
    );
    if (!ids.length) break;
    await context.db.$transaction([
      context.db.webhookDeliveryJob.deleteMany({ where: { webhookDeliveryId: { in: ids } } }),
      context.db.webhookDelivery.deleteMany({ where: { id: { in: ids } } }),
    ]);
    pruned += ids.length;
    if (ids.length < deliveryBatch) break;
  }
  if (pruned) context.logger.info({ pruned, receivedBefore: before, actor: 'retention' }, 'pruned webhook deliveries');
}

export class Retention extends Periodic<number> {
  constructor(
    context: QueueContext,
    private readonly settings: RetentionSettings,
  ) {
    super(() => retentionRound(context, settings), settings.intervalMs, context.logger, 'a retention round');
  }

  override start(): void {
    if (this.settings.succeededSeconds || this.settings.failedSeconds || this.settings.webhookDeliveriesSeconds) super.start();
  }
}
