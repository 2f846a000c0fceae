/**
 * Live figures for dashboards (the queue's metrics, the job types' state): recomputed at most
 * once per interval, and only after something that may change them, then the same figures go to
 * every subscriber. Each subscriber holds only the newest figures, so a slow one never
 * accumulates a backlog; figures equal to the last ones sent to all are not sent again (unless
 * someone was shown other figures meanwhile: a new subscriber's first ones).
 */
import type { QueueContext } from '../context.js';
import { PushIterator } from '../../events/pushIterator.js';

/** Holds only the newest figures: a slow subscriber skips stale ones instead of queueing them. */
class LatestValue<T> extends PushIterator<T> {
  constructor(onClose: () => void) {
    super(1, onClose);
  }

  protected override overflow(): void {
    this.buffer = this.buffer.slice(-1);
  }
}

export interface SnapshotFeedOptions {
  /** What the subscription is called (a new subscriber asks other processes for their transitions). */
  kind: 'metricsUpdated' | 'jobTypesUpdated' | 'alertsUpdated' | 'groupsUpdated';
  intervalMs?: number;
  /**
   * Also recompute this often while there are subscribers: for changes that arrive without a
   * transition on this process's bus (another process's pause).
   */
  pollMs?: number;
}

export class SnapshotFeed<T> {
  private readonly subscribers = new Set<LatestValue<T>>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private lastRun = 0;
  /** The figures last computed, for a subscriber that joins a running stream. */
  private last: T | undefined;
  /** The figures last sent to every subscriber; '' once anyone may hold others. */
  private sentJson = '';
  private readonly offs: (() => void)[];
  private readonly intervalMs: number;

  constructor(
    private readonly context: QueueContext,
    private readonly read: (context: QueueContext) => Promise<T>,
    private readonly options: SnapshotFeedOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.offs = [
      context.bus.on('job:transitions', () => this.markDirty()),
      context.bus.on('jobTypes:changed', () => this.markDirty()),
      context.bus.on('alerts:changed', () => this.markDirty()),
    ];
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Current figures at once, then fresh ones after changes, at most once per interval. */
  subscribe(): AsyncIterableIterator<T> {
    const subscriber = new LatestValue<T>(() => {
      this.subscribers.delete(subscriber);
      if (!this.subscribers.size) this.stopPolling();
    });
    this.subscribers.add(subscriber);
    this.context.bus.emit('subscription:started', { kind: this.options.kind });
    if (this.options.pollMs && !this.poller) {
      this.poller = setInterval(() => this.markDirty(), this.options.pollMs);
      this.poller.unref();
    }
    this.read(this.context).then(
      (figures) => {
        this.remember(figures);
        subscriber.push(figures);
      },
      (error: unknown) => this.context.logger.error({ err: error, feed: this.options.kind }, 'figures for a new subscriber failed'),
    );
    return subscriber;
  }

  /** The latest figures: those last published while they are current, else computed now. */
  async latest(): Promise<T> {
    if (this.last !== undefined && !this.dirty && this.subscribers.size) return this.last;
    return this.remember(await this.read(this.context));
  }

  /** Figures computed for one reader (a new subscriber, a snapshot): the next round sends to all again. */
  private remember(figures: T): T {
    this.last = figures;
    this.sentJson = '';
    return figures;
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
      const figures = await this.read(this.context);
      const json = JSON.stringify(figures);
      this.last = figures;
      if (json !== this.sentJson) {
        this.sentJson = json;
        for (const subscriber of this.subscribers) subscriber.push(figures);
      }
    } catch (error) {
      this.context.logger.error({ err: error, feed: this.options.kind }, 'computing live figures failed');
    }
    if (this.dirty) this.markDirty();
  }

  private stopPolling(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  close(): void {
    for (const off of this.offs) off();
    clearTimeout(this.timer);
    this.stopPolling();
    for (const subscriber of [...this.subscribers]) void subscriber.return();
  }
}
