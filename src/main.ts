/**
 * Wiring and shutdown. `startSyncBridge` builds one process from a Config by composing its parts
 * (src/app): the database and the queue context, the upstreams, the live part, the API part, the
 * HTTP server they share, and (once it listens, so the worker knows its own mocks' address) the
 * worker part. The service entry (src/start.ts) and the tests both use it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Heartbeat, processesRead } from './queue/maintenance/heartbeat.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { isLoopback, type Config } from './config/index.js';
import { MutationRateLimiter } from './auth/rateLimit.js';
import { TokenStore } from './auth/tokens.js';
import { openDatabase, waitForDatabase, type Database } from './db/client.js';
import { EventBus } from './events/bus.js';
import type { MockUpstreams } from './integrations/mocks.js';
import type { QueueContext } from './queue/context.js';
import { isUniqueViolation } from './queue/prismaErrors.js';
import type { Retention } from './queue/maintenance/retention.js';
import type { AlertEvaluator } from './queue/maintenance/alerts.js';
import { groupsSummaryRead } from './queue/reads/groupsRead.js';
import { queueStatsRead } from './queue/reads/queueStatsRead.js';
import type { Worker } from './queue/worker/worker.js';
import { createHttpServer, healthRoutes, mockRoutes, type RouteHandler } from './server/http.js';
import { createPrometheus } from './server/prometheus/index.js';
import { readinessCheck } from './server/readiness.js';
import { startTracing } from './tracing.js';
import { createApi, type ApiPart } from './app/api.js';
import type { SharedContext } from './server/graphql/yoga.js';
import { startLive, type LivePart } from './app/live.js';
import { resolveJobTypes } from './app/jobTypes.js';
import { startCircuits, startUpstreams, upstreamsOf, type UpstreamsPart } from './app/upstreams.js';
import type { UpstreamCircuits } from './queue/circuits.js';
import { enabledWebhookSources } from './app/webhooks.js';
import { alertDeliveryType } from './app/alerts.js';
import type { WebhookSource } from './platform/webhooks.js';
import type { EnabledWebhookSource } from './server/webhooks.js';
import type { JobTypeDefinition } from './platform/defineJobType.js';
import type { JobTypeRegistry } from './platform/registry.js';
import type { UpstreamConfig } from './platform/upstreamClient.js';
import { attemptHistory, startWorkerPart, type WorkerPart } from './app/worker.js';

/** This build's version, as the processes view shows it. */
const packageVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Secrets never logged: tokens in headers, connection payloads and configuration. */
export const logRedactPaths = ['req.headers.authorization', 'headers.authorization', 'authorization', '*.authorization', 'token', '*.token', 'apiTokens'];

