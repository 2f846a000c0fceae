/**
 * The live channel: every committed transition of this process goes to the in-process bus at
 * once and, batched per event-loop turn, to the cross-process transport; transitions from other
 * processes arrive on this process's bus marked `remote`. Publishing never blocks job execution:
 * the worker only emits on the bus, and a slow or failing transport drops batches after logging.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventBus } from './bus.js';
import type { JobTransition } from './events.js';
import type { LiveTransport } from './transport.js';
import { decodeBatch, encodeBatches } from './wire.js';

/** Batches waiting for the transport beyond this are dropped (and counted), never buffered without bound. */
const maxQueuedTransitions = 50_000;

export class LiveChannel {
  readonly origin = randomUUID();
  private queue: JobTransition[] = [];
  private flushing = false;
  private off: (() => void) | undefined;
  /** Transitions that could not be sent to other processes. */
  dropped = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly transport: LiveTransport | undefined,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (!this.transport) return;
    this.off = this.bus.on('job:transition', (transition) => {
      if (transition.remote) return;
      if (this.queue.length >= maxQueuedTransitions) {
        this.dropped += 1;
        return;
      }
      this.queue.push(transition);
      if (this.queue.length === 1) setImmediate(() => void this.flush());
    });
    await this.transport.subscribe((payload) => {
      try {
        const batch = decodeBatch(payload);
        if (batch.origin === this.origin) return;
        for (const transition of batch.transitions) this.bus.emit('job:transition', { ...transition, remote: true });
      } catch (error) {
        this.logger.warn({ err: error }, 'dropped an unreadable live event batch');
      }
    });
    this.logger.info({ transport: this.transport.name }, 'live events cross processes');
  }

  private async flush(): Promise<void> {
    if (this.flushing || !this.transport) return;
    this.flushing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue;
        this.queue = [];
        for (const payload of encodeBatches(this.origin, batch, this.transport.maxPayloadBytes)) {
          await this.transport.publish(payload).catch((error: unknown) => {
            this.dropped += batch.length;
            this.logger.warn({ err: error }, 'could not publish live events to other processes');
          });
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async stop(): Promise<void> {
    this.off?.();
    await this.flush();
    await this.transport?.close();
  }
}
