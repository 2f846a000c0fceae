/**
 * The one HTTP call every integration client makes: JSON in and out, a timeout, the correlation
 * header, and every failure turned into a typed IntegrationError carrying the status code.
 */
import { context, propagation } from '@opentelemetry/api';
import { errors as undiciErrors, request } from 'undici';
import {
  NotFoundError,
  parseRetryAfter,
  UpstreamRateLimitedError,
  UpstreamTimeoutError,
  ValidationError,
} from './errors.js';

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: string;
  correlationId: string;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function callUpstream<T>({ method, url, correlationId, body, timeoutMs, signal }: UpstreamRequest): Promise<T> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'x-correlation-id': correlationId,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  // The attempt's trace context, when tracing is on (a no-op otherwise).
  propagation.inject(context.active(), headers);
  let response;
  try {
    response = await request(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    const reason = error instanceof undiciErrors.UndiciError ? error.code : (error as Error).message;
    throw new UpstreamTimeoutError(`${method} ${url}: no response (${reason})`, { cause: error });
  }
  const { statusCode } = response;
  const text = await response.body.text().catch((error: unknown) => {
    throw new UpstreamTimeoutError(`${method} ${url}: response body failed (${(error as Error).message})`, { cause: error });
  });
  const detail = `${method} ${url} answered ${statusCode}${text ? `: ${text.slice(0, 300)}` : ''}`;
  if (statusCode >= 500) throw new UpstreamTimeoutError(detail, { statusCode });
  if (statusCode === 429) throw new UpstreamRateLimitedError(detail, parseRetryAfter(response.headers['retry-after']), { statusCode });
  if (statusCode === 404) throw new NotFoundError(detail, { statusCode });
  if (statusCode < 200 || statusCode >= 300) throw new ValidationError(detail, { statusCode });
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new ValidationError(`${method} ${url}: invalid JSON in the response`, { statusCode, cause: error });
  }
}