export interface SyncBridge {
  config: Config;
  url: string;
  database: Database;
  context: QueueContext;
  bus: EventBus;
  live: Omit<LivePart, 'stop' | 'transport'> & Pick<ApiPart, 'engine' | 'websocket' | 'sse'>;
  /** The HTTP server (every transport listens on it). */
  server: Server;
  /** In-process GraphQL: `yoga.fetch('http://x/graphql', …)` (tests, scripts). */
  yoga: ApiPart['yoga'];
  worker: Worker | undefined;
  /** Pruning of old finished jobs (in worker processes). */
  retention: Retention | undefined;
  /** The alert rules' evaluation (in worker processes). */
  alerts: AlertEvaluator | undefined;
  mocks: MockUpstreams | undefined;
  /** The job types this process runs. */
  jobTypes: JobTypeRegistry;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** The job types to run (default: the module SYNCBRIDGE_JOB_TYPES names, else the demo's). */
  jobTypes?: readonly JobTypeDefinition[];
  /** Their upstreams (default: the module's `upstreams` export, else the demo's crm and billing). */
  upstreams?: Record<string, UpstreamConfig>;
  /** Webhook sources (default: the module's `webhooks` export, else the demo's crm). */
  webhooks?: Record<string, WebhookSource>;
  /** Pins the clock (tests). */
  now?: () => Date;
  /** Emit Prisma query events (statement counting). */
  queryEvents?: boolean;
  /** Where spans go when tracing is on (default: OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT). */
  spanProcessor?: SpanProcessor;
}

/** The database, once reachable and migrated, and the queue context every part shares. */
async function openQueue(config: Config, options: StartOptions, registry: JobTypeRegistry, logger: Logger): Promise<{ database: Database; context: QueueContext; bus: EventBus }> {
  const connection = { queryEvents: options.queryEvents, statementTimeoutMs: config.dbStatementTimeoutSeconds * 1000, connectTimeoutMs: config.dbConnectTimeoutSeconds * 1000 };
  await waitForDatabase(config, {
    ...connection,
    waitMs: config.dbStartupWaitSeconds * 1000,
    onRetry: (error, delayMs) => logger.warn({ err: error.message, retryInMs: delayMs }, 'the database is not reachable yet; retrying'),
  });
  const database = await openDatabase(config, connection);
  if (database.appliedMigrations.length) logger.info({ migrations: database.appliedMigrations }, 'applied database migrations');
  await registerJobTypes(database, registry, { maxRetriesDefault: config.jobMaxRetriesDefault }, logger);
  const bus = new EventBus(logger);
  const context: QueueContext = {
    db: database.db,
    jobs: database.jobs,
    reads: database.reads,
    signals: database.signals,
    capabilities: database.capabilities,
    jobTypes: registry,
    bus,
    logger,
    settings: {
      maxRetriesDefault: config.jobMaxRetriesDefault,
      backoffBaseSeconds: config.backoffBaseSeconds,
      leaseSeconds: config.leaseSeconds,
      handlerTimeoutMs: config.handlerTimeoutSeconds * 1000,
    },
    now: options.now ?? (() => new Date()),
  };
  return { database, context, bus };
}

/**
 * Records this process's types in the database (JobTypeState: a new row is unpaused and
 * unlimited; pause and limits are never touched here) with what an enqueue made in SQL needs
 * (syncbridge_enqueue: systems, newest payload version, retries, ifActive), and learns of the
 * ones earlier processes registered, so jobs of a type this module no longer defines stay listed.
 */
async function registerJobTypes(database: Database, registry: JobTypeRegistry, settings: { maxRetriesDefault: number }, logger: Logger): Promise<void> {
  const stored = new Set((await database.jobs.controls()).map((control) => control.jobType));
  for (const type of registry.all()) {
    const defaults = {
      payloadVersion: type.versions.at(-1)!,
      sourceSystem: type.sourceSystem,
      targetSystem: type.targetSystem,
      entityType: type.entityType,
      maxRetries: type.maxRetries ?? settings.maxRetriesDefault,
      ifActive: type.ifActive,
      debounceMs: type.debounceMs,
      maxDelayMs: type.maxDelayMs,
      groupConcurrency: type.groupConcurrency ?? null,
      // Never unset here: jobs stored with groups stay claimed by group.
      ...(type.grouped ? { grouped: true } : {}),
    };
    // Another process starting at the same time may write it too: the upsert makes that the same row.
    await database.db.jobTypeState
      .upsert({ where: { jobType: type.name }, create: { jobType: type.name, updatedAt: new Date(), ...defaults }, update: defaults })
      .catch((error: unknown) => {
        if (!isUniqueViolation(error)) throw error;
      });
    stored.add(type.name);
  }
  registry.noteStored([...stored]);
  if (registry.retired.length) logger.warn({ jobTypes: registry.retired }, 'job types registered before but not defined here: their jobs are listed, not run');
}

function logAccess(config: Config, tokens: TokenStore, logger: Logger): void {
  if (tokens.enabled) return void logger.info({ tokens: config.apiTokens.map((entry) => ({ name: entry.name, role: entry.role })) }, 'API tokens required');
  logger.warn(
    { host: config.host },
    config.allowAnonymous && !isLoopback(config.host)
      ? 'no API tokens: every caller is admin (SYNCBRIDGE_ALLOW_ANONYMOUS); keep an authenticating proxy in front'
      : 'no API tokens: every caller on this machine is admin; set SYNCBRIDGE_API_TOKENS to require tokens',
  );
}

async function listen(server: Server, config: Config): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
}

