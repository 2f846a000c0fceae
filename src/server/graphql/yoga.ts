/**
 * GraphQL through graphql-yoga, with the bundled GraphiQL (no CDN: it works offline). Unexpected
 * errors reach clients masked and are logged with the request id every response carries as
 * x-request-id. Yoga serves queries and mutations over HTTP (route.ts); subscriptions go to the
 * live engine (src/server/subscriptions), which prepares them through this same Yoga.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { useGraphQlJit } from '@envelop/graphql-jit';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../../graphql/builder.js';
import type { GraphQLSchema } from 'graphql';
import { Loaders } from '../../graphql/loaders.js';
import type { GraphQLLimits } from '../../config/index.js';
import { anonymousName, authenticate, type Principal } from '../../auth/principal.js';
import type { TokenStore } from '../../auth/tokens.js';
import { graphiqlExamples } from '../graphiqlExamples.js';
import type { Db } from '../../db/types.js';
import { operationLimitPlugins } from '../operationLimits.js';
import { queryAuthorization } from '../queryAuthorization.js';
import { trustedDocumentsOnly } from '../trustedDocuments.js';
import { callers, fetchRequestIdOf } from './callers.js';
import { logServerErrors, logUnexpected, mapServiceErrors, operationOf, requestIdHeader, traceOperations } from './plugins.js';

export type Yoga = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

/** What every operation's context shares; the per-request parts are added by the factory. */
export type SharedContext = Omit<GraphQLContext, 'requestId' | 'loaders' | 'logger' | 'principal' | 'remoteAddress' | 'deadline'>;

export interface YogaOptions {
  /** The process's schema (its JobType enum holds its registered types). */
  schema: GraphQLSchema;
  shared: SharedContext;
  logger: Logger;
  limits: GraphQLLimits;
  tokens: TokenStore;
  /** Only documents with these hashes run (SYNCBRIDGE_PERSISTED_ONLY); undefined: any. */
  trustedDocuments?: ReadonlySet<string>;
  plugins?: Plugin[];
}

function principalOf(tokens: TokenStore, authorization: string | undefined): Principal {
  const authentication = authenticate(tokens, authorization);
  return authentication.ok ? authentication.principal : { name: anonymousName, role: undefined };
}

/** The newest active job (to watch) and the newest ended one whose latest attempt failed (to replay). */
async function exampleJobs(db: Db): Promise<{ watchId?: number; replayId?: number }> {
  const [active, ended] = await Promise.all([
    db.job.findFirst({ where: { status: { in: ['PENDING', 'RUNNING'] } }, orderBy: { id: 'desc' }, select: { id: true } }),
    db.job.findFirst({ where: { status: { in: ['DEAD', 'FAILED'] } }, orderBy: { id: 'desc' }, select: { id: true } }),
  ]);
  return { watchId: active?.id, replayId: ended?.id };
}

export function createGraphQLYoga(options: YogaOptions): Yoga {
  const logger = options.logger.child({ component: 'graphql' });
  const examples = graphiqlExamples(options.shared.queue.jobTypes);
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema: options.schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    cors: false, // the dashboard is same-origin; no cross-site page may call with a preflight either
    maskedErrors: true,
    graphiql: {
      title: 'SyncBridge GraphiQL',
      defaultTabs: [examples],
      defaultQuery: examples.query,
      // What Yoga's page opens the editors with (read by its renderer, not in the option types).
      ...({ query: examples.query, variables: examples.variables } as object),
      // With tokens, subscriptions go over SSE: a plain request, so the Headers tab's authorization applies.
      subscriptionsProtocol: options.tokens.enabled ? 'SSE' : 'WS',
    },
    // The GraphiQL bundle costs ~75 MB of memory once loaded: only processes that serve the page pay it.
    // Rendered per visit: the examples' job ids are today's (a server with tokens shows none to an unauthenticated page).
    renderGraphiQL: async (graphiqlOptions) => {
      const current = options.tokens.enabled ? examples : graphiqlExamples(options.shared.queue.jobTypes, await exampleJobs(options.shared.queue.db).catch(() => ({})));
      const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
      return renderGraphiQL({ ...graphiqlOptions, defaultTabs: [current], defaultQuery: current.query, ...({ query: current.query, variables: current.variables } as object) });
    },
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      // Unexpected errors are logged once, structured, by logUnexpected; Yoga's own copy is detail.
      error: (...args) => logger.debug(args.map(String).join(' ')),
    },
    // The HTTP route and the live transports authenticate; a request without a caller (yoga.fetch)
    // is authenticated here, and a bad token there is a caller with no role. WebSocket operations
    // have no fetch Request: they get a fresh request id.
    context: (initial: { request?: Request; req?: IncomingMessage; principal?: Principal; remoteAddress?: string }) => {
      const fromHttp = initial.req && callers.get(initial.req);
      const caller = fromHttp ?? initial;
      const { shared } = options;
      // Written out, not spread: the spread showed as 11 µs of self time a request in a job(id) profile.
      return {
        queue: shared.queue,
        live: shared.live,
        mutationLimiter: shared.mutationLimiter,
        upstreams: shared.upstreams,
        history: shared.history,
        operatorLinks: shared.operatorLinks,
        forensicsRole: shared.forensicsRole,
        redactor: shared.redactor,
        readProcesses: shared.readProcesses,
        circuits: shared.circuits,
        requestId: fromHttp ? fromHttp.requestId : initial.request ? fetchRequestIdOf(initial.request) : randomUUID(),
        loaders: new Loaders(shared.queue.reads),
        logger,
        principal: caller.principal ?? principalOf(options.tokens, initial.request?.headers.get('authorization') ?? undefined),
        remoteAddress: caller.remoteAddress,
      } satisfies GraphQLContext;
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
      mapServiceErrors(logger),
      logUnexpected(logger),
      logServerErrors(logger),
      traceOperations,
      ...(options.plugins ?? []),
    ],
  });
}
