/**
 * An async iterator fed by `push()`: values wait in a buffer until the consumer pulls them. When
 * the buffer passes its limit, `overflow()` decides (by default: the consumer is too slow and
 * the iteration ends with SubscriberTooSlowError; subclasses compact or keep only the newest).
 * It ends when the consumer returns, the producer calls `end()`, or `fail()`; `onClose` runs once.
 */
export class SubscriberTooSlowError extends Error {
  override name = 'SubscriberTooSlowError';
  constructor(limit: number) {
    super(`The subscriber fell more than ${limit} updates behind and was dropped; resubscribe to continue.`);
  }
}

export class PushIterator<T> implements AsyncIterableIterator<T> {
  protected buffer: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private failure: Error | undefined;
  private closed = false;
  /** Set by `drainTo`: values go straight to it, no buffer, no await. */
  private sink: ((value: T) => void) | undefined;

  constructor(
    protected readonly limit: number,
    private readonly onClose: () => void,
  ) {}

  push(value: T): void {
    if (this.closed) return;
    if (this.sink) return this.sink(value);
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value, done: false });
      return;
    }
    this.buffer.push(value);
    if (this.buffer.length > this.limit) this.overflow();
  }

  protected overflow(): void {
    this.fail(new SubscriberTooSlowError(this.limit));
  }

  /**
   * Hands every value, buffered and future, to `sink` synchronously instead of to an iterating
   * consumer: for a consumer that fans values out itself (src/server/live/engine.ts) and keeps
   * its own bounded queues, an await per value would only add latency.
   */
  drainTo(sink: (value: T) => void): void {
    this.sink = sink;
    const buffered = this.buffer;
    this.buffer = [];
    for (const value of buffered) sink(value);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  fail(error: Error): void {
    this.failure = error;
    this.buffer = [];
    this.close();
  }

  /** The producer is done: the consumer reads what is buffered, then the iteration ends. */
  end(): void {
    this.close();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    const resolve = this.waiting;
    this.waiting = undefined;
    if (!resolve) return;
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined;
      // The consumer is waiting on next(): settle it with the failure.
      resolve(Promise.reject(error) as unknown as IteratorResult<T>);
    } else resolve({ value: undefined, done: true });
  }
}
