/**
 * What the queue runs jobs through (its JobRunner, src/queue/executor.ts, matched by shape): the
 * handler registry, the upstream clients and the SPEC's error classification, wired together
 * here so the queue needs none of them.
 */
import type { Logger } from 'pino';
import type { Clients } from '../integrations/clients.js';
import { coerceError, UpstreamRateLimitedError, ValidationError } from '../integrations/errors.js';
import type { HandlerJob, HandlerRegistry } from './registry.js';

export function createJobRunner(handlers: HandlerRegistry, clients: Clients) {
  return {
    async run(job: HandlerJob, context: { readonly signal: AbortSignal; readonly logger: Logger }): Promise<unknown> {
      const handler = handlers.get(job.jobType, job.payloadVersion);
      if (!handler) throw new ValidationError(`No handler for job type "${job.jobType}" payload version ${job.payloadVersion}.`);
      return handler({
        job,
        correlationId: job.correlationId,
        clients,
        // Both made on first use (see the worker).
        get signal() {
          return context.signal;
        },
        get logger() {
          return context.logger;
        },
      });
    },
    classify(thrown: unknown) {
      const error = coerceError(thrown);
      return {
        errorType: error.errorType,
        message: error.message,
        retryable: error.retryable,
        retryAfterMs: error instanceof UpstreamRateLimitedError ? error.retryAfterMs : undefined,
      };
    },
  };
}
