/**
 * The live channel: every committed transition of this process goes to the in-process bus at
 * once and, batched per event-loop turn, to the processes that want them; transitions from other
 * processes arrive on this process's bus marked `remote`.
 *
 * Only to processes that want them: encoding and sending every transition costs a worker about
 * a third of its CPU at 20k jobs/s (measured), and most worker processes serve no subscriber. A
 * process with live subscribers says so on the channel (at once, then every few seconds); the
 * others publish while such a process is around. Cancels always go out (a worker elsewhere may be
 * running the job). A process that starts listening is sent the last moments of transitions again,
 * so a subscriber never misses one that happened while the news of it travelled; receivers drop
 * what they have already seen.
 *
 * Publishing never blocks job execution: the worker only emits on the bus, and a slow or failing
 * transport drops batches (counted, logged) instead of buffering without bound.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventBus } from './bus.js';
import type { JobTransition } from './events.js';
import type { LiveTransport } from './transport.js';
import { batchHead, decodeBatch, encodeBatches, interestMessage, parseInterest } from './wire.js';

/** Transitions waiting for the transport beyond this are dropped (and counted), never buffered without bound. */
const maxQueuedTransitions = 50_000;
/** How often a process with subscribers says so, and how long the others believe it. */
const interestEveryMs = 2_000;
const interestTtlMs = 3 * interestEveryMs;
/**
 * Transitions kept to send again to a process that just started listening: its news takes a few
 * milliseconds to arrive; keeping more would keep every transition alive past the young
 * generation under load (a major collection's work).
 */
const replayWindowMs = 250;
const maxReplay = 10_000;

export interface LiveChannelOptions {
  /** Whether this process has live subscribers (it then asks the others for their transitions). */
  hasSubscribers(): boolean;
}

export class LiveChannel {
  readonly origin = randomUUID();
  private queue: JobTransition[] = [];
  private flushing = false;
  private readonly offs: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Other processes with subscribers, and when their interest lapses. */
  private readonly interested = new Map<string, number>();
  private recent: JobTransition[] = [];
  private announced = false;
  /** Remote transitions lately delivered (replays repeat some): their identities, oldest first. */
  private readonly seen = new Set<string>();
  /** Transitions that could not be sent to other processes. */
  dropped = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly transport: LiveTransport | undefined,
    private readonly logger: Logger,
    private readonly options: LiveChannelOptions = { hasSubscribers: () => true },
  ) {}

  get transportName(): string | undefined {
    return this.transport?.name;
  }

  /** Whether another process currently wants this one's transitions. */
  get publishing(): boolean {
    const now = Date.now();
    for (const [origin, until] of this.interested) {
      if (until > now) return true;
      this.interested.delete(origin);
    }
    return false;
  }

  async start(): Promise<void> {
    if (!this.transport) return;
    this.offs.push(this.bus.on('subscription:started', () => this.subscribed()));
    this.offs.push(this.bus.on('job:transitions', (transitions) => {
      if (transitions[0]?.remote) return;
      this.remember(transitions);
      const publishing = this.publishing;
      for (const transition of transitions) {
        if (!publishing && transition.to !== 'CANCELED') continue;
        if (this.queue.length >= maxQueuedTransitions) {
          this.dropped += 1;
          continue;
        }
        this.queue.push(transition);
      }
      if (this.queue.length) setImmediate(() => void this.flush());
    }));
    const ownHead = batchHead(this.origin);
    await this.transport.subscribe((payload) => {
      if (payload.startsWith(ownHead)) return; // ours, echoed back
      const interest = parseInterest(payload);
      if (interest) return this.onInterest(interest);
      try {
        const batch = decodeBatch(payload);
        if (batch.origin === this.origin) return;
        const fresh = batch.transitions.filter((transition) => this.unseen(transition)).map((transition) => ({ ...transition, remote: true }));
        if (fresh.length) this.bus.emit('job:transitions', fresh);
      } catch (error) {
        this.logger.warn({ err: error }, 'dropped an unreadable live event batch');
      }
    });
    this.timer = setInterval(() => void this.announce(), interestEveryMs);
    this.timer.unref();
    this.logger.info({ transport: this.transport.name }, 'live events cross processes');
  }

  /** Says, now, that this process has subscribers (call when one arrives). */
  async announce(): Promise<void> {
    if (!this.transport || !this.options.hasSubscribers()) {
      this.announced = false;
      return;
    }
    this.announced = true;
    await this.transport.publish([interestMessage(this.origin)]).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not announce live subscribers to other processes');
    });
  }

  /** A subscriber arrived: announce at once if this process was not asking yet. */
  private subscribed(): void {
    if (!this.announced) void this.announce();
  }

  private onInterest(origin: string): void {
    const known = (this.interested.get(origin) ?? 0) > Date.now();
    this.interested.set(origin, Date.now() + interestTtlMs);
    if (known) return;
    // A new listener: what happened while its news travelled, again.
    const since = Date.now() - replayWindowMs;
    const replay = this.recent.filter((transition) => transition.at.getTime() >= since && transition.to !== 'CANCELED');
    for (const transition of replay) if (this.queue.length < maxQueuedTransitions) this.queue.push(transition);
    if (this.queue.length) setImmediate(() => void this.flush());
  }

  private remember(transitions: readonly JobTransition[]): void {
    const cutoff = Date.now() - replayWindowMs;
    let expired = 0;
    while (expired < this.recent.length && this.recent[expired]!.at.getTime() < cutoff) expired++;
    if (expired) this.recent.splice(0, expired);
    for (const transition of transitions) if (this.recent.length < maxReplay) this.recent.push(transition);
  }

  /** False for a transition this process already delivered (replays repeat a second's worth). */
  private unseen(transition: JobTransition): boolean {
    const identity = `${transition.jobId}:${transition.kind}:${transition.attemptNumber}:${transition.job.updatedAt.getTime()}`;
    if (this.seen.has(identity)) return false;
    this.seen.add(identity);
    if (this.seen.size > 2 * maxReplay) this.seen.delete(this.seen.values().next().value!);
    return true;
  }

  private async flush(): Promise<void> {
    if (this.flushing || !this.transport) return;
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.transport.publish(encodeBatches(this.origin, batch, this.transport.maxPayloadBytes));
        } catch (error) {
          this.dropped += batch.length;
          this.logger.warn({ err: error, transitions: batch.length }, 'could not publish live events to other processes');
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    clearInterval(this.timer);
    await this.flush();
    await this.transport?.close();
  }
}

