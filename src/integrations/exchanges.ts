/**
 * Forensics of an attempt: every upstream exchange it made (method, URL, status, duration, the
 * start of each body with secrets redacted) and, for an unexpected error, its stack. Collected
 * by clients bound to the attempt (made only when its handler asks for them), stored with the
 * attempt as size-capped JSON. Not through AsyncLocalStorage: on Node 20 it turns on promise
 * hooks for the whole process, which cost the SQLite drain a quarter of its rate (measured).
 */

import { defaultRedactor, type Redactor } from './redaction.js';

export interface UpstreamExchange {
  method: string;
  url: string;
  /** The HTTP status; null when no answer came (a timeout, a refused connection). */
  status: number | null;
  /** When it was sent (ISO-8601); absent in records made before this was kept. */
  startedAt?: string;
  durationMs: number;
  requestBody: string | null;
  responseBody: string | null;
  /** Why it failed, when it did (no answer, or an answer we refused). */
  error: string | null;
  /** The Idempotency-Key the request carried (writes through ctx.upstream); absent otherwise. */
  idempotencyKey?: string;
}

export interface AttemptDetails {
  calls: UpstreamExchange[];
  /** The attempt's trace, when tracing is on. */
  traceId?: string;
  /** The stack of an unexpected error (a bug in a handler), not of an upstream's answer. */
  stack?: string;
}

const maxBodyChars = 1_000;
const maxCalls = 20;
const maxStackChars = 4_000;

/** The start of a body, redacted (src/integrations/redaction.ts) and cut to size. */
export function redactedExcerpt(body: string | null | undefined, redactor: Redactor = defaultRedactor): string | null {
  if (body === null || body === undefined || body === '') return null;
  // Redacted whole, then cut: a secret split by the cut would escape the rule.
  const text = redactor.body(body.length > 64 * 1024 ? body.slice(0, 64 * 1024) : body);
  return text.length <= maxBodyChars ? text : `${text.slice(0, maxBodyChars)}…`;
}

/** A URL with the values of sensitive-looking query parameters replaced. */
export function redactedUrl(url: string, redactor: Redactor = defaultRedactor): string {
  return redactor.url(url);
}

/** One attempt's exchanges, in order, at most `maxCalls` kept. */
export class ExchangeLog {
  readonly calls: UpstreamExchange[] = [];

  record(exchange: UpstreamExchange): void {
    if (this.calls.length < maxCalls) this.calls.push(exchange);
  }
}

/** The JSON stored with the attempt, or null when there is nothing to tell. */
export function attemptDetailsJson(calls: UpstreamExchange[], error?: unknown, traceId?: string, redactor: Redactor = defaultRedactor): string | null {
  const stack = error instanceof Error && error.stack ? redactor.text(error.stack.slice(0, maxStackChars)) : undefined;
  if (!calls.length && !stack && !traceId) return null;
  const details: AttemptDetails = { calls };
  if (traceId) details.traceId = traceId;
  if (stack) details.stack = stack;
  return JSON.stringify(details);
}
