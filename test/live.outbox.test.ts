/** A live connection's way out: one write batch per tick, compaction of a backlog, close on a stall or past its bytes. */
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxSocket } from '../src/server/live/outbox.js';

/** A transport whose peer reads only when told to. */
class StalledSocket implements OutboxSocket {
  buffered = 0;
  readonly written: string[] = [];
  readonly flushes: string[][] = [];
  private batch: string[] | undefined;
  private drainCallbacks: (() => void)[] = [];
  closedWith: string | undefined;

  write(frame: Buffer): void {
    this.written.push(frame.toString());
    this.buffered += frame.length;
    (this.batch ??= []).push(frame.toString());
  }
  cork(): void {
    this.batch = [];
  }
  uncork(): void {
    if (this.batch) this.flushes.push(this.batch);
    this.batch = undefined;
  }
  onDrain(callback: () => void): void {
    this.drainCallbacks.push(callback);
  }
  closeTooSlow(reason: string): void {
    this.closedWith = reason;
  }
  /** The peer reads everything. */
  drain(): void {
    this.buffered = 0;
    const callbacks = this.drainCallbacks;
    this.drainCallbacks = [];
    for (const callback of callbacks) callback();
  }
}

const frame = (text: string) => Buffer.from(text);
const roomy = { maxQueuedBytes: 64 * 1024 * 1024, stallMs: 60_000 };
const tick = () => new Promise((resolve) => process.nextTick(resolve));

describe('live outbox', () => {
  it('writes the frames of one tick in one corked batch', async () => {
    const socket = new StalledSocket();
    const outbox = new Outbox(socket, roomy);
    for (const text of ['a', 'b', 'c']) outbox.send(frame(text));
    await tick();
    outbox.send(frame('d'));
    await tick();
    expect(socket.flushes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('compacts a long backlog to the latest frame per key, in order, and sends it once the peer reads', async () => {
    const socket = new StalledSocket();
    socket.buffered = 1024 * 1024; // the peer stopped reading
    const outbox = new Outbox(socket, roomy);
    outbox.send(frame('ack')); // keyless: never dropped
    for (let i = 0; i < 1_000; i++) outbox.send(frame(`job${i % 3}:${i}`), String(i % 3));
    expect(outbox.queued).toBe(4);
    expect(outbox.compacted).toBe(997);
    expect(socket.written).toEqual([]);
    socket.drain();
    await tick();
    expect(socket.written).toEqual(['ack', 'job1:997', 'job2:998', 'job0:999']);
    expect(socket.closedWith).toBeUndefined();
  });

  it('never drops a reader that keeps reading, however many distinct jobs a burst brings', async () => {
    const socket = new StalledSocket();
    const outbox = new Outbox(socket, { maxQueuedBytes: 1024 * 1024, stallMs: 1_000 });
    socket.buffered = 1024 * 1024;
    for (let job = 0; job < 20_000; job++) {
      outbox.send(frame(`job${job}`), String(job));
      if (job % 500 === 499) socket.drain(); // it reads, a little behind
    }
    socket.drain();
    await tick();
    expect(socket.closedWith).toBeUndefined();
    expect(socket.written).toHaveLength(20_000);
  });

  it('closes a connection that takes nothing for the stall time while updates wait', async () => {
    const socket = new StalledSocket();
    socket.buffered = 1024 * 1024;
    const outbox = new Outbox(socket, { maxQueuedBytes: 1024 * 1024, stallMs: 50 });
    outbox.send(frame('job1'), '1');
    await new Promise((resolve) => setTimeout(resolve, 80));
    outbox.send(frame('job2'), '2');
    expect(socket.closedWith).toMatch(/took no updates for \d+ s \(it stopped reading\)/);
    expect(outbox.closed).toBe(true);
    socket.drain();
    outbox.send(frame('job3'), '3');
    expect(socket.written).toEqual([]);
  });

  it('closes a connection whose backlog passes its byte bound after compaction', () => {
    const socket = new StalledSocket();
    socket.buffered = 1024 * 1024;
    const outbox = new Outbox(socket, { maxQueuedBytes: 64 * 1024, stallMs: 60_000 });
    for (let job = 0; job < 2_000 && !outbox.closed; job++) outbox.send(Buffer.alloc(100, 'x'), String(job));
    expect(socket.closedWith).toMatch(/more than 64 KiB of updates behind/);
    expect(outbox.bytesQueued).toBe(0);
  });
});
