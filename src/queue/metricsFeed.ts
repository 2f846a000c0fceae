/**
 * Live metrics for dashboards: recomputed at most once per interval, and only after a transition,
 * then the same figures go to every subscriber. Each subscriber holds only the newest figures, so
 * a slow one never accumulates a backlog.
 */
import type { QueueContext } from './context.js';
import { metricsRead, type QueueMetrics } from './metricsRead.js';
import { PushIterator } from '../live/pushIterator.js';

/** Holds only the newest figures: a slow subscriber skips stale ones instead of queueing them. */
class LatestValue<T> extends PushIterator<T> {
  constructor(onClose: () => void) {
    super(1, onClose);
  }

  protected override overflow(): void {
    this.buffer = this.buffer.slice(-1);
  }
}

export class MetricsFeed {
  private readonly subscribers = new Set<LatestValue<QueueMetrics>>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRun = 0;
  /** The figures last computed, for a subscriber that joins a running stream. */
  private last: QueueMetrics | undefined;
  private readonly off: () => void;

  constructor(
    private readonly context: QueueContext,
    private readonly intervalMs = 1_000,
  ) {
    this.off = context.bus.on('job:transitions', () => this.markDirty());
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Current figures at once, then fresh ones after changes, at most once per interval. */
  subscribe(): AsyncIterableIterator<QueueMetrics> {
    const subscriber = new LatestValue<QueueMetrics>(() => this.subscribers.delete(subscriber));
    this.subscribers.add(subscriber);
    this.context.bus.emit('subscription:started', { kind: 'metricsUpdated' });
    metricsRead(this.context).then(
      (metrics) => {
        this.last = metrics;
        subscriber.push(metrics);
      },
      (error: unknown) => this.context.logger.error({ err: error }, 'metrics for a new subscriber failed'),
    );
    return subscriber;
  }

  /** The latest figures: those last published while they are current, else computed now. */
  async latest(): Promise<QueueMetrics> {
    if (this.last && !this.dirty && this.subscribers.size) return this.last;
    return (this.last = await metricsRead(this.context));
  }

  private markDirty(): void {
    if (!this.subscribers.size) return;
    this.dirty = true;
    if (this.timer) return;
    const wait = Math.max(0, this.lastRun + this.intervalMs - Date.now());
    this.timer = setTimeout(() => void this.publish(), wait);
    this.timer.unref();
  }

  private async publish(): Promise<void> {
    this.timer = undefined;
    if (!this.dirty || !this.subscribers.size) return;
    this.dirty = false;
    this.lastRun = Date.now();
    try {
      const metrics = await metricsRead(this.context);
      this.last = metrics;
      for (const subscriber of this.subscribers) subscriber.push(metrics);
    } catch (error) {
      this.context.logger.error({ err: error }, 'computing live metrics failed');
    }
    if (this.dirty) this.markDirty();
  }

  close(): void {
    this.off();
    clearTimeout(this.timer);
    for (const subscriber of [...this.subscribers]) void subscriber.return();
  }
}
