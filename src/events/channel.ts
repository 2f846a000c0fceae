/**
 * The live channel: every committed transition of this process goes to the in-process bus at
 * once and, batched per event-loop turn, to the processes that want them; transitions from other
 * processes arrive on this process's bus marked `remote`.
 *
 * Only to processes that want them: encoding and sending every transition costs a worker about
 * a third of its CPU at 20k jobs/s (measured), and most worker processes serve no subscriber. A
 * process with live subscribers says so on the channel (at once, then every few seconds); the
 * others publish while such a process is around, or while they cannot hear whether one is.
 * Cancels always go out (a worker elsewhere may be running the job). A process that starts
 * listening is sent the last moments of transitions again, so a subscriber never misses one that
 * happened while the news of it travelled; receivers drop what they have already seen.
 *
 * Publishing never blocks job execution: the worker only emits on the bus, and a slow or failing
 * transport drops batches (counted, logged) instead of buffering without bound.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventBus } from './bus.js';
import type { JobStatus, JobTransition } from './events.js';
import type { Job } from '../db/types.js';
import type { EventTransport } from './transport.js';
import { liveBounds } from './backpressure.js';
import { batchHead, decodeBatch, encodeBatches, interestMessage, parseInterest } from './wire.js';

/** Transitions waiting for the transport beyond this are dropped (and counted), never buffered without bound. */
const maxQueuedTransitions = liveBounds.channelQueue;
/** How often a process with subscribers says so, and how long the others believe it. */
const interestEveryMs = 2_000;
const interestTtlMs = 3 * interestEveryMs;
/**
 * Transitions kept to send again to a process that just started listening: its news takes a few
 * milliseconds to arrive; keeping more would keep every transition alive past the young
 * generation under load (a major collection's work).
 */
const replayWindowMs = liveBounds.channelReplay.windowMs;
const maxReplay = liveBounds.channelReplay.count;

export interface LiveChannelOptions {
  /** Whether this process has live subscribers (it then asks the others for their transitions). */
  hasSubscribers(): boolean;
  /** Jobs changed since `since`, as committed (read after the channel was interrupted). */
  changedSince?(since: Date): Promise<Job[]>;
}

