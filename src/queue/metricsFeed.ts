/**
 * Live metrics for dashboards: recomputed at most once per interval, and only after a transition,
 * then the same figures go to every subscriber. Each subscriber holds only the newest figures, so
 * a slow one never accumulates a backlog.
 */
import type { QueueContext } from './context.js';
import { metricsRead, type QueueMetrics } from './metricsRead.js';

class LatestValue<T> implements AsyncIterableIterator<T> {
  private value: T | undefined;
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;
  constructor(private readonly onClose: () => void) {}

  offer(value: T): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value, done: false });
    } else this.value = value;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.value !== undefined) {
      const value = this.value;
      this.value = undefined;
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      this.onClose();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export class MetricsFeed {
  private readonly subscribers = new Set<LatestValue<QueueMetrics>>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRun = 0;
  private readonly off: () => void;

  constructor(
    private readonly context: QueueContext,
    private readonly intervalMs = 1_000,
  ) {
    this.off = context.bus.on('job:transition', () => this.markDirty());
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Current figures at once, then fresh ones after changes, at most once per interval. */
  subscribe(): AsyncIterableIterator<QueueMetrics> {
    const subscriber = new LatestValue<QueueMetrics>(() => this.subscribers.delete(subscriber));
    this.subscribers.add(subscriber);
    metricsRead(this.context).then(
      (metrics) => subscriber.offer(metrics),
      (error: unknown) => this.context.logger.error({ err: error }, 'metrics for a new subscriber failed'),
    );
    return subscriber;
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
      for (const subscriber of this.subscribers) subscriber.offer(metrics);
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
