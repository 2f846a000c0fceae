/**
 * POST and GET /graphql (the GraphQL-over-HTTP spec): authenticated, the body read within its
 * bounds and parsed once (src/server/requestBody.ts), every subscription handed to the live
 * engine over SSE whatever the Accept header, everything else to Yoga.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate } from '../../auth/principal.js';
import type { TokenStore } from '../../auth/tokens.js';
import { requestIdOf, sendJson, type RouteHandler } from '../http.js';
import { BodyBudget, maxJsonDepth, nestsDeeperThan, parseOperationBody, readBodyWithin } from '../requestBody.js';
import { operationParamsOf, type SseSubscriptions } from '../subscriptions/sse.js';
import { callers } from './callers.js';
import type { Yoga } from './yoga.js';

export interface GraphQLRouteOptions {
  yoga: Yoga;
  /** Subscriptions over SSE; absent: Yoga answers them itself. */
  sse?: SseSubscriptions;
  tokens: TokenStore;
  /** Largest request body; larger ones get 413 before Yoga reads them. */
  maxBodyBytes: number;
  /** Request body bytes held at once over all requests; beyond, 503. */
  maxBodyBytesInFlight: number;
}

/** Content types a browser may send cross-site without a preflight (and a missing one). */
function isSimpleContentType(header: string | undefined): boolean {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return type === '' || type === 'text/plain' || type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
}

/** A cheap first look: only documents naming a subscription can be one (the engine decides). */
function mayBeSubscription(query: string): boolean {
  return /\bsubscription\b/.test(query);
}

/** Whether a GET request's variables nest too deeply for GraphQL's coercion to be safe. */
function getVariablesTooDeep(url: string): boolean {
  const variables = new URL(url, 'http://localhost').searchParams.get('variables');
  if (!variables) return false;
  try {
    return nestsDeeperThan(JSON.parse(variables), maxJsonDepth);
  } catch {
    return false; // Yoga answers malformed variables itself
  }
}

const tooDeep = { errors: [{ message: `The request nests arrays or objects deeper than ${maxJsonDepth} levels.` }] };

export function graphqlRoute(options: GraphQLRouteOptions): RouteHandler {
  const bodies = new BodyBudget(options.maxBodyBytesInFlight);

  /** The parsed operation of a POST, or undefined once an answer was sent. */
  async function postParams(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
    // CSRF: a cross-site page can POST only "simple" content types without a CORS preflight
    // (which this server never grants), so those are refused; JSON (every real client) passes.
    if (isSimpleContentType(req.headers['content-type'])) {
      const message = 'POST /graphql needs Content-Type: application/json (form and text bodies are refused: cross-site request protection).';
      sendJson(res, 415, { errors: [{ message }] }, { connection: 'close' });
      return undefined;
    }
    const read = await readBodyWithin(req, options.maxBodyBytes, bodies);
    if (!read.ok) {
      // The unread rest of the body is not worth reading: answer, then close the connection.
      if (read.reason === 'too-large') {
        sendJson(res, 413, { errors: [{ message: `The request body is larger than ${options.maxBodyBytes} bytes (SYNCBRIDGE_HTTP_MAX_BODY_BYTES).` }] }, { connection: 'close' });
      } else {
        const message = 'The server is reading as many request bodies as it holds at once (SYNCBRIDGE_HTTP_MAX_BODY_BYTES_IN_FLIGHT); try again shortly.';
        sendJson(res, 503, { errors: [{ message }] }, { connection: 'close', 'retry-after': '1' });
      }
      return undefined;
    }
    try {
      const parsed = parseOperationBody(read.body);
      if (parsed.ok) return parsed.value;
      sendJson(res, 400, { errors: [{ message: parsed.message }] });
      return undefined;
    } finally {
      read.release();
    }
  }

  return async (req, res, path) => {
    if (path !== '/graphql') return false;
    const authentication = authenticate(options.tokens, req.headers.authorization);
    if (!authentication.ok) {
      sendJson(res, 401, { errors: [{ message: authentication.reason, extensions: { code: 'UNAUTHENTICATED' } }] }, { 'www-authenticate': 'Bearer' });
      return true;
    }
    let params: Record<string, unknown> | undefined;
    if (req.method === 'POST') {
      params = await postParams(req, res);
      if (!params) return true;
      // Yoga takes a body that is already read (whatwg-node reads req.body), as an object.
      (req as typeof req & { body?: unknown }).body = params;
    } else if (req.url?.includes('variables=') && getVariablesTooDeep(req.url)) {
      sendJson(res, 400, tooDeep);
      return true;
    }
    // Every subscription goes to the live engine (shared executions, the budgets, the outbox),
    // whatever the Accept header asks for; the rest to Yoga.
    if (options.sse) {
      const operation = operationParamsOf(req, params);
      if (operation && mayBeSubscription(operation.query) && (await options.sse.serve(req, res, operation, authentication.principal))) return true;
    }
    callers.set(req, { principal: authentication.principal, remoteAddress: req.socket.remoteAddress, requestId: requestIdOf(req) });
    await options.yoga.requestListener(req, res);
    return true;
  };
}
