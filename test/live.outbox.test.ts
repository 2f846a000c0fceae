/** A live connection's way out: one write batch per tick, compaction of a stalled backlog, then close. */
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
const tick = () => new Promise((resolve) => process.nextTick(resolve));

describe('live outbox', () => {
  it('writes the frames of one tick in one corked batch', async () => {
    const socket = new StalledSocket();
    const outbox = new Outbox(socket, 10);
    for (const text of ['a', 'b', 'c']) outbox.send(frame(text));
    await tick();
    outbox.send(frame('d'));
    await tick();
    expect(socket.flushes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('keeps the latest frame per key while the peer is stalled, in order, and sends them once it reads', async () => {
    const socket = new StalledSocket();
    socket.buffered = 1024 * 1024; // the peer stopped reading
    const outbox = new Outbox(socket, 4);
    outbox.send(frame('job1:PENDING'), '1');
    outbox.send(frame('job2:PENDING'), '2');
    outbox.send(frame('ack')); // keyless: never dropped
    outbox.send(frame('job1:RUNNING'), '1');
    outbox.send(frame('job1:SUCCEEDED'), '1'); // past 4 waiting: compacted
    expect(outbox.queued).toBe(3);
    expect(outbox.compacted).toBe(2);
    expect(socket.written).toEqual([]);
    socket.drain();
    await tick();
    expect(socket.written).toEqual(['job2:PENDING', 'ack', 'job1:SUCCEEDED']);
    expect(socket.closedWith).toBeUndefined();
  });

  it('closes a connection still past its bound after compaction, and sends nothing more', () => {
    const socket = new StalledSocket();
    socket.buffered = 1024 * 1024;
    const outbox = new Outbox(socket, 3);
    for (let job = 1; job <= 4; job++) outbox.send(frame(`job${job}`), String(job));
    expect(socket.closedWith).toMatch(/more than 3 updates behind/);
    expect(outbox.closed).toBe(true);
    socket.drain();
    outbox.send(frame('job5'), '5');
    expect(socket.written).toEqual([]);
  });
});