/** The one HTTP server every transport shares. A worker-only process (SYNCBRIDGE_API=off) still answers health checks, Prometheus and its mock upstreams. */
function httpServer(
  config: Config,
  logger: Logger,
  parts: { database: Database; live: LivePart; api: ApiPart; metricsRoute: RouteHandler; mocks: MockUpstreams | undefined },
): Server {
  const { database, live, api, metricsRoute, mocks } = parts;
  const server = createHttpServer({
    logger,
    maxConnections: config.httpMaxConnections,
    headersTimeoutMs: config.httpHeadersTimeoutSeconds * 1000,
    requestTimeoutMs: config.httpRequestTimeoutSeconds * 1000,
    routes: [healthRoutes(readinessCheck(database, live.transport)), ...api.routes.graphql, metricsRoute, ...(mocks ? [mockRoutes(mocks)] : []), ...api.routes.dashboard],
  });
  api.websocket?.attach(server);
  return server;
}

/** This process in the processes view: its worker's id (its lease owner) when it has one. */
function startHeartbeat(config: Config, context: QueueContext, work: WorkerPart | undefined): Heartbeat {
  const heartbeat = new Heartbeat(
    context,
    {
      id: work?.worker.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      roles: [...(config.apiEnabled ? (['api'] as const) : []), ...(work ? (['worker'] as const) : [])],
      version: packageVersion,
      concurrency: work ? config.workerConcurrency : null,
      running: () => work?.worker.held ?? 0,
    },
    config.heartbeatSeconds * 1000,
  );
  heartbeat.start();
  return heartbeat;
}

/**
 * Stop taking requests, let the worker drain within its grace period, publish its last
 * transitions, then close subscriptions and the database.
 */
async function stopInOrder(parts: {
  server: Server;
  work: WorkerPart | undefined;
  circuits: UpstreamCircuits;
  heartbeat: Heartbeat;
  live: LivePart;
  prometheus: { close(): void };
  api: ApiPart;
  database: Database;
  upstreams: UpstreamsPart;
  tracing: { shutdown(): Promise<void> } | undefined;
}): Promise<void> {
  const { server } = parts;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await parts.work?.stop();
  await parts.circuits.stop();
  await parts.heartbeat.stop();
  await parts.live.stop();
  parts.prometheus.close();
  await parts.api.close();
  server.closeAllConnections();
  await closed;
  await parts.database.close();
  await parts.upstreams.close();
  parts.upstreams.mocks?.close();
  await parts.tracing?.shutdown();
}

/** What every GraphQL operation of this process shares. */
function sharedContext(
  config: Config,
  context: QueueContext,
  parts: { live: LivePart; upstreams: UpstreamsPart; history: SharedContext['history']; circuits: UpstreamCircuits },
): SharedContext {
  return {
    queue: context,
    live: parts.live,
    mutationLimiter: new MutationRateLimiter(config.mutationsPerMinute),
    upstreams: parts.upstreams.pacer,
    history: parts.history,
    operatorLinks: config.operatorLinks,
    forensicsRole: config.forensicsRole,
    redactor: parts.upstreams.redactor,
    readProcesses: () => processesRead(context, config.heartbeatSeconds * 1000),
    circuits: parts.circuits,
  };
}

/**
 * The demo loop: each change PUT to the mock CRM posts a signed webhook, to
 * SYNCBRIDGE_CRM_WEBHOOK_URL, or to this server's own /hooks/crm when the crm source is enabled.
 */
