/**
 * Handlers by (jobType, payloadVersion). An unknown pair is a non-retryable failure of the job,
 * decided by the executor, not an exception here.
 */
import type { Logger } from 'pino';
import type { Clients } from '../integrations/clients.js';

/** What a handler may read of its job. */
export interface HandlerJob {
  id: number;
  jobType: string;
  entityType: string;
  entityId: string;
  payloadVersion: number;
  attemptCount: number;
  correlationId: string;
}

export interface HandlerContext {
  job: HandlerJob;
  correlationId: string;
  /** Bound to the job: every line carries job id, type, entity, attempt and correlation id. */
  logger: Logger;
  /** Fires on cancel, shutdown and lease loss; pass it to every I/O call. */
  signal: AbortSignal;
  clients: Clients;
}

export type Handler = (context: HandlerContext) => Promise<unknown>;

export class HandlerRegistry {
  /** By job type, then payload version (no key string built per lookup: it runs per job). */
  private readonly handlers = new Map<string, Map<number, Handler>>();

  register(jobType: string, payloadVersion: number, handler: Handler): this {
    let versions = this.handlers.get(jobType);
    if (!versions) this.handlers.set(jobType, (versions = new Map()));
    versions.set(payloadVersion, handler);
    return this;
  }

  get(jobType: string, payloadVersion: number): Handler | undefined {
    return this.handlers.get(jobType)?.get(payloadVersion);
  }
}
