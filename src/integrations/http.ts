/**
 * The one HTTP call every integration client makes: JSON in and out, a timeout, the correlation
 * header, and every failure turned into a typed IntegrationError carrying the status code.
 */
import { context, propagation } from '@opentelemetry/api';
import { errors as undiciErrors, request as undiciRequest } from 'undici';
import { redactedExcerpt, redactedUrl, type UpstreamExchange } from './exchanges.js';
import { defaultRedactor, type Redactor } from './redaction.js';
import { isLocalResourceFailure, LocalResourcesError, UpstreamNotFoundError, parseRetryAfter, UpstreamRateLimitedError, UpstreamTimeoutError, ValidationError } from './errors.js';

export type UpstreamMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface UpstreamRequest {
  method: UpstreamMethod;
  url: string;
  correlationId: string;
  /** Sent with the request (credentials among them: never recorded). */
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Told every exchange, as it ended (the attempt's forensics). */
  onExchange?: (exchange: UpstreamExchange) => void;
  /** What is kept of bodies, URLs and error texts (default: the built-in rule). */
  redactor?: Redactor;
}

/** Larger answers are refused: a CRM or Billing record is a few kilobytes. */
const maxResponseBytes = 5 * 1024 * 1024;

/**
 * `timeoutMs` bounds the whole exchange (connect, headers and body), so an upstream that drips a
 * byte at a time cannot hold a handler slot past it; the attempt's own signal (cancel, shutdown,
 * lease lost, handler time limit) aborts it too.
 */
export async function callUpstream<T>(request: UpstreamRequest): Promise<T> {
  const started = performance.now();
  const sentAt = Date.now();
  try {
    const { value, statusCode, text } = await exchange<T>(request);
    request.onExchange?.(exchangeRecord(request, started, sentAt, statusCode, text, null));
    return value;
  } catch (error) {
    const failure = error as Error & { statusCode?: number; responseText?: string };
    request.onExchange?.(exchangeRecord(request, started, sentAt, failure.statusCode ?? null, failure.responseText ?? null, failure.message ?? String(error)));
    throw error;
  }
}

function exchangeRecord(request: UpstreamRequest, started: number, sentAt: number, status: number | null, text: string | null, error: string | null): UpstreamExchange {
  return {
    method: request.method,
    url: redactedUrl(request.url, request.redactor),
    status,
    startedAt: new Date(sentAt).toISOString(),
    durationMs: Math.round(performance.now() - started),
    requestBody: request.body === undefined ? null : redactedExcerpt(JSON.stringify(request.body), request.redactor),
    responseBody: redactedExcerpt(text, request.redactor),
    error,
  };
}

async function exchange<T>({
  method,
  url: target,
  correlationId,
  headers: extraHeaders,
  body,
  timeoutMs,
  signal,
  redactor = defaultRedactor,
}: UpstreamRequest): Promise<{ value: T; statusCode: number; text: string }> {
  // Error texts (kept as the attempt's lastError, logged) name the URL redacted, and quote bodies redacted.
  const url = redactor.url(target);
  const headers: Record<string, string> = {
    ...extraHeaders,
    accept: 'application/json',
    'x-correlation-id': correlationId,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  // The attempt's trace context, when tracing is on (a no-op otherwise).
  propagation.inject(context.active(), headers);
  const deadline = AbortSignal.timeout(timeoutMs);
  const aborted = () => {
    if (signal?.aborted) return signal.reason as unknown;
    if (deadline.aborted) return new UpstreamTimeoutError(`${method} ${url}: no complete response within ${timeoutMs} ms`);
    return undefined;
  };
  let statusCode: number;
  let retryAfter: string | string[] | undefined;
  let text: string;
  try {
    const response = await undiciRequest(target, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
    statusCode = response.statusCode;
    retryAfter = response.headers['retry-after'];
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxResponseBytes) {
        response.body.destroy();
        throw new ValidationError(`${method} ${url}: the response is larger than ${maxResponseBytes} bytes`, { statusCode });
      }
      chunks.push(chunk);
    }
    text = Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    const reason = aborted();
    if (reason) throw reason;
    if (isLocalResourceFailure(error)) {
      throw new LocalResourcesError(`${method} ${url}: not sent, this process is out of file descriptors or sockets (${(error as { code?: string }).code ?? 'EMFILE'})`, {
        cause: error,
      });
    }
    const code = error instanceof undiciErrors.UndiciError ? error.code : (error as Error).message;
    throw new UpstreamTimeoutError(`${method} ${url}: no response (${code})`, { cause: error });
  }
  const detail = `${method} ${url} answered ${statusCode}${text ? `: ${redactor.body(text.slice(0, 4_096)).slice(0, 300)}` : ''}`;
  const answered = { statusCode, responseText: text };
  if (statusCode >= 500) throw new UpstreamTimeoutError(detail, answered);
  if (statusCode === 429) throw new UpstreamRateLimitedError(detail, parseRetryAfter(retryAfter), answered);
  if (statusCode === 404) throw new UpstreamNotFoundError(detail, answered);
  if (statusCode < 200 || statusCode >= 300) throw new ValidationError(detail, answered);
  // An empty answer (204, or 200 with no body) is no value, not invalid JSON.
  if (!text.trim()) return { value: undefined as T, statusCode, text };
  try {
    return { value: JSON.parse(text) as T, statusCode, text };
  } catch (error) {
    throw new ValidationError(`${method} ${url}: invalid JSON in the response`, { ...answered, cause: error });
  }
}
