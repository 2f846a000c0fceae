/**
 * Runs retention in a worker process every interval: SUCCEEDED and CANCELED jobs past one age,
 * FAILED and DEAD past another (src/queue/jobsPrune.ts does the deleting). A round that is still
 * running when the next is due is not doubled; a failed round is logged and tried next time.
 */
import type { QueueContext } from './context.js';
import { jobsPrune } from './jobsPrune.js';

export interface RetentionSettings {
  succeededSeconds: number;
  failedSeconds: number;
  intervalMs: number;
}

export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly context: QueueContext,
    private readonly settings: RetentionSettings,
  ) {}

  start(): void {
    if (!this.settings.succeededSeconds && !this.settings.failedSeconds) return;
    this.timer = setInterval(() => void this.runOnce(), this.settings.intervalMs);
    this.timer.unref();
  }

  /** One round of both rules; resolves with how many jobs were deleted. */
  async runOnce(): Promise<number> {
    if (this.running) return 0;
    let deleted = 0;
    this.running = (async () => {
      const now = this.context.now().getTime();
      const rules = [
        { statuses: ['SUCCEEDED', 'CANCELED'] as const, seconds: this.settings.succeededSeconds },
        { statuses: ['FAILED', 'DEAD'] as const, seconds: this.settings.failedSeconds },
      ];
      for (const rule of rules) {
        if (rule.seconds <= 0) continue;
        deleted += await jobsPrune(this.context, { statuses: rule.statuses, olderThan: new Date(now - rule.seconds * 1000) });
      }
    })().catch((error: unknown) => this.context.logger.warn({ err: error }, 'retention round failed; trying again next round'));
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
    return deleted;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
