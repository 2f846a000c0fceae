/**
 * A background round every interval in a worker process (retention, schedules): never two rounds
 * at once, a failed round logged and tried again at the next one, and stop() waits for the round
 * in flight.
 */
import type { Logger } from 'pino';

export class Periodic<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T | undefined> | undefined;

  constructor(
    private readonly round: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    /** Names the round in the warning a failure logs. */
    private readonly what: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** One round now; undefined when one was already running or it failed. */
  async runOnce(): Promise<T | undefined> {
    if (this.running) return undefined;
    this.running = this.round().catch((error: unknown) => {
      this.logger.warn({ err: error }, `${this.what} failed; trying again next round`);
      return undefined;
    });
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
