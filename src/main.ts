/**
 * Wiring and shutdown. `startSyncBridge` builds one process (database, bus, worker, HTTP server)
 * from a Config; the service entry (src/start.ts) and the tests both use it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { isLoopback, type Config } from './config/index.js';
import { TokenStore } from './auth/tokens.js';
import { authenticate } from './auth/principal.js';
import { MutationRateLimiter } from './auth/rateLimit.js';
import { loadTrustedHashes } from './auth/trustedDocuments.js';
import { openDatabase, waitForDatabase, type Database } from './db/client.js';
import { defaultHandlers, type HandlerRegistry } from './handlers/index.js';
import { createJobRunner } from './handlers/runner.js';
import { createClients } from './integrations/clients.js';
import type { ExchangeLog } from './integrations/exchanges.js';
import { UpstreamPacer } from './integrations/pace.js';
import { databasePaceStore, redisPaceStore } from './integrations/paceStores.js';
import { MockUpstreams } from './integrations/mocks.js';
import { Redactor } from './integrations/redaction.js';
import { EventBus } from './live/bus.js';
import type { QueueContext } from './queue/context.js';
import { Worker } from './queue/worker.js';
import { Retention } from './queue/retention.js';
import { Scheduler } from './queue/schedules.js';
import { createHttpServer, healthRoutes, mockRoutes } from './server/http.js';
import { readinessCheck } from './server/readiness.js';
import { createGraphQLServer } from './server/graphql.js';
import { LiveWebSocketServer } from './server/live/websocket.js';
import { LiveEngine } from './server/live/engine.js';
import { SseSubscriptions } from './server/live/sse.js';
import { schema } from './graphql/schema.js';
import { clientDist, staticRoutes } from './server/static.js';
import { startTracing } from './tracing.js';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { createPrometheus } from './server/prometheus/index.js';
import { queueStatsRead } from './queue/queueStatsRead.js';
import { LiveChannel } from './live/channel.js';
import { JobUpdateHub } from './live/jobUpdates.js';
import { openRedisTransport } from './live/redisTransport.js';
import { SnapshotFeed } from './queue/snapshotFeed.js';
import { AttemptHistory } from './queue/attemptHistory.js';
import { metricsRead, type QueueMetrics } from './queue/metricsRead.js';
import { jobTypesRead, type JobTypeStatus } from './queue/jobTypesRead.js';
import { SubscriptionBudget } from './server/subscriptionBudget.js';

/** Secrets never logged: tokens in headers, connection payloads and configuration. */
export const logRedactPaths = ['req.headers.authorization', 'headers.authorization', 'authorization', '*.authorization', 'token', '*.token', 'apiTokens'];

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface SyncBridge {
  config: Config;
  url: string;
  database: Database;
  context: QueueContext;
  bus: EventBus;
  live: {
    jobs: JobUpdateHub;
    metrics: SnapshotFeed<QueueMetrics>;
    jobTypes: SnapshotFeed<JobTypeStatus[]>;
    channel: LiveChannel;
    engine: LiveEngine;
    /** Absent when SYNCBRIDGE_API=off (a worker-only process). */
    websocket: LiveWebSocketServer | undefined;
    sse: SseSubscriptions;
  };
  /** The HTTP server (every transport listens on it). */
  server: Server;
  /** In-process GraphQL: `yoga.fetch('http://x/graphql', …)` (tests, scripts). */
  yoga: ReturnType<typeof createGraphQLServer>['yoga'];
  worker: Worker | undefined;
  /** Pruning of old finished jobs (in worker processes). */
  retention: Retention | undefined;
  mocks: MockUpstreams | undefined;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  handlers?: HandlerRegistry;
  /** Pins the clock (tests). */
  now?: () => Date;
  /** Emit Prisma query events (statement counting). */
  queryEvents?: boolean;
  /** Where spans go when tracing is on (default: OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT). */
  spanProcessor?: SpanProcessor;
}