function aimMockCrmWebhooks(config: Config, mocks: MockUpstreams | undefined, webhooks: readonly EnabledWebhookSource[], url: string, logger: Logger): void {
  if (!mocks) return;
  const crm = webhooks.find((source) => source.name === 'crm');
  const target = config.crmWebhookUrl ?? (crm ? `${url}/hooks/crm` : undefined);
  const secret = crm?.secrets[0] ?? config.webhookSecretsOf('crm')[0];
  if (!target) return;
  if (!secret)
    return void logger.warn(
      { url: config.crmWebhookUrl },
      'SYNCBRIDGE_CRM_WEBHOOK_URL is set but crm has no secret to sign with (SYNCBRIDGE_WEBHOOK_SECRETS=crm:<secret>): the mock CRM sends no webhooks',
    );
  mocks.sendWebhooksTo({ url: target, secret, logger });
  logger.info({ url: target }, 'the mock CRM posts a signed webhook for each change PUT to it');
}

export async function startSyncBridge(config: Config, options: StartOptions = {}): Promise<SyncBridge> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'syncbridge' }, redact: logRedactPaths });
  // The job types and their upstreams first: a module or credential at fault stops start-up before anything opens.
  const alertDelivery = alertDeliveryType();
  const types = await resolveJobTypes(config, options, [alertDelivery.definition]);
  const upstreamSet = upstreamsOf(config, types.upstreams);
  const webhooks = enabledWebhookSources(config, types.webhooks, logger);
  logger.info({ jobTypes: types.registry.list().map((type) => `${type.name} v${type.versions.join(',')}`), from: types.origin }, 'job types registered');
  const tracing = config.tracing ? await startTracing({ otlpEndpoint: config.otlpEndpoint, processor: options.spanProcessor }) : undefined;
  const { database, context, bus } = await openQueue(config, options, types.registry, logger);
  let listening: string | undefined;
  alertDelivery.connect({ db: context.db, config, url: () => listening });
  const tokens = new TokenStore(config.apiTokens);
  logAccess(config, tokens, logger);
  const upstreams = await startUpstreams(config, upstreamSet, database.pace, tokens, logger);
  const circuits = await startCircuits(config, context, types.registry, upstreamSet.resolved);
  const history = attemptHistory(config, context);
  const live = await startLive(config, database, context, bus, logger);
  const prometheus = createPrometheus(bus);
  const api = createApi(config, sharedContext(config, context, { live, upstreams, history, circuits }), tokens, logger, [prometheus.graphqlPlugin], webhooks);
  const metricsRoute = prometheus.route({
    readQueueStats: () => queueStatsRead(context),
    subscriptions: () => api.budget.active,
    webSockets: () => api.websocket?.connectionCount ?? 0,
    readUpstreams: () => upstreams.pacer.status(),
    readCircuits: () => circuits.status(),
    readGroups: () => groupsSummaryRead(context, config.metricsTopGroups),
  });
  const server = httpServer(config, logger, { database, live, api, metricsRoute, mocks: upstreams.mocks });
  const url = (listening = await listen(server, config));
  aimMockCrmWebhooks(config, upstreams.mocks, webhooks, url, logger);
  const work = config.workerEnabled ? await startWorkerPart(config, context, upstreams.runner(types.registry, url, circuits), history, circuits) : undefined;
  const heartbeat = startHeartbeat(config, context, work);
  logger.info({ url, database: database.capabilities.provider, api: config.apiEnabled, worker: Boolean(work) }, 'SyncBridge listening');

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopInOrder({ server, work, circuits, heartbeat, live, prometheus, api, database, upstreams, tracing }));

  const liveView = {
    jobs: live.jobs,
    metrics: live.metrics,
    jobTypes: live.jobTypes,
    alerts: live.alerts,
    groups: live.groups,
    channel: live.channel,
    engine: api.engine,
    websocket: api.websocket,
    sse: api.sse,
  };
  return {
    config,
    url,
    database,
    context,
    bus,
    live: liveView,
    server,
    yoga: api.yoga,
    worker: work?.worker,
    retention: work?.retention,
    alerts: work?.alerts,
    mocks: upstreams.mocks,
    jobTypes: types.registry,
    logger,
    stop,
  };
}
