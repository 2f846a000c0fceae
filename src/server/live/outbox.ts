/**
 * One connection's way out (a WebSocket or an SSE response), shared by all its subscriptions.
 * Writes go straight to the socket while it keeps up, corked so that a batch of events makes one
 * write per socket per tick. When the socket stops taking bytes (the peer reads slowly, or not at
 * all) frames wait here instead of piling up in Node's stream buffers; a long backlog is compacted
 * to the latest frame per entity (an intermediate state is dropped, a job's latest never is).
 *
 * A reader that keeps reading is never dropped, however large the burst: a backlog is a matter of
 * bytes and of progress, not of count. The connection is closed when the peer has taken nothing
 * for `stallMs` while frames wait (it stopped reading), or when its backlog passes
 * `maxQueuedBytes` after compaction, or when it holds the largest backlog while the whole process
 * is past its budget: a reader that stopped can never cost the others time or the process memory.
 */

export interface OutboxSocket {
  /** Bytes the transport holds that the peer has not taken yet. */
  readonly buffered: number;
  write(frame: Buffer): void;
  cork(): void;
  uncork(): void;
  /** Calls back once the transport can take more. */
  onDrain(callback: () => void): void;
  /** Ends the connection because the peer is too slow. */
  closeTooSlow(reason: string): void;
}

export interface OutboxLimits {
  /** Bytes a connection may have waiting, after compaction, before it is closed. */
  maxQueuedBytes: number;
  /** A connection that takes no bytes for this long while frames wait is closed. */
  stallMs: number;
}

interface Queued {
  frame: Buffer;
  /** Frames with the same key may replace each other (subscription and entity); none: never dropped. */
  key: string | undefined;
}

/** Bytes held by the transport beyond which frames queue here instead. */
const highWaterBytes = 256 * 1024;
/** A backlog this long is compacted (and again each time it doubles since). */
const compactAtFrames = 1_000;

const corked = new Set<Outbox>();
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const outbox of corked) outbox.uncork();
  corked.clear();
}

/** Every backlog of the process: their sum is bounded too. */
const backlogs = new Set<Outbox>();
let backlogBytes = 0;
/** The process's budget for waiting frames, in connections' worth. */
const processBudgetConnections = 32;

export class Outbox {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private isCorked = false;
  /** When the peer last took bytes (or when frames started waiting). */
  private lastProgressAt = 0;
  private compactedTo = 0;
  closed = false;
  /** Frames dropped by compaction (intermediate states the peer never saw). */
  compacted = 0;

  constructor(
    private readonly socket: OutboxSocket,
    private readonly limits: OutboxLimits,
  ) {}

  send(frame: Buffer, key?: string): void {
    if (this.closed) return;
    if (!this.queue.length && this.socket.buffered < highWaterBytes) return this.write(frame);
    const now = Date.now();
    if (!this.queue.length) {
      this.lastProgressAt = now;
      backlogs.add(this);
    }
    this.queue.push({ frame, key });
    this.grow(frame.length);
    if (this.queue.length > compactAtFrames && this.queue.length >= 2 * this.compactedTo) this.compact();
    if (this.queuedBytes > this.limits.maxQueuedBytes) {
      return this.tooSlow(`The connection fell more than ${Math.round(this.limits.maxQueuedBytes / 1024)} KiB of updates behind and was closed; reconnect and resubscribe.`);
    }
    if (now - this.lastProgressAt > this.limits.stallMs) {
      return this.tooSlow(`The connection took no updates for ${Math.round((now - this.lastProgressAt) / 1000)} s (it stopped reading) and was closed; reconnect and resubscribe.`);
    }
    if (backlogBytes > processBudgetConnections * this.limits.maxQueuedBytes) evictLargestBacklog();
    this.waitForDrain();
  }

  private write(frame: Buffer): void {
    if (!this.isCorked) {
      this.isCorked = true;
      this.socket.cork();
      corked.add(this);
      if (!uncorkScheduled) {
        uncorkScheduled = true;
        process.nextTick(uncorkAll);
      }
    }
    this.socket.write(frame);
  }

  uncork(): void {
    if (!this.isCorked) return;
    this.isCorked = false;
    this.socket.uncork();
  }

  private waitForDrain(): void {
    if (this.waitingForDrain || this.closed) return;
    this.waitingForDrain = true;
    this.socket.onDrain(() => {
      this.waitingForDrain = false;
      this.lastProgressAt = Date.now();
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length && !this.closed && this.socket.buffered < highWaterBytes) {
      const { frame } = this.queue.shift()!;
      this.grow(-frame.length);
      this.write(frame);
    }
    if (!this.queue.length) {
      backlogs.delete(this);
      this.compactedTo = 0;
    } else this.waitForDrain();
  }

  private grow(bytes: number): void {
    this.queuedBytes += bytes;
    backlogBytes += bytes;
  }

  /** Keeps each key's latest frame (in the order of those latest frames) and every keyless one. */
  private compact(): void {
    const latest = new Map<string, number>();
    this.queue.forEach((item, index) => {
      if (item.key !== undefined) latest.set(item.key, index);
    });
    const kept = this.queue.filter((item, index) => item.key === undefined || latest.get(item.key) === index);
    this.compacted += this.queue.length - kept.length;
    this.grow(kept.reduce((sum, item) => sum + item.frame.length, 0) - this.queuedBytes);
    this.queue = kept;
    this.compactedTo = kept.length;
  }

  /** Closes the connection; what waited is dropped. */
  tooSlow(reason: string): void {
    if (this.closed) return;
    this.drop();
    this.socket.closeTooSlow(reason);
  }

  /** The connection ended: nothing more is sent, and what waited is let go. */
  drop(): void {
    this.closed = true;
    this.grow(-this.queuedBytes);
    this.queue = [];
    backlogs.delete(this);
  }

  get queued(): number {
    return this.queue.length;
  }

  get bytesQueued(): number {
    return this.queuedBytes;
  }
}

function evictLargestBacklog(): void {
  let largest: Outbox | undefined;
  for (const outbox of backlogs) if (!largest || outbox.bytesQueued > largest.bytesQueued) largest = outbox;
  largest?.tooSlow('The server is holding too many updates for slow connections; this one, the furthest behind, was closed. Reconnect and resubscribe.');
}
