/**
 * Failures of a job's work as typed errors: upstream answers classified exactly per SPEC →
 * "Error classification", and the two a handler throws itself (RetryableError,
 * NonRetryableError). The executor reads only `errorType`, `retryable`, `retryAfterMs` and
 * `uncharged`; everything else is for logs.
 */
/** Each error's class names, under a global symbol: `instanceof` holds across copies of the package. */
const errorKinds = Symbol.for('syncbridge.errorKinds');

export abstract class IntegrationError extends Error {
  /**
   * True for this class's own instances and for those another copy of the package made (a job
   * types module importing its own `syncbridge`), so a handler's RetryableError is classified as
   * one wherever it came from.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const kinds = typeof value === 'object' && value !== null ? (value as { [errorKinds]?: unknown })[errorKinds] : undefined;
    return Array.isArray(kinds) && kinds.includes(this.name);
  }

  abstract readonly errorType: string;
  abstract readonly retryable: boolean;
  /** How long the upstream (or the handler) asked to wait before the next attempt. */
  readonly retryAfterMs?: number;
  /** The upstream's HTTP status, when it answered. */
  readonly statusCode: number | undefined;
  /** The upstream's answer, when it gave one (for the attempt's forensics; never logged whole). */
  declare readonly responseText: string | undefined;
  constructor(message: string, options: { statusCode?: number; responseText?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.statusCode = options.statusCode;
    const kinds: string[] = [];
    for (let type = new.target as unknown as { name: string } | null; type && type.name; type = Object.getPrototypeOf(type) as { name: string } | null) kinds.push(type.name);
    Object.defineProperty(this, errorKinds, { value: kinds, enumerable: false });
    // Not enumerable: log serializers copy enumerable fields, and a body may be megabytes.
    Object.defineProperty(this, 'responseText', { value: options.responseText, enumerable: false });
  }
}

/** No response (connection error, timeout) or a 5xx: retryable. */
export class UpstreamTimeoutError extends IntegrationError {
  override name = 'UpstreamTimeoutError';
  readonly errorType = 'UpstreamTimeout' as const;
  readonly retryable = true;
}

/** 429: retryable; a Retry-After may lengthen the backoff (never shorten it). */
export class UpstreamRateLimitedError extends IntegrationError {
  override name = 'UpstreamRateLimitedError';
  readonly errorType = 'UpstreamRateLimited' as const;
  readonly retryable = true;
  override readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs: number | undefined, options: { statusCode?: number; responseText?: string; cause?: unknown } = {}) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Names a handler gives its own failures: letters, digits and _ (they label metrics). */
const errorTypePattern = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * Thrown by a handler: this attempt failed and a later one may succeed. Retried with the type's
 * backoff while its retry budget lasts, then DEAD; `retryAfterSeconds` lengthens the wait (never
 * shortens it).
 */
export class RetryableError extends IntegrationError {
  override name = 'RetryableError';
  readonly errorType: string;
  readonly retryable = true;
  override readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryAfterSeconds?: number; errorType?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.errorType = options.errorType && errorTypePattern.test(options.errorType) ? options.errorType : 'RetryableError';
    this.retryAfterMs = options.retryAfterSeconds !== undefined && options.retryAfterSeconds >= 0 ? Math.round(options.retryAfterSeconds * 1000) : undefined;
  }
}

/** Thrown by a handler: retrying cannot help (bad data, a record that cannot be synced). The job ends FAILED; an operator may retry it. */
export class NonRetryableError extends IntegrationError {
  override name = 'NonRetryableError';
  readonly errorType: string;
  readonly retryable = false;
  constructor(message: string, options: { errorType?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.errorType = options.errorType && errorTypePattern.test(options.errorType) ? options.errorType : 'NonRetryableError';
  }
}

/** 404: the record does not exist upstream; retrying cannot help. */
export class UpstreamNotFoundError extends IntegrationError {
  override name = 'UpstreamNotFoundError';
  readonly errorType = 'NotFound' as const;
  readonly retryable = false;
}

/** Any other failure (other 4xx, invalid body, unknown job type, a bug): not retryable. */
export class ValidationError extends IntegrationError {
  override name = 'ValidationError';
  readonly errorType = 'ValidationError' as const;
  readonly retryable = false;
}

/**
 * The call never left this process: it could not get a socket or file descriptor (EMFILE and
 * kin), so the upstream did nothing wrong. Retryable and not charged to the job: a hostile client
 * holding every descriptor once burned 3 of 4 attempts of real jobs this way.
 */
export class LocalResourcesError extends IntegrationError {
  override name = 'LocalResourcesError';
  readonly errorType = 'LocalResourcesExhausted' as const;
  readonly retryable = true;
  readonly uncharged = true;
}

/**
 * The upstream's circuit breaker is open: the call was not made. Retryable and not charged to the
 * job (the upstream is down for everyone, the job did nothing wrong); its type waits until a
 * probe finds the upstream back.
 */
export class UpstreamOpenError extends IntegrationError {
  override name = 'UpstreamOpenError';
  readonly errorType = 'UpstreamOpen' as const;
  readonly retryable = true;
  readonly uncharged = true;
  override readonly retryAfterMs: number | undefined;
  constructor(upstream: string, retryAfterMs: number | undefined) {
    super(`The circuit breaker of upstream "${upstream}" is open: the call was not made.`);
    this.retryAfterMs = retryAfterMs;
  }
}

/** errno codes of this process running out of descriptors, sockets or memory for a call. */
const localResourceCodes = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL']);

/** Whether `error` (or a cause of it) says this process ran out of what a call needs. */
export function isLocalResourceFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown; errno?: unknown }).code;
    if (typeof code === 'string' && localResourceCodes.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Parses Retry-After (delta-seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Any thrown value as an IntegrationError: ours pass through; anything else (a bug, a bad
 * handler) is a non-retryable ValidationError that keeps the original as `cause`.
 */
export function coerceError(error: unknown): IntegrationError {
  if (error instanceof IntegrationError) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : `Non-error thrown: ${String(error)}`;
  return new ValidationError(message, { cause: error });
}
