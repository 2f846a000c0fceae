/**
 * Runs one claimed job through the JobRunner and turns whatever happens into an AttemptOutcome:
 * the runner's classification of a failure, an abort (cancel, shutdown, lease loss) as its own
 * outcome whatever the handler threw, and the handler time limit.
 */
import type { Logger } from 'pino';
import type { Job } from '../../db/types.js';
import { systemErrorTypes } from '../../domain/index.js';
import type { AttemptOutcome } from '../../domain/index.js';

/** A failure as the queue needs it: its type, its message, and whether a retry can help. */
export interface ClassifiedFailure {
  errorType: string;
  message: string;
  retryable: boolean;
  /** How long the upstream asked to wait (a 429's Retry-After). */
  retryAfterMs?: number;
  /** Lost to this process, not to the upstream: not counted against the retry budget. */
  uncharged?: boolean;
}

/**
 * What the queue needs to run a job, and nothing more: the handlers and the upstream clients
 * stay behind this (main.ts wires them in), so the queue imports neither.
 */
export interface JobRunner {
  /**
   * Runs the job's handler; rejects with whatever it threw (an unknown job type included).
   * `report` takes the attempt's forensics (stored with the attempt as they are).
   */
  run(job: Job, context: { readonly signal: AbortSignal; readonly logger: Logger; report(details: string): void }): Promise<unknown>;
  /** Any thrown value as a failure. */
  classify(error: unknown): ClassifiedFailure;
}

export type AbortReason = 'canceled' | 'shutdown' | 'lease-lost' | 'timeout';

export class JobAbortedError extends Error {
  override name = 'JobAbortedError';
  constructor(
    readonly reason: AbortReason,
    detail = '',
  ) {
    super(
      {
        canceled: 'The job was canceled while running.',
        shutdown: 'The worker shut down before the handler finished.',
        'lease-lost': 'The worker lost the job lease (another worker took the job over).',
        timeout: `The handler ran past its time limit${detail} and was aborted.`,
      }[reason],
    );
  }
}

/**
 * One attempt's abort signal, made only when someone asks for it (the handler, to pass to its I/O):
 * an AbortController per job was a tenth of the drain's allocations, and most handlers that never
 * look at it cannot be stopped by it anyway. An abort before that is remembered and the signal,
 * once made, is born aborted.
 */
export class AttemptControl {
  private controller: AbortController | undefined;
  /** Why the attempt was aborted, if it was. */
  reason: JobAbortedError | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: JobAbortedError): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  /** Set by executeJob: ends the attempt as aborted without waiting for its handler any longer. */
  abandon: (() => boolean) | undefined;
}

/**
 * Runs the attempt; the handler's time limit is enforced by the caller's sweep (`control.abort`).
 * A handler that ignores its abort signal is abandoned by the caller (`control.abandon()`) after
 * a grace period: the attempt is recorded as aborted and its slot freed, whatever it still does.
 */
export function executeJob(job: Job, runner: JobRunner, entry: { readonly logger: Logger; control: AttemptControl }): Promise<AttemptOutcome> {
  const { control } = entry;
  return new Promise((resolve) => {
    let settled = false;
    control.abandon = () => {
      if (settled) return false;
      settled = true;
      resolve(abortedOutcome(control.reason));
      return true;
    };
    void runAttempt(job, runner, entry).then((outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    });
  });
}

async function runAttempt(job: Job, runner: JobRunner, entry: { readonly logger: Logger; control: AttemptControl }): Promise<AttemptOutcome> {
  const { control } = entry;
  let details: string | null = null;
  try {
    // The logger is bound to the job when first read, the signal made when first read.
    await runner.run(job, {
      get signal() {
        return control.signal;
      },
      get logger() {
        return entry.logger;
      },
      report(text) {
        details = text;
      },
    });
    if (control.reason) return { ...abortedOutcome(control.reason), details };
    return details === null ? succeeded : { success: true, details };
  } catch (thrown) {
    if (control.reason) return { ...abortedOutcome(control.reason), details };
    return { success: false, ...runner.classify(thrown), details };
  }
}

/** Most attempts tell nothing more: one shared outcome. */
const succeeded: AttemptOutcome = { success: true };

function abortedOutcome(reason: unknown): AttemptOutcome {
  const aborted = reason instanceof JobAbortedError ? reason : new JobAbortedError('shutdown');
  switch (aborted.reason) {
    case 'canceled':
      // The job stays CANCELED (the finish keeps it); the attempt is recorded as what it was.
      return { success: false, errorType: systemErrorTypes.canceled, message: aborted.message, retryable: false };
    case 'shutdown':
      return { success: false, errorType: systemErrorTypes.workerShutdown, message: aborted.message, retryable: true, immediate: true, uncharged: true };
    case 'lease-lost':
      return { success: false, errorType: systemErrorTypes.leaseLost, message: aborted.message, retryable: true, immediate: true };
    case 'timeout':
      // Like a timeout upstream: retryable, with backoff, against the budget.
      return { success: false, errorType: systemErrorTypes.handlerTimeout, message: aborted.message, retryable: true };
  }
}
