/** A live connection's way out: one write batch per tick, compaction of a backlog, close on a stall or past its bytes. */
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxSocket } from '../src/server/subscriptions/outbox.js';

/** A transport whose peer reads only when told to. */
class StalledSocket implements OutboxSocket {
  buffered = 0;
  /** Each write, as text. */
  readonly writes: string[] = [];
  private drainCallbacks: (() => void)[] = [];
  closedWith: string | undefined;

  write(bytes: Buffer): void {
    this.writes.push(bytes.toString());
    this.buffered += bytes.length;
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
  /** Frames written, assuming each is a `|`-terminated text. */
  get frames(): string[] {
    return this.writes.join('').split('|').filter(Boolean);
  }
}

const frame = (text: string) => Buffer.from(`${text}|`);
const roomy = { maxQueuedBytes: 64 * 1024 * 1024, stallMs: 60_000 };
const tick = () => new Promise((resolve) => process.nextTick(resolve));

describe('live outbox', () => {
  it('writes the frames of one tick, parts and all, as one write', async () => {
    const socket = new StalledSocket();
    const outbox = new Outbox(socket, roomy);
    outbox.send(frame('a'));
    outbox.send([Buffer.from('b1'), Buffer.from('b2'), frame('b3')], 'sub', 1);
    outbox.send(frame('c'));
    expect(socket.writes).toEqual([]);
    await tick();
    outbox.send(frame('d'));
    await tick();
    expect(socket.writes).toEqual(['a|b1b2b3|c|', 'd|']);
  });

  it('compacts a long backlog to the latest frame per key, in order, and sends it once the peer reads', async () => {
    const socket = new StalledSocket();
    socket.buffered = 1024 * 1024; // the peer stopped reading
    const outbox = new Outbox(socket, roomy);
    outbox.send(frame('ack')); // keyless: never dropped
    for (let i = 0; i < 1_000; i++) outbox.send(frame(`job${i % 3}:${i}`), 'sub', i % 3);
    expect(outbox.queued).toBe(4);
    expect(outbox.compacted).toBe(997);
    expect(socket.writes).toEqual([]);
    socket.drain();
    await tick();
    expect(socket.frames).toEqual(['ack', 'job1:997', 'job2:998', 'job0:999']);
    expect(socket.closedWith).toBeUndefined();
  });

  it('never drops a reader that keeps reading, however many distinct jobs a burst brings', async () => {
    const socket = new StalledSocket();
    const outbox = new Outbox(socket, { maxQueuedBytes: 1024 * 1024, stallMs: 1_000 });
    socket.buffered = 1024 * 1024;
    for (let job = 0; job < 20_000; job++) {
      outbox.send(frame(`job${job}`), 'sub', job);
      if (job % 500 === 499) {
        socket.drain(); // it reads, a little behind
        await tick();
      }
    }
    socket.drain();
    await tick();
    expect(socket.closedWith).toBeUndefined();
    expect(socket.frames).toHaveLength(20_000);
  });

  it('brings a burst larger than one batch to a fast reader whole, batch after batch', async () => {
    // The peer takes each write at once: the batch written at a tick's end gathers the next one.
    const socket = new StalledSocket();
    const outbox = new Outbox(socket, roomy);
    const bigFrame = (i: number) => Buffer.from(`${String(i).padStart(6, '0')}${'x'.repeat(4_000)}|`);
    socket.buffered = 300 * 1024; // the first frames queue: the transport is past its mark
    for (let i = 0; i < 500; i++) outbox.send(bigFrame(i), 'sub', i);
    socket.drain();
    const originalWrite = socket.write.bind(socket);
    socket.write = (bytes) => {
      originalWrite(bytes);
      socket.buffered = 0;
    };
    for (let i = 0; i < 20 && socket.frames.length < 500; i++) await tick();
    expect(socket.frames.map((text) => Number(text.slice(0, 6)))).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(socket.writes.length).toBeGreaterThan(1);
  });

  it('closes a connection that takes nothing for the stall time while updates wait', async () => {
    const socket = new StalledSocket();
    socket.buffered = 1024 * 1024;
    const outbox = new Outbox(socket, { maxQueuedBytes: 1024 * 1024, stallMs: 50 });
    outbox.send(frame('job1'), 'sub', 1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    outbox.send(frame('job2'), 'sub', 2);
    expect(socket.closedWith).toMatch(/took no updates for \d+ s \(it stopped reading\)/);
    expect(outbox.closed).toBe(true);
    socket.drain();
    outbox.send(frame('job3'), 'sub', 3);
    await tick();
    expect(socket.writes).toEqual([]);
  });

  it('closes a connection whose backlog passes its byte bound after compaction', () => {
    const socket = new StalledSocket();
    socket.buffered = 1024 * 1024;
    const outbox = new Outbox(socket, { maxQueuedBytes: 64 * 1024, stallMs: 60_000 });
    for (let job = 0; job < 2_000 && !outbox.closed; job++) outbox.send(Buffer.alloc(100, 'x'), 'sub', job);
    expect(socket.closedWith).toMatch(/more than 64 KiB of updates behind/);
    expect(outbox.bytesQueued).toBe(0);
  });
});
