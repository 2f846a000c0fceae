/**
 * One connection's way out (a WebSocket or an SSE response), shared by all its subscriptions.
 * Writes go straight to the socket while it keeps up, corked so that a batch of events makes one
 * write per socket per tick. When the socket stops taking bytes (the peer stopped reading, the
 * network stalls) frames wait here instead of piling up in the kernel and in Node; past `maxQueued`
 * they are compacted to the latest frame per entity (an intermediate state is dropped, a job's
 * latest never is); a connection still past its bound after that is closed, so a reader that
 * stopped can never cost the others time or the process memory.
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

interface Queued {
  frame: Buffer;
  /** Frames with the same key may replace each other (subscription and entity); none: never dropped. */
  key: string | undefined;
}

/** Bytes held by the transport beyond which frames queue here instead. */
const highWaterBytes = 256 * 1024;

const corked = new Set<Outbox>();
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const outbox of corked) outbox.uncork();
  corked.clear();
}

export class Outbox {
  private queue: Queued[] = [];
  private waitingForDrain = false;
  private isCorked = false;
  closed = false;
  /** Frames dropped by compaction (intermediate states the peer never saw). */
  compacted = 0;

  constructor(
    private readonly socket: OutboxSocket,
    /** Frames waiting (after compaction) beyond which the connection is closed. */
    private readonly maxQueued: number,
  ) {}

  send(frame: Buffer, key?: string): void {
    if (this.closed) return;
    if (!this.queue.length && this.socket.buffered < highWaterBytes) return this.write(frame);
    this.queue.push({ frame, key });
    if (this.queue.length > this.maxQueued) this.compact();
    if (!this.waitingForDrain && !this.closed) {
      this.waitingForDrain = true;
      this.socket.onDrain(() => {
        this.waitingForDrain = false;
        this.flush();
      });
    }
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

  private flush(): void {
    while (this.queue.length && !this.closed && this.socket.buffered < highWaterBytes) this.write(this.queue.shift()!.frame);
    if (this.queue.length && !this.closed && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.socket.onDrain(() => {
        this.waitingForDrain = false;
        this.flush();
      });
    }
  }

  /** Keeps each key's latest frame (in the order of those latest frames) and every keyless one. */
  private compact(): void {
    const latest = new Map<string, number>();
    this.queue.forEach((item, index) => {
      if (item.key !== undefined) latest.set(item.key, index);
    });
    const before = this.queue.length;
    this.queue = this.queue.filter((item, index) => item.key === undefined || latest.get(item.key) === index);
    this.compacted += before - this.queue.length;
    if (this.queue.length > this.maxQueued) {
      this.closed = true;
      this.queue = [];
      this.socket.closeTooSlow(`The connection fell more than ${this.maxQueued} updates behind (it stopped reading) and was closed; reconnect and resubscribe.`);
    }
  }

  get queued(): number {
    return this.queue.length;
  }
}
