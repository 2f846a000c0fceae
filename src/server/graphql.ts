/**
 * GraphQL over HTTP (GET and POST per the GraphQL-over-HTTP spec, SSE for subscriptions) through
 * graphql-yoga, with the bundled GraphiQL (no CDN: it works offline). Unexpected errors reach
 * clients masked and are logged with the request id, which every response carries as x-request-id.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GraphQLError, getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { tracer } from '../tracing.js';
import { createYoga, useErrorHandler, type Plugin } from 'graphql-yoga';
import { useGraphQlJit } from '@envelop/graphql-jit';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../graphql/builder.js';
import { schema } from '../graphql/schema.js';
import { Loaders } from '../graphql/loaders.js';
import type { QueueContext } from '../queue/context.js';
import { graphiqlExamples } from './graphiqlExamples.js';
import { requestIdOf as httpRequestIdOf, sendJson, type RouteHandler } from './http.js';
import { BodyBudget, maxJsonDepth, nestsDeeperThan, parseOperationBody, readBodyWithin } from './requestBody.js';
import { isConnectionFailure } from '../db/connectionErrors.js';
import { InputError, QueueError } from '../queue/errors.js';
import type { GraphQLLimits } from '../config/index.js';
import { operationLimitPlugins } from './operationLimits.js';
import { queryAuthorization } from './queryAuthorization.js';
import { trustedDocumentsOnly } from './trustedDocuments.js';
import { operationParamsOf, type SseSubscriptions } from './live/sse.js';
import { anonymousName, authenticate, type Principal } from '../auth/principal.js';
import type { TokenStore } from '../auth/tokens.js';
import type { MutationRateLimiter } from '../auth/rateLimit.js';

const requestIds = new WeakMap<Request, string>();
/** Who sent each HTTP request (authenticated by the route), and its id, for the context factory. */
const callers = new WeakMap<IncomingMessage, { principal: Principal; remoteAddress: string | undefined; requestId: string }>();
const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

