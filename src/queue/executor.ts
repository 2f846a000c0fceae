/**
 * Runs one claimed job's handler and turns whatever happens into an AttemptOutcome: the SPEC's
 * error classification, an unknown (jobType, payloadVersion) as a non-retryable failure, and an
 * abort (cancel, shutdown, lease loss) as its own outcome whatever the handler threw.
 */
import type { Logger } from 'pino';
import type { Job } from '../db/client.js';
import type { HandlerRegistry } from '../handlers/registry.js';
import { coerceError, UpstreamRateLimitedError, ValidationError } from '../integrations/errors.js';
import type { Clients } from '../integrations/clients.js';
import type { AttemptOutcome } from './outcome.js';

export type AbortReason = 'canceled' | 'shutdown' | 'lease-lost';

export class JobAbortedError extends Error {
  override name = 'JobAbortedError';
  constructor(readonly reason: AbortReason) {
    super(
      reason === 'canceled'
        ? 'The job was canceled while running.'
        : reason === 'shutdown'
          ? 'The worker shut down before the handler finished.'
          : 'The worker lost the job lease (another worker took the job over).',
    );
  }
}

export async function executeJob(
  job: Job,
  deps: { handlers: HandlerRegistry; clients: Clients; logger: Logger; signal: AbortSignal },
): Promise<AttemptOutcome> {
  const handler = deps.handlers.get(job.jobType, job.payloadVersion);
  if (!handler) {
    const error = new ValidationError(`No handler for job type "${job.jobType}" payload version ${job.payloadVersion}.`);
    return { success: false, errorType: error.errorType, message: error.message, retryable: false };
  }
  try {
    await handler({ job, correlationId: job.correlationId, logger: deps.logger, signal: deps.signal, clients: deps.clients });
    if (deps.signal.aborted) return abortedOutcome(deps.signal.reason);
    return { success: true };
  } catch (thrown) {
    if (deps.signal.aborted) return abortedOutcome(deps.signal.reason);
    const error = coerceError(thrown);
    return {
      success: false,
      errorType: error.errorType,
      message: error.message,
      retryable: error.retryable,
      retryAfterMs: error instanceof UpstreamRateLimitedError ? error.retryAfterMs : undefined,
    };
  }
}

function abortedOutcome(reason: unknown): AttemptOutcome {
  const aborted = reason instanceof JobAbortedError ? reason : new JobAbortedError('shutdown');
  switch (aborted.reason) {
    case 'canceled':
      // The job stays CANCELED (finishJobs keeps it); the attempt is recorded as what it was.
      return { success: false, errorType: 'Canceled', message: aborted.message, retryable: false };
    case 'shutdown':
      return { success: false, errorType: 'WorkerShutdown', message: aborted.message, retryable: true, immediate: true, budgetFree: true };
    case 'lease-lost':
      return { success: false, errorType: 'LeaseLost', message: aborted.message, retryable: true, immediate: true };
  }
}
