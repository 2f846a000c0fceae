/**
 * One connection's way out (a WebSocket or an SSE response), shared by all its subscriptions.
 * Frames sent during a tick are gathered and written at the end of it as one buffer: one write
 * (one syscall) per socket per tick, whatever the number of events and subscriptions. A frame is
 * handed over as parts (a WebSocket header, the subscriber's id, the event's shared bytes), so
 * fanning an event out to a thousand sockets copies its bytes once per socket and allocates
 * nothing per frame.
 *
 * When the socket stops taking bytes (the peer reads slowly, or not at all) frames wait here
 * instead of piling up in Node's stream buffers; a long backlog is compacted to the latest frame
 * per entity (an intermediate state is dropped, a job's latest never is). A reader that keeps
 * reading is never dropped, however large the burst: a backlog is a matter of bytes and of
 * progress, not of count. The connection is closed when the peer has taken nothing for `stallMs`
 * while frames wait (it stopped reading), or when its backlog passes `maxQueuedBytes` after
 * compaction, or when it holds the largest backlog while the whole process is past its budget.
 */

import { liveBounds } from '../../events/backpressure.js';

export interface OutboxSocket {
  /** Bytes the transport holds that the peer has not taken yet. */
  readonly buffered: number;
  write(bytes: Buffer): void;
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
  parts: readonly Buffer[];
  bytes: number;
  /** Frames with the same scope and entity may replace each other; no scope: never dropped. */
  scope: string | undefined;
  entity: string | number | undefined;
}

/** Bytes held by the transport beyond which frames queue here instead; a backlog this long is compacted (and again each time it doubles since). */
const { highWaterBytes, compactAtFrames, processBacklogConnections: processBudgetConnections } = liveBounds.outbox;

/** Outboxes with frames gathered this tick. */
const gathering = new Set<Outbox>();
let flushScheduled = false;

function flushTick(): void {
  flushScheduled = false;
  // Taken out first: writing may gather again (a backlog moving on), for the next tick.
  const outboxes = [...gathering];
  gathering.clear();
  for (const outbox of outboxes) outbox.writeGathered();
}

/** Every backlog of the process: their sum is bounded too. */
const backlogs = new Set<Outbox>();
let backlogBytes = 0;

const partsOf = (frame: Buffer | readonly Buffer[]): readonly Buffer[] => (Buffer.isBuffer(frame) ? [frame] : frame);
const sizeOf = (parts: readonly Buffer[]) => {
  let bytes = 0;
  for (const part of parts) bytes += part.length;
  return bytes;
};

export class Outbox {
  /** This tick's frames, written together at its end. */
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private isGathering = false;
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
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

  /**
   * Sends a frame (one buffer, or its parts in order). `scope` and `entity` name what it is about
   * (a subscription and a job): a backlog keeps only the latest frame of each pair.
   */
  send(frame: Buffer | readonly Buffer[], scope?: string, entity?: string | number): void {
    if (this.closed) return;
    if (!this.queue.length && this.socket.buffered + this.gatheredBytes < highWaterBytes) return this.gather(frame);
    const parts = partsOf(frame);
    const bytes = sizeOf(parts);
    const now = Date.now();
    if (!this.queue.length) {
      this.lastProgressAt = now;
      backlogs.add(this);
    }
    this.queue.push({ parts, bytes, scope, entity });
    this.grow(bytes);
    if (this.queue.length > compactAtFrames && this.queue.length >= 2 * this.compactedTo) this.compact();
    if (this.queuedBytes > this.limits.maxQueuedBytes) {
      return this.tooSlow(`The connection fell more than ${Math.round(this.limits.maxQueuedBytes / 1024)} KiB of updates behind and was closed; reconnect and resubscribe.`);
    }
    if (now - this.lastProgressAt > this.limits.stallMs) {
      return this.tooSlow(`The connection took no updates for ${Math.round((now - this.lastProgressAt) / 1000)} s (it stopped reading) and was closed; reconnect and resubscribe.`);
    }
    if (backlogBytes > processBudgetConnections * this.limits.maxQueuedBytes) evictLargestBacklog();
    // Moves on when the socket drains, or when this tick's batch is written.
    if (!this.waitingForDrain && !this.isGathering) this.pump();
  }

  private gather(frame: Buffer | readonly Buffer[]): void {
    if (Buffer.isBuffer(frame)) {
      this.gathered.push(frame);
      this.gatheredBytes += frame.length;
    } else {
      for (const part of frame) {
        this.gathered.push(part);
        this.gatheredBytes += part.length;
      }
    }
    if (!this.isGathering) {
      this.isGathering = true;
      gathering.add(this);
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(flushTick);
      }
    }
  }

  /** Writes what this tick gathered, as one buffer. */
  writeGathered(): void {
    this.isGathering = false;
    if (!this.gathered.length) return;
    const bytes = this.gathered.length === 1 ? this.gathered[0]! : Buffer.concat(this.gathered, this.gatheredBytes);
    this.gathered = [];
    this.gatheredBytes = 0;
    if (this.closed) return;
    this.socket.write(bytes);
    if (this.queue.length && !this.waitingForDrain) this.pump();
  }

  /**
   * Moves waiting frames into this tick's batch while the socket has room. What is left goes on
   * when the socket drains (it is full) or once this batch is written (the batch is full).
   */
  private pump(): void {
    while (this.queue.length && !this.closed && this.socket.buffered + this.gatheredBytes < highWaterBytes) {
      const { parts, bytes } = this.queue.shift()!;
      this.grow(-bytes);
      this.gather(parts);
    }
    if (!this.queue.length) {
      backlogs.delete(this);
      this.compactedTo = 0;
    } else if (this.socket.buffered >= highWaterBytes) this.waitForDrain();
  }

  private waitForDrain(): void {
    if (this.waitingForDrain || this.closed) return;
    this.waitingForDrain = true;
    this.socket.onDrain(() => {
      this.waitingForDrain = false;
      this.lastProgressAt = Date.now();
      this.pump();
    });
  }

  private grow(bytes: number): void {
    this.queuedBytes += bytes;
    backlogBytes += bytes;
  }

  /** Keeps each scope and entity's latest frame (in the order of those latest frames) and every unscoped one. */
  private compact(): void {
    const latest = new Map<string, number>();
    const keyOf = (item: Queued) => (item.scope === undefined ? undefined : `${item.scope}\u0000${item.entity}`);
    this.queue.forEach((item, index) => {
      const key = keyOf(item);
      if (key !== undefined) latest.set(key, index);
    });
    const kept = this.queue.filter((item, index) => {
      const key = keyOf(item);
      return key === undefined || latest.get(key) === index;
    });
    this.compacted += this.queue.length - kept.length;
    this.grow(sizeOf(kept.flatMap((item) => item.parts)) - this.queuedBytes);
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
    this.gathered = [];
    this.gatheredBytes = 0;
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