/** A publish that fails is tried again for this long (the transport restarting) before its batch is dropped. */
const publishPatienceMs = 60_000;
/** Catching up after an interruption starts this much before it: a commit whose news was on its way. */
const catchUpMarginMs = 5_000;

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
  private stopped = false;
  /** Until when this process publishes whatever it has heard, its subscription having been away. */
  private deafUntil = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly transport: EventTransport | undefined,
    private readonly logger: Logger,
    private readonly options: LiveChannelOptions = { hasSubscribers: () => true },
  ) {}

  get transportName(): string | undefined {
    return this.transport?.name;
  }

  /** Whether another process currently wants this one's transitions. */
  get publishing(): boolean {
    const now = Date.now();
    // Deaf (its subscription lost, or just back), this process cannot know who wants them:
    // interest it did not hear is not interest that lapsed. It publishes to all until the others
    // had time to say so again; a receiver back from the same outage catches up from the database.
    if (now < this.deafUntil || !this.transport!.healthy()) return true;
    for (const [origin, until] of this.interested) {
      if (until > now) return true;
      this.interested.delete(origin);
    }
    return false;
  }

  async start(): Promise<void> {
    if (!this.transport) return;
    this.offs.push(this.bus.on('subscription:started', () => this.subscribed()));
    this.offs.push(
      this.bus.on('job:transitions', (transitions) => {
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
      }),
    );
    const ownHead = batchHead(this.origin);
    const onMessage = (payload: string) => {
      if (payload.startsWith(ownHead)) return; // ours, echoed back
      const interest = parseInterest(payload);
      if (interest) return this.onInterest(interest);
      try {
        const batch = decodeBatch(payload);
        if (batch.origin === this.origin) return;
        const fresh = batch.transitions.filter((transition) => this.unseen(transition)).map((transition) => ({ ...transition, remote: true, origin: batch.origin }));
        if (fresh.length) this.bus.emit('job:transitions', fresh);
      } catch (error) {
        this.logger.warn({ err: error }, 'dropped an unreadable live event batch');
      }
    };
    await this.transport.subscribe(onMessage, (lostAt) => {
      this.deafUntil = Date.now() + interestTtlMs;
      void this.catchUp(lostAt);
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

  /**
   * Back after an interruption: says again that this process has subscribers (the others may
   * have stopped publishing to it meanwhile); delivers the committed state of every job that
   * changed since, unless something newer of it arrived in the meantime; and tells the others
   * again too: what this process did while cut off may not have reached them (a commit whose
   * answer was lost with the connection is never published by its writer).
   */
  private async catchUp(lostAt: Date): Promise<void> {
    void this.announce();
    const deliver = this.options.hasSubscribers();
    const republish = this.publishing;
    if (!this.options.changedSince || (!deliver && !republish)) return;
    const since = new Date(lostAt.getTime() - catchUpMarginMs);
    const deliveredMeanwhile = new Map<number, number>();
    const off = this.bus.on('job:transitions', (transitions) => {
      for (const { jobId, job } of transitions) deliveredMeanwhile.set(jobId, Math.max(deliveredMeanwhile.get(jobId) ?? 0, job.updatedAt.getTime()));
    });
    try {
      const jobs = (await this.options.changedSince(since)).sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime());
      const resynced = (job: Job): JobTransition => ({
        jobId: job.id,
        from: null,
        to: job.status as JobStatus,
        kind: 'resynced',
        attemptNumber: job.attemptCount,
        at: job.updatedAt,
        job,
      });
      if (republish) {
        for (const job of jobs) if (this.queue.length < maxQueuedTransitions) this.queue.push(resynced(job));
        if (this.queue.length) setImmediate(() => void this.flush());
      }
      const transitions = deliver
        ? jobs
            .filter((job) => (deliveredMeanwhile.get(job.id) ?? -1) < job.updatedAt.getTime())
            .map((job): JobTransition => ({ ...resynced(job), remote: true, origin: 'catch-up' }))
            .filter((transition) => this.unseen(transition))
        : [];
      if (transitions.length) this.bus.emit('job:transitions', transitions);
      this.logger.info({ since, jobs: transitions.length, republished: republish ? jobs.length : 0 }, 'live channel back: delivered the state of jobs changed meanwhile');
    } catch (error) {
      this.logger.warn({ err: error, since }, 'live channel back, but the jobs changed meanwhile could not be read');
    } finally {
      off();
    }
  }

  /** False for a job state this process already delivered (replays and catch-ups repeat some). */
  private unseen(transition: JobTransition): boolean {
    const { job } = transition;
    const identity = `${job.id}:${job.status}:${job.attemptCount}:${job.updatedAt.getTime()}`;
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
        await this.publish(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Publishes in order, trying again while the transport is away (new transitions queue meanwhile, bounded). */
  private async publish(batch: JobTransition[]): Promise<void> {
    const payloads = encodeBatches(this.origin, batch, this.transport!.maxPayloadBytes);
    const giveUpAt = Date.now() + publishPatienceMs;
    for (let delayMs = 100, tries = 1; ; delayMs = Math.min(delayMs * 2, 2_000), tries++) {
      try {
        await this.transport!.publish(payloads);
        if (tries > 1) this.logger.info({ transitions: batch.length, tries }, 'published live events to other processes after a failure');
        return;
      } catch (error) {
        if (this.stopped || Date.now() + delayMs > giveUpAt) {
          this.dropped += batch.length;
          this.logger.warn({ err: error, transitions: batch.length }, 'could not publish live events to other processes; dropped');
          return;
        }
        if (tries === 1) this.logger.warn({ err: error, transitions: batch.length }, 'could not publish live events to other processes; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    clearInterval(this.timer);
    await this.flush();
    await this.transport?.close();
  }
}