/** The id of a request that came through the HTTP server (set there), or of one made in-process (yoga.fetch). */
function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (!id) {
    const given = request.headers.get('x-request-id');
    id = given && requestIdPattern.test(given) ? given : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

/** Told to a client whose write may have committed with its answer lost (the database connection failed meanwhile). */
export const outcomeUnknownMessage =
  'The database connection failed while this request was in flight: it may or may not have been applied. ' +
  'Retrying is safe: an enqueue whose job exists already answers DuplicateActiveJobError naming it, and retry, cancel and replay refuse a job that already moved.';

function operationOf(args: ExecutionArgs): string | undefined {
  return getOperationAST(args.document, args.operationName)?.operation;
}

export interface GraphQLServerOptions {
  queue: QueueContext;
  live: GraphQLContext['live'];
  logger: Logger;
  limits: GraphQLLimits;
  /** Largest request body; larger ones get 413 before Yoga reads them. */
  maxBodyBytes: number;
  /** Request body bytes held at once over all requests; beyond, 503. */
  maxBodyBytesInFlight: number;
  tokens: TokenStore;
  mutationLimiter: MutationRateLimiter;
  upstreams: GraphQLContext['upstreams'];
  history: GraphQLContext['history'];
  operatorLinks: GraphQLContext['operatorLinks'];
  forensicsRole: GraphQLContext['forensicsRole'];
  /** Only documents with these hashes run (SYNCBRIDGE_PERSISTED_ONLY); undefined: any. */
  trustedDocuments?: ReadonlySet<string>;
  plugins?: Plugin[];
}

export function createGraphQLServer(options: GraphQLServerOptions) {
  const logger = options.logger.child({ component: 'graphql' });
  const requestIdHeader: Plugin = {
    onResponse: ({ request, response }) => {
      if (!response.headers.has('x-request-id')) response.headers.set('x-request-id', requestIdOf(request));
    },
  };
  // Yoga's own 500s (a request it could not handle at all) are logged with their request id too.
  const answered500: Plugin = {
    onResponse: ({ request, response, serverContext }) => {
      if (response.status < 500) return;
      const req = (serverContext as { req?: IncomingMessage } | undefined)?.req;
      logger.error({ requestId: (req && callers.get(req)?.requestId) ?? requestIdOf(request), status: response.status }, 'GraphQL request answered with a server error');
    },
  };
  // envelop hands the handler the execution arguments; our context is their contextValue.
  const logUnexpected = useErrorHandler(({ errors, context }) => {
    const requestId = (context as { contextValue?: Partial<GraphQLContext> }).contextValue?.requestId;
    for (const error of errors) {
      const original = error instanceof GraphQLError ? error.originalError : error;
      if (!original || original instanceof GraphQLError) continue; // a client mistake, not ours
      logger.error({ err: original, requestId, path: error instanceof GraphQLError ? error.path : undefined }, 'unexpected GraphQL error');
    }
  });

  // A span per GraphQL operation (a no-op unless tracing is on).
  const traceOperations: Plugin = {
    onExecute: ({ args }) => {
      const definition = (args.document as DocumentNode).definitions.find((node): node is OperationDefinitionNode => node.kind === 'OperationDefinition');
      const type = definition?.operation ?? 'query';
      const span = tracer.startSpan(`graphql.${type}`, {
        kind: SpanKind.SERVER,
        attributes: {
          'graphql.operation.type': type,
          'graphql.operation.name': definition?.name?.value ?? '',
          'syncbridge.request_id': (args.contextValue as Partial<GraphQLContext>).requestId ?? '',
        },
      });
      return {
        onExecuteDone: ({ result }) => {
          if ('errors' in result && Array.isArray(result.errors) && result.errors.length) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
  };

  // Typed outcomes that reach a field outside a result union (a query's bad filter) are input
  // errors, not ours; a lost database connection is said to be one (and, for a write, that its
  // outcome is unknown and a retry safe). Everything else stays masked and logged as unexpected.
  const mapServiceErrors: Plugin = {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result, setResult }) => {
        if (!('errors' in result) || !Array.isArray(result.errors) || !result.errors.length) return;
        const mutation = operationOf(args) === 'mutation';
        const requestId = (args.contextValue as Partial<GraphQLContext>).requestId;
        const errors = (result as ExecutionResult).errors!.map((error) => {
          const original = error.originalError;
          if (original instanceof QueueError) {
            return new GraphQLError(original.message, {
              path: error.path,
              extensions: { code: 'BAD_USER_INPUT', errorType: original.name, ...(original instanceof InputError && original.field ? { field: original.field } : {}) },
            });
          }
          if (original && !(original instanceof GraphQLError) && isConnectionFailure(original)) {
            logger.warn(
              { err: { message: original.message, code: (original as { code?: unknown }).code }, requestId, mutation },
              'the database connection failed during a request',
            );
            return new GraphQLError(mutation ? outcomeUnknownMessage : 'The database is not reachable right now; try again shortly.', {
              path: error.path,
              extensions: { code: mutation ? 'OUTCOME_UNKNOWN' : 'DATABASE_UNAVAILABLE', retrySafe: true },
            });
          }
          return error;
        });
        setResult({ ...result, errors } as ExecutionResult);
      },
    }),
  };

  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    cors: false, // the dashboard is same-origin; no cross-site page may call with a preflight either
    maskedErrors: true,
    graphiql: {
      title: 'SyncBridge GraphiQL',
      defaultTabs: [graphiqlExamples],
      defaultQuery: graphiqlExamples.query,
      // What Yoga's page opens the editors with (read by its renderer, not in the option types).
      ...({ query: graphiqlExamples.query, variables: graphiqlExamples.variables } as object),
      // With tokens, subscriptions go over SSE: a plain request, so the Headers tab's authorization applies.
      subscriptionsProtocol: options.tokens.enabled ? 'SSE' : 'WS',
    },
    // The GraphiQL bundle costs ~75 MB of memory once loaded: only processes that serve the page pay it.
    renderGraphiQL: async (graphiqlOptions) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiqlOptions),
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      // Unexpected errors are logged once, structured, by logUnexpected; Yoga's own copy is detail.
      error: (...args) => logger.debug(args.map(String).join(' ')),
    },
    // WebSocket operations have no fetch Request (see websocket.ts): they get a fresh request id.
    // The HTTP route and the live transports authenticate; a request without a caller (yoga.fetch)
    // is authenticated here, and a bad token there is a caller with no role.
    context: (initial: { request?: Request; req?: IncomingMessage; principal?: Principal; remoteAddress?: string }) => {
      const caller = (initial.req && callers.get(initial.req)) ?? initial;
      const fromHttp = initial.req && callers.get(initial.req);
      return {
        queue: options.queue,
        live: options.live,
        requestId: fromHttp ? fromHttp.requestId : initial.request ? requestIdOf(initial.request) : randomUUID(),
        loaders: new Loaders(options.queue.dialect),
        logger,
        principal: caller.principal ?? principalOf(options.tokens, initial.request?.headers.get('authorization') ?? undefined),
        remoteAddress: caller.remoteAddress,
        mutationLimiter: options.mutationLimiter,
        upstreams: options.upstreams,
        history: options.history,
        operatorLinks: options.operatorLinks,
        forensicsRole: options.forensicsRole,
      };
    },
    plugins: [
      ...(options.trustedDocuments ? [trustedDocumentsOnly(options.trustedDocuments, logger)] : []),
      ...operationLimitPlugins(options.limits),
      queryAuthorization,
      // Queries and mutations run compiled (graphql-jit), cached per document: the read
      // benchmark's pages went from 540 to 880 a second with it, measured. Subscriptions keep the
      // reference executor (the compiled subscribe coerces enum variables twice).
      useGraphQlJit({}, { enableIf: (args) => operationOf(args) !== 'subscription' }),
      requestIdHeader,
      mapServiceErrors,
      logUnexpected,
      answered500,
      traceOperations,
      ...(options.plugins ?? []),
    ],
  });

  let sse: SseSubscriptions | undefined;
  const bodies = new BodyBudget(options.maxBodyBytesInFlight);
  const route: RouteHandler = async (req, res, path) => {
    if (path !== '/graphql') return false;
    const requestId = httpRequestIdOf(req);
    const authentication = authenticate(options.tokens, req.headers.authorization);
    if (!authentication.ok) {
      sendJson(res, 401, { errors: [{ message: authentication.reason, extensions: { code: 'UNAUTHENTICATED' } }] }, { 'www-authenticate': 'Bearer' });
      return true;
    }
    const caller = { principal: authentication.principal, remoteAddress: req.socket.remoteAddress, requestId };
    let params: Record<string, unknown> | undefined;
    if (req.method === 'POST') {
      // CSRF: a cross-site page can POST only "simple" content types without a CORS preflight
      // (which this server never grants), so those are refused; JSON (every real client) passes.
      if (isSimpleContentType(req.headers['content-type'])) {
        sendJson(
          res,
          415,
          { errors: [{ message: 'POST /graphql needs Content-Type: application/json (form and text bodies are refused: cross-site request protection).' }] },
          { connection: 'close' },
        );
        return true;
      }
      const read = await readBodyWithin(req, options.maxBodyBytes, bodies);
      if (!read.ok) {
        // The unread rest of the body is not worth reading: answer, then close the connection.
        if (read.reason === 'too-large') {
          sendJson(res, 413, { errors: [{ message: `The request body is larger than ${options.maxBodyBytes} bytes (SYNCBRIDGE_HTTP_MAX_BODY_BYTES).` }] }, { connection: 'close' });
        } else {
          sendJson(
            res,
            503,
            { errors: [{ message: 'The server is reading as many request bodies as it holds at once (SYNCBRIDGE_HTTP_MAX_BODY_BYTES_IN_FLIGHT); try again shortly.' }] },
            { connection: 'close', 'retry-after': '1' },
          );
        }
        return true;
      }
      try {
        const parsed = parseOperationBody(read.body);
        if (!parsed.ok) {
          sendJson(res, 400, { errors: [{ message: parsed.message }] });
          return true;
        }
        params = parsed.value;
      } finally {
        read.release();
      }
      // Yoga takes a body that is already read (whatwg-node reads req.body), as an object.
      (req as typeof req & { body?: unknown }).body = params;
    } else if (req.url && req.url.includes('variables=') && getVariablesTooDeep(req.url)) {
      sendJson(res, 400, { errors: [{ message: `The request nests arrays or objects deeper than ${maxJsonDepth} levels.` }] });
      return true;
    }
    // Every subscription goes to the live engine (shared executions, the budgets, the outbox),
    // whatever the Accept header asks for; the rest to Yoga.
    if (sse) {
      const operation = operationParamsOf(req, params);
      if (operation && mayBeSubscription(operation.query) && (await sse.serve(req, res, operation, authentication.principal))) return true;
    }
    callers.set(req, caller);
    await yoga.requestListener(req, res);
    return true;
  };
  return {
    yoga,
    route,
    /** Serves subscriptions over SSE with these. */
    serveSubscriptionsWith(subscriptions: SseSubscriptions) {
      sse = subscriptions;
    },
  };
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

function principalOf(tokens: TokenStore, authorization: string | undefined): Principal {
  const authentication = authenticate(tokens, authorization);
  return authentication.ok ? authentication.principal : { name: anonymousName, role: undefined };
}

/** Content types a browser may send cross-site without a preflight (and a missing one). */
function isSimpleContentType(header: string | undefined): boolean {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return type === '' || type === 'text/plain' || type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
}
