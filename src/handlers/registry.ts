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
  private readonly handlers = new Map<string, Handler>();

  register(jobType: string, payloadVersion: number, handler: Handler): this {
    this.handlers.set(`${jobType}@${payloadVersion}`, handler);
    return this;
  }

  get(jobType: string, payloadVersion: number): Handler | undefined {
    return this.handlers.get(`${jobType}@${payloadVersion}`);
  }
}
