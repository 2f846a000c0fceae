/**
 * The one HTTP server: /graphql (Yoga: queries, mutations, GraphiQL, SSE; WebSockets on the same
 * path), /healthz, /readyz, /metrics, the built-in mock upstreams and the dashboard. Routing is
 * a handful of prefixes, so a table here beats a framework.
 *
 * Bounded against a hostile client (all measured on main before these bounds: 19,990 half-sent
 * requests held every file descriptor, and the worker's own upstream calls failed with EMFILE):
 * inbound connections are capped below the descriptor limit (more are dropped at accept), headers
 * must arrive within `headersTimeoutMs` and a whole request within `requestTimeoutMs` (Node's
 * default let a trickled body hold its connection for 300 s).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { MockUpstreams } from '../integrations/mocks.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> | boolean;

export interface HttpServerOptions {
  logger: Logger;
  /** Tried in order; the first that returns true has answered. */
  routes: RouteHandler[];
  /** Connections held at once (HTTP, SSE and upgraded WebSockets together). */
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

const requestIds = new WeakMap<IncomingMessage, string>();
const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

/** The request's id: the caller's `x-request-id` when it is a sane one, else a new one; echoed on every answer. */
export function requestIdOf(req: IncomingMessage): string {
  let id = requestIds.get(req);
  if (!id) {
    const given = req.headers['x-request-id'];
    id = typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    requestIds.set(req, id);
  }
  return id;
}

/** A browser navigating (it asks for HTML first), not an API client. */
function wantsPage(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && /^\s*text\/html/.test(req.headers.accept ?? '');
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A page that says what is here, instead of raw JSON in the browser. */
function sendNotFoundPage(res: ServerResponse, path: string): void {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">
<title>Not found · SyncBridge</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{font-size:.95em}</style></head>
<body><main><h1>Nothing at <code>${escapeHtml(path.slice(0, 200))}</code></h1>
<p>SyncBridge serves the dashboard at <a href="/">/</a>, one job at <code>/jobs/&lt;id&gt;</code>, and its API at <a href="/graphql">/graphql</a> (GraphiQL in a browser).</p></main></body></html>
`;
  res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

/** Errors of a client that went away mid-request: its fault, not ours, and common. */
export function isClientAbort(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'EPIPE' || (error as Error | undefined)?.message === 'aborted';
}

export function createHttpServer({ logger, routes, maxConnections, headersTimeoutMs, requestTimeoutMs }: HttpServerOptions): Server {
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: Math.max(requestTimeoutMs, headersTimeoutMs),
      // How often Node checks those two timeouts (its default, 30 s, made them that coarse).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, headersTimeoutMs / 2)),
    },
    async (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const requestId = requestIdOf(req);
      res.setHeader('x-request-id', requestId);
      try {
        for (const route of routes) if (await route(req, res, path)) return;
        if (wantsPage(req)) sendNotFoundPage(res, path);
        else sendJson(res, 404, { error: 'not_found', path: path.slice(0, 200) });
      } catch (error) {
        if (isClientAbort(error)) logger.debug({ err: { code: (error as { code?: string }).code, message: (error as Error).message }, requestId, path }, 'the client went away');
        else logger.error({ err: error, requestId, path }, 'request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', requestId });
        else res.destroy();
      }
    },
  );
  server.maxConnections = maxConnections;
  // Dropped at accept: say so, at most every 10 s, with how many.
  let dropped = 0;
  let reported = 0;
  server.on('drop', () => {
    dropped += 1;
    const now = Date.now();
    if (now - reported < 10_000) return;
    logger.warn({ dropped, maxConnections }, 'inbound connection limit reached: new connections dropped (SYNCBRIDGE_HTTP_MAX_CONNECTIONS)');
    dropped = 0;
    reported = now;
  });
  // A malformed or timed-out request: not an error of ours. Answered, then the descriptor is let
  // go at once: a half-close would wait for a peer that never reads (its descriptor held for good).
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    logger.debug({ err: { code: error.code, message: error.message } }, 'client error');
    if (socket.writable && !socket.writableEnded) {
      const status =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
      setTimeout(() => socket.destroy(), 1_000).unref(); // the answer could not even be flushed
    } else socket.destroy();
  });
  return server;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export function mockRoutes(mocks: MockUpstreams): RouteHandler {
  return (req, res, path) => (path.startsWith('/mock/') ? mocks.handle(req, res, path) : false);
}

export function healthRoutes(readiness: () => Promise<{ ready: boolean; detail: Record<string, unknown> }>): RouteHandler {
  return async (_req, res, path) => {
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return true;
    }
    if (path === '/readyz') {
      const { ready, detail } = await readiness();
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', ...detail });
      return true;
    }
    return false;
  };
}
