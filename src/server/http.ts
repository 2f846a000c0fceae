/**
 * The one HTTP server: /graphql (Yoga: queries, mutations, GraphiQL, SSE; WebSockets on the same
 * path), /healthz, /readyz, /metrics, the built-in mock upstreams and the dashboard. Routing is
 * a handful of prefixes, so a table here beats a framework.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { MockUpstreams } from '../integrations/mocks.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> | boolean;

export interface HttpServerOptions {
  logger: Logger;
  /** Tried in order; the first that returns true has answered. */
  routes: RouteHandler[];
}

export function createHttpServer({ logger, routes }: HttpServerOptions): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      for (const route of routes) if (await route(req, res, path)) return;
      sendJson(res, 404, { error: 'not_found', path });
    } catch (error) {
      logger.error({ err: error, path }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      else res.destroy();
    }
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * The request body, or undefined once it passes `maxBytes` (the rest is not read; the connection
 * is closed after the answer). A declared Content-Length over the limit is refused unread.
 */
export function readBodyWithin(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      done();
      req.pause();
      resolve(undefined);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
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
