/**
 * What the queue runs jobs through (its JobRunner, src/queue/executor.ts, matched by shape): the
 * handler registry, the upstream clients and the SPEC's error classification, wired together
 * here so the queue needs none of them.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Clients } from '../integrations/clients.js';
import { coerceError, IntegrationError, LocalResourcesError, UpstreamRateLimitedError, ValidationError } from '../integrations/errors.js';
import { attemptDetailsJson, ExchangeLog } from '../integrations/exchanges.js';
import { defaultRedactor, type Redactor } from '../integrations/redaction.js';
import type { HandlerJob, HandlerRegistry } from './registry.js';

/** What the queue gives a run: the attempt's abort signal and logger, and where its forensics go. */
interface AttemptContext {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  report(details: string): void;
}

/**
 * `clientsFor` makes the upstream clients for one attempt, recording its exchanges in the log:
 * made only when the handler first reads `clients`, so a handler that calls nothing pays nothing.
 */
export function createJobRunner(handlers: HandlerRegistry, clientsFor: (log: ExchangeLog) => Clients, redactor?: Redactor) {
  return {
    async run(job: HandlerJob, context: AttemptContext): Promise<unknown> {
      const handler = handlers.get(job.jobType, job.payloadVersion);
      if (!handler) throw new ValidationError(`No handler for job type "${job.jobType}" payload version ${job.payloadVersion}.`);
      let log: ExchangeLog | undefined;
      let clients: Clients | undefined;
      let unexpected: unknown;
      try {
        return await handler({
          job,
          correlationId: job.correlationId,
          // All made on first use (see the worker).
          get clients() {
            return (clients ??= clientsFor((log = new ExchangeLog())));
          },
          get signal() {
            return context.signal;
          },
          get logger() {
            return context.logger;
          },
        });
      } catch (error) {
        if (!(error instanceof IntegrationError)) unexpected = error; // an upstream's answer needs no stack; a bug does
        throw error;
      } finally {
        // The attempt's span is the active one while tracing is on (src/queue/worker.ts); invalid otherwise.
        const span = trace.getActiveSpan()?.spanContext();
        const details = attemptDetailsJson(log?.calls ?? [], unexpected, span && isSpanContextValid(span) ? span.traceId : undefined, redactor);
        if (details) context.report(details);
      }
    },
    classify(thrown: unknown) {
      const error = coerceError(thrown);
      return {
        errorType: error.errorType,
        // Kept as lastError and shown to viewers: a handler's own message may quote a secret too.
        message: (redactor ?? defaultRedactor).text(error.message),
        retryable: error.retryable,
        retryAfterMs: error instanceof UpstreamRateLimitedError ? error.retryAfterMs : undefined,
        uncharged: error instanceof LocalResourcesError,
      };
    },
  };
}
