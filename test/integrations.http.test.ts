/**
 * The one upstream call, against a real local HTTP server: every answer that is not a success
 * becomes its typed error (with the status and, unlogged, the body), a 2xx that is not JSON is a
 * ValidationError, and every exchange is told to the attempt's log with its bodies redacted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamNotFoundError, UpstreamRateLimitedError, UpstreamTimeoutError, ValidationError } from '../src/integrations/errors.js';
import { ExchangeLog } from '../src/integrations/exchanges.js';
import { callUpstream } from '../src/integrations/http.js';

describe('callUpstream', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const [, status = '200', kind = 'json'] = /^\/(\d{3})\/?(\w+)?/.exec(req.url ?? '') ?? [];
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === '429') headers['retry-after'] = '3';
      res.writeHead(Number(status), headers);
      res.end(kind === 'text' ? 'not json at all' : JSON.stringify({ status: Number(status), token: 'secret-value' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const call = (path: string, log?: ExchangeLog) =>
    callUpstream({
      method: 'POST',
      url: `${base}${path}`,
      correlationId: 'c-1',
      body: { external_id: 'x', password: 'p' },
      timeoutMs: 5_000,
      onExchange: log && ((exchange) => log.record(exchange)),
    });

  it.each([
    ['/400', ValidationError, 400],
    ['/409', ValidationError, 409],
    ['/422', ValidationError, 422],
    ['/404', UpstreamNotFoundError, 404],
    ['/429', UpstreamRateLimitedError, 429],
    ['/503', UpstreamTimeoutError, 503],
  ] as const)('%s answers as %s', async (path, type, status) => {
    const error = await call(path).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ statusCode: status, responseText: expect.stringContaining(`"status":${status}`) });
    // The body is kept for forensics but never serialised into logs.
    expect(Object.keys(error as object)).not.toContain('responseText');
    if (error instanceof UpstreamRateLimitedError) expect(error.retryAfterMs).toBe(3_000);
  });

  it('a 2xx that is not JSON is a non-retryable ValidationError', async () => {
    const error = await call('/200/text').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('invalid JSON in the response');
    expect((error as ValidationError).retryable).toBe(false);
  });

  it('tells every exchange to the log, bodies redacted, failures with their error', async () => {
    const log = new ExchangeLog();
    await call('/200', log);
    await call('/429', log).catch(() => {});
    expect(log.calls).toMatchObject([
      { method: 'POST', status: 200, requestBody: '{"external_id":"x","password":"[redacted]"}', responseBody: '{"status":200,"token":"[redacted]"}', error: null },
      { method: 'POST', status: 429, responseBody: '{"status":429,"token":"[redacted]"}', error: expect.stringContaining('answered 429') },
    ]);
  });

  it('tells an exchange that got no answer, with no status', async () => {
    const log = new ExchangeLog();
    const closed = `http://127.0.0.1:1/unreachable`;
    await callUpstream({ method: 'GET', url: closed, correlationId: 'c-2', timeoutMs: 2_000, onExchange: (exchange) => log.record(exchange) }).catch(() => {});
    expect(log.calls).toMatchObject([{ method: 'GET', status: null, responseBody: null, error: expect.stringContaining('no response') }]);
  });
});
