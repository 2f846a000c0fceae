/**
 * GraphQL over HTTP (GET and POST per the GraphQL-over-HTTP spec, SSE for subscriptions) through
 * graphql-yoga, with the bundled GraphiQL (no CDN: it works offline). Unexpected errors reach
 * clients masked and are logged with the request id, which every response carries as x-request-id.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GraphQLError, getOperationAST, type DocumentNode, type ExecutionArgs, type OperationDefinitionNode } from 'graphql';
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
import { readBodyWithin, sendJson, type RouteHandler } from './http.js';
import type { GraphQLLimits } from '../config/index.js';
import { operationLimitPlugins } from './operationLimits.js';
import { queryAuthorization } from './queryAuthorization.js';
import { trustedDocumentsOnly } from './trustedDocuments.js';
import { operationParamsOf, wantsEventStream, type SseSubscriptions } from './live/sse.js';
import { anonymousName, authenticate, type Principal } from '../auth/principal.js';
import type { TokenStore } from '../auth/tokens.js';
import type { MutationRateLimiter } from '../auth/rateLimit.js';

const requestIds = new WeakMap<Request, string>();
/** Who sent each HTTP request (authenticated by the route), for the context factory. */
const callers = new WeakMap<IncomingMessage, { principal: Principal; remoteAddress: string | undefined }>();
const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (!id) {
    const given = request.headers.get('x-request-id');
    id = given && requestIdPattern.test(given) ? given : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

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
  tokens: TokenStore;
  mutationLimiter: MutationRateLimiter;
  upstreams: GraphQLContext['upstreams'];
  history: GraphQLContext['history'];
  operatorLinks: GraphQLContext['operatorLinks'];
  /** Only documents with these hashes run (SYNCBRIDGE_PERSISTED_ONLY); undefined: any. */
  trustedDocuments?: ReadonlySet<string>;
  plugins?: Plugin[];
}

export function createGraphQLServer(options: GraphQLServerOptions) {
  const logger = options.logger.child({ component: 'graphql' });
  const requestIdHeader: Plugin = {
    onResponse: ({ request, response }) => {
      response.headers.set('x-request-id', requestIdOf(request));
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
      return {
        queue: options.queue,
        live: options.live,
        requestId: initial.request ? requestIdOf(initial.request) : randomUUID(),
        loaders: new Loaders(options.queue.dialect),
        logger,
        principal: caller.principal ?? principalOf(options.tokens, initial.request?.headers.get('authorization') ?? undefined),
        remoteAddress: caller.remoteAddress,
        mutationLimiter: options.mutationLimiter,
        upstreams: options.upstreams,
        history: options.history,
        operatorLinks: options.operatorLinks,
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
      logUnexpected,
      traceOperations,
      ...(options.plugins ?? []),
    ],
  });

  let sse: SseSubscriptions | undefined;
  const route: RouteHandler = async (req, res, path) => {
    if (path !== '/graphql') return false;
    const authentication = authenticate(options.tokens, req.headers.authorization);
    if (!authentication.ok) {
      sendJson(res, 401, { errors: [{ message: authentication.reason, extensions: { code: 'UNAUTHENTICATED' } }] }, { 'www-authenticate': 'Bearer' });
      return true;
    }
    const caller = { principal: authentication.principal, remoteAddress: req.socket.remoteAddress };
    let body: Buffer | undefined;
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
      // Read within the limit here; Yoga takes a body that is already read (whatwg-node uses req.body).
      body = await readBodyWithin(req, options.maxBodyBytes);
      if (body === undefined) {
        // The unread rest of the body is not worth reading: answer, then close the connection.
        sendJson(res, 413, { errors: [{ message: `The request body is larger than ${options.maxBodyBytes} bytes (SYNCBRIDGE_HTTP_MAX_BODY_BYTES).` }] }, { connection: 'close' });
        return true;
      }
      (req as typeof req & { body?: Buffer }).body = body;
    }
    // Subscriptions over SSE go to the live engine (shared executions); the rest to Yoga.
    if (sse && wantsEventStream(req)) {
      const params = operationParamsOf(req, body);
      if (params && (await sse.serve(req, res, params, authentication.principal))) return true;
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

function principalOf(tokens: TokenStore, authorization: string | undefined): Principal {
  const authentication = authenticate(tokens, authorization);
  return authentication.ok ? authentication.principal : { name: anonymousName, role: undefined };
}

/** Content types a browser may send cross-site without a preflight (and a missing one). */
function isSimpleContentType(header: string | undefined): boolean {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return type === '' || type === 'text/plain' || type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
}