export async function startSyncBridge(config: Config, options: StartOptions = {}): Promise<SyncBridge> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'syncbridge' }, redact: logRedactPaths });
  const tracing = config.tracing ? await startTracing({ otlpEndpoint: config.otlpEndpoint, processor: options.spanProcessor }) : undefined;
  const connection = { queryEvents: options.queryEvents, statementTimeoutMs: config.dbStatementTimeoutSeconds * 1000, connectTimeoutMs: config.dbConnectTimeoutSeconds * 1000 };
  await waitForDatabase(config, {
    ...connection,
    waitMs: config.dbStartupWaitSeconds * 1000,
    onRetry: (error, delayMs) => logger.warn({ err: error.message, retryInMs: delayMs }, 'the database is not reachable yet; retrying'),
  });
  const database = await openDatabase(config, connection);
  if (database.appliedMigrations.length) logger.info({ migrations: database.appliedMigrations }, 'applied database migrations');
  const bus = new EventBus(logger);
  const context: QueueContext = {
    db: database.db,
    dialect: database.dialect,
    bus,
    logger,
    settings: {
      maxRetriesDefault: config.jobMaxRetriesDefault,
      backoffBaseSeconds: config.backoffBaseSeconds,
      leaseSeconds: config.leaseSeconds,
    },
    now: options.now ?? (() => new Date()),
  };
  const tokens = new TokenStore(config.apiTokens);
  // The mocks take the API's tokens, and a credential of this process's own for its worker's calls.
  const mockCredential = `Bearer sbm_${randomBytes(24).toString('base64url')}`;
  const mocks = config.mocksEnabled
    ? new MockUpstreams((authorization) => {
        if (!tokens.enabled || (authorization !== undefined && safeEqual(authorization, mockCredential))) return true;
        const authentication = authenticate(tokens, authorization);
        return authentication.ok && authentication.principal.role !== undefined;
      })
    : undefined;
  // Paced upstreams share their slots through Redis when there is one, else the database.
  const onPaceError = (error: Error) => logger.error({ err: error }, 'upstream pace store error');
  const paceStore = Object.keys(config.upstreamRateLimits).length
    ? config.redisUrl
      ? await redisPaceStore(config.redisUrl, config.databaseUrl, onPaceError)
      : databasePaceStore(database.dialect)
    : undefined;
  const upstreams = new UpstreamPacer(config.upstreamRateLimits, paceStore, logger);
  // Counted where attempts end: in worker processes.
  const history = config.workerEnabled ? new AttemptHistory(context) : undefined;
  history?.start();

  // Live: one hub and one metrics feed per process, fed by the bus; the channel carries this
  // process's transitions to the others (Redis if REDIS_URL is set, else the database's own
  // LISTEN/NOTIFY where it has one; SQLite deployments are one process).
  const onTransportError = (error: Error) => logger.error({ err: error }, 'live transport error');
  const transport = config.redisUrl ? await openRedisTransport(config.redisUrl, config.databaseUrl, onTransportError) : await database.dialect.eventTransport?.(onTransportError);
  const live = {
    jobs: new JobUpdateHub(bus),
    metrics: new SnapshotFeed(context, metricsRead, { kind: 'metricsUpdated' }),
    // Polled too: another process's pause or limit reaches this one through the database only.
    jobTypes: new SnapshotFeed(context, jobTypesRead, { kind: 'jobTypesUpdated', pollMs: 1_000 }),
  };
  const channel = new LiveChannel(bus, transport, logger, {
    hasSubscribers: () => live.jobs.size + live.metrics.size + live.jobTypes.size > 0,
    // After an interruption: the newest changes first, bounded (a subscriber that needs more resubscribes).
    changedSince: (since) => database.dialect.jobsPage({ filter: { updatedAfter: since }, now: new Date(), limit: 10_000 }),
  });
  await channel.start();
  let webSockets = () => 0;
  const subscriptionBudget = new SubscriptionBudget(config.maxSubscriptions);
  const prometheus = createPrometheus({
    bus,
    readQueueStats: () => queueStatsRead(context),
    subscriptions: () => subscriptionBudget.active,
    webSockets: () => webSockets(),
    readUpstreams: () => upstreams.status(),
  });
  if (!tokens.enabled) {
    logger.warn(
      { host: config.host },
      config.allowAnonymous && !isLoopback(config.host)
        ? 'no API tokens: every caller is admin (SYNCBRIDGE_ALLOW_ANONYMOUS); keep an authenticating proxy in front'
        : 'no API tokens: every caller on this machine is admin; set SYNCBRIDGE_API_TOKENS to require tokens',
    );
  } else logger.info({ tokens: config.apiTokens.map((entry) => ({ name: entry.name, role: entry.role })) }, 'API tokens required');
  const mutationLimiter = new MutationRateLimiter(config.mutationsPerMinute);
  const graphql = createGraphQLServer({
    queue: context,
    live,
    logger,
    limits: config.graphqlLimits,
    maxBodyBytes: config.httpMaxBodyBytes,
    maxBodyBytesInFlight: config.httpMaxBodyBytesInFlight,
    tokens,
    mutationLimiter,
    upstreams,
    history,
    operatorLinks: config.operatorLinks,
    forensicsRole: config.forensicsRole,
    trustedDocuments: config.persistedOnly ? loadTrustedHashes(join(clientDist, 'trusted-documents.json')) : undefined,
    plugins: [prometheus.graphqlPlugin],
  });
  // One execution per event for every identical subscription, over WebSocket and SSE alike.
  const engine = new LiveEngine(schema, logger);
  const sse = new SseSubscriptions(graphql.yoga, engine, logger, {
    limits: config.graphqlLimits,
    budget: subscriptionBudget,
    keepAliveMs: config.wsKeepAliveSeconds * 1000,
    outbox: { maxQueuedBytes: config.liveMaxQueuedBytes, stallMs: config.liveStallSeconds * 1000 },
  });
  graphql.serveSubscriptionsWith(sse);

  const server = createHttpServer({
    logger,
    maxConnections: config.httpMaxConnections,
    headersTimeoutMs: config.httpHeadersTimeoutSeconds * 1000,
    requestTimeoutMs: config.httpRequestTimeoutSeconds * 1000,
    // A worker-only process (SYNCBRIDGE_API=off) still answers health checks, Prometheus and its mock upstreams.
    routes: [
      healthRoutes(readinessCheck(database, transport)),
      ...(config.apiEnabled ? [graphql.route] : []),
      prometheus.route,
      ...(mocks ? [mockRoutes(mocks)] : []),
      ...(config.apiEnabled ? [staticRoutes()] : []),
    ],
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const websocket = config.apiEnabled
    ? new LiveWebSocketServer(server, graphql.yoga, engine, logger, {
        maxConnections: config.wsMaxConnections,
        keepAliveMs: config.wsKeepAliveSeconds * 1000,
        maxPayloadBytes: 1024 * 1024,
        limits: config.graphqlLimits,
        maxSubscriptionsPerConnection: config.wsMaxSubscriptionsPerConnection,
        maxOperationsInFlight: config.wsMaxOperationsInFlight,
        maxOperationsInFlightTotal: config.maxOperationsInFlight,
        budget: subscriptionBudget,
        initTimeoutMs: config.wsInitTimeoutSeconds * 1000,
        idleTimeoutMs: config.wsIdleTimeoutSeconds * 1000,
        outbox: { maxQueuedBytes: config.liveMaxQueuedBytes, stallMs: config.liveStallSeconds * 1000 },
        tokens,
        allowedOrigins: config.allowedOrigins,
      })
    : undefined;
  webSockets = () => websocket?.connectionCount ?? 0;
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const redactor = new Redactor(config.redactKeys);
  const upstreamOptions = {
    crmBaseUrl: config.crmBaseUrl ?? `${url}/mock/crm`,
    billingBaseUrl: config.billingBaseUrl ?? `${url}/mock/billing`,
    timeoutMs: config.upstreamTimeoutSeconds * 1000,
    redactor,
    headers: {
      crm: config.crmBaseUrl ? undefined : { authorization: mockCredential },
      billing: config.billingBaseUrl ? undefined : { authorization: mockCredential },
    },
  };
  const clientsFor = (log: ExchangeLog) => createClients(upstreamOptions, upstreams, log);
  if (!mocks && (!config.crmBaseUrl || !config.billingBaseUrl)) {
    logger.warn('SYNCBRIDGE_MOCKS is off but an upstream base URL is not set: jobs will fail to reach it');
  }

  const worker = config.workerEnabled
    ? new Worker({
        context,
        runner: createJobRunner(options.handlers ?? defaultHandlers(), clientsFor, redactor),
        concurrency: config.workerConcurrency,
        prefetchMax: config.workerPrefetch,
        pollIntervalMs: config.workerPollSeconds * 1000,
        shutdownGraceMs: config.shutdownGraceSeconds * 1000,
        handlerTimeoutMs: config.handlerTimeoutSeconds * 1000,
        tracing: config.tracing,
      })
    : undefined;
  await worker?.start();
  // Pruning runs where jobs are worked (API-only processes leave it to them).
  const retention = worker
    ? new Retention(context, {
        succeededSeconds: config.retentionSucceededSeconds,
        failedSeconds: config.retentionFailedSeconds,
        intervalMs: config.retentionIntervalSeconds * 1000,
      })
    : undefined;
  retention?.start();
  const scheduler = worker ? new Scheduler(context) : undefined;
  scheduler?.start();
  logger.info({ url, database: database.dialect.provider, api: config.apiEnabled, worker: Boolean(worker) }, 'SyncBridge listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Stop taking requests, let the worker drain within its grace period, publish its last
      // transitions, then close subscriptions and the database.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await scheduler?.stop();
      await retention?.stop();
      await worker?.stop();
      await history?.stop();
      await channel.stop();
      live.jobs.close();
      live.metrics.close();
      live.jobTypes.close();
      prometheus.close();
      engine.close();
      await websocket?.close();
      server.closeAllConnections();
      await closed;
      await database.close();
      await upstreams.close();
      await tracing?.shutdown();
    })());

  return { config, url, database, context, bus, live: { ...live, channel, engine, websocket, sse }, server, yoga: graphql.yoga, worker, retention, mocks, logger, stop };
}
