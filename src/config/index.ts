/**
 * Environment → one validated Config. A bad value stops start-up with a ConfigError that names
 * every offending variable; nothing else in the code base reads process.env.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseTokenFile, parseTokenList, type TokenEntry } from '../auth/tokens.js';
import { envSchema, openFileLimit, reservedDescriptors, type Env } from './env.js';

export { openFileLimit } from './env.js';

/** Every environment variable the service reads (compose.yaml and the README name only these). */
export const configVariables = Object.keys(envSchema.shape);

export type DatabaseProvider = 'sqlite' | 'postgresql';

export interface Config {
  databaseUrl: string;
  databaseProvider: DatabaseProvider;
  /** PostgreSQL: statements running longer are canceled. */
  dbStatementTimeoutSeconds: number;
  /** PostgreSQL: connecting longer fails the attempt. */
  dbConnectTimeoutSeconds: number;
  /** How long start-up keeps trying to reach the database before it gives up. */
  dbStartupWaitSeconds: number;
  host: string;
  port: number;
  /** Undefined: the built-in mock on this server (its address is known only once listening). */
  crmBaseUrl: string | undefined;
  billingBaseUrl: string | undefined;
  mocksEnabled: boolean;
  jobMaxRetriesDefault: number;
  backoffBaseSeconds: number;
  leaseSeconds: number;
  workerEnabled: boolean;
  /** Serve GraphQL (HTTP, SSE, WebSocket) and the dashboard; off: a worker-only process (health, /metrics, mocks). */
  apiEnabled: boolean;
  workerConcurrency: number;
  /** Most jobs claimed ahead of free handler slots (the worker adapts below it to demand). */
  workerPrefetch: number;
  /** Fallback poll for jobs that became due without a wake-up (scheduled, retries, other processes). */
  workerPollSeconds: number;
  shutdownGraceSeconds: number;
  upstreamTimeoutSeconds: number;
  /** A handler running longer is aborted and the attempt fails (HandlerTimeout, retryable). */
  handlerTimeoutSeconds: number;
  /** How often worker processes evaluate the alert rules. */
  alertsIntervalSeconds: number;
  /** Groups exported to Prometheus one by one (the largest backlogs); the rest are summed per type. */
  metricsTopGroups: number;
  /** A new alert's first notification waits this long, so a burst is told as one. */
  alertGroupWaitSeconds: number;
  /** SMTP for EMAIL alert channels (never logged: it may hold a password). */
  smtpUrl: string | undefined;
  alertEmailFrom: string;
  /** Circuit breakers on the upstreams (each upstream may turn its own off or tune it). */
  circuitBreakers: boolean;
  /** Requests per second each upstream may receive from all processes together (absent: unpaced). */
  upstreamRateLimits: Record<string, number>;
  /** SYNCBRIDGE_UPSTREAM_<NAME>_URL: a base URL for the upstream of that name (lower-cased), over its module's. */
  upstreamUrls: Record<string, string>;
  /** The module of job types (SYNCBRIDGE_JOB_TYPES); undefined: the built-in demo types. */
  jobTypesModule: string | undefined;
  /** The value of an environment variable an upstream names for its secret (never stored in the config, never logged). */
  secretOf(name: string): string | undefined;
  /** A webhook source's secrets from SYNCBRIDGE_WEBHOOK_SECRETS (several while rotating); a function, so the config never logs them. */
  webhookSecretsOf(source: string): readonly string[];
  /** The sources SYNCBRIDGE_WEBHOOK_SECRETS names (checked against the defined ones at start-up). */
  webhookSecretSources: string[];
  /** Deliveries per minute each webhook source may make, per process (0: unlimited), unless the source says otherwise. */
  webhookDeliveriesPerMinute: number;
  /** Webhook deliveries (and with them the memory of their ids) are pruned this long after they arrived (0: kept forever). */
  retentionWebhookDeliveriesSeconds: number;
  /** Where the demo CRM posts its signed webhooks; undefined: this server's own /hooks/crm when the crm source is enabled. */
  crmWebhookUrl: string | undefined;
  /** Cross-process live events through Redis pub/sub, and the upstreams' shared pace; unset: PostgreSQL LISTEN/NOTIFY (or none on SQLite) and the database. */
  redisUrl: string | undefined;
  wsMaxConnections: number;
  wsKeepAliveSeconds: number;
  /** A WebSocket must send connection_init within this. */
  wsInitTimeoutSeconds: number;
  /** A WebSocket without subscriptions for this long is closed (0: never). */
  wsIdleTimeoutSeconds: number;
  /** Bytes of updates a live connection (WebSocket or SSE) may have waiting, after compaction, before it is closed as too slow. */
  liveMaxQueuedBytes: number;
  /** A live connection that takes nothing for this long while updates wait is closed (it stopped reading). */
  liveStallSeconds: number;
  /** Subscriptions one WebSocket may hold at once. */
  wsMaxSubscriptionsPerConnection: number;
  /** Subscriptions this process holds at once, WebSocket and SSE together. */
  maxSubscriptions: number;
  /** Largest HTTP request body accepted (413 beyond). */
  httpMaxBodyBytes: number;
  /** Request body bytes all requests together may hold while being read (503 beyond). */
  httpMaxBodyBytesInFlight: number;
  /** Inbound TCP connections held at once (HTTP, SSE and WebSocket together); more are dropped at accept. */
  httpMaxConnections: number;
  /** A request's headers must arrive within this. */
  httpHeadersTimeoutSeconds: number;
  /** A request (headers and body) must arrive within this. */
  httpRequestTimeoutSeconds: number;
  /** Queries and mutations one WebSocket may have running at once (more are refused). */
  wsMaxOperationsInFlight: number;
  /** Queries, mutations and starting subscriptions over all WebSockets of this process at once. */
  maxOperationsInFlight: number;
  /** Field names redacted in stored forensics and error texts, beyond the built-in ones. */
  redactKeys: string[];
  /** The least role that sees upstream bodies and error stacks in attempts' forensics. */
  forensicsRole: 'viewer' | 'operator' | 'admin';
  /** Bounds on one GraphQL operation, over every transport. */
  graphqlLimits: GraphQLLimits;
  /** API tokens (SYNCBRIDGE_API_TOKENS and the digests of SYNCBRIDGE_API_TOKENS_FILE); none: every caller is the anonymous admin. */
  apiTokens: TokenEntry[];
  /** Whether a server without tokens may listen beyond loopback. */
  allowAnonymous: boolean;
  /** Mutations one token (or one anonymous address) may run per minute, per process (0: unlimited). */
  mutationsPerMinute: number;
  /** Origins (scheme://host:port) whose browser pages may open WebSockets here, beyond the server's own. */
  allowedOrigins: string[];
  /** Run only the operations the dashboard and the CLI ship (client/dist/trusted-documents.json). */
  persistedOnly: boolean;
  /** SUCCEEDED and CANCELED jobs are pruned this long after they finished (0: kept forever). */
  retentionSucceededSeconds: number;
  /** FAILED and DEAD jobs are pruned this long after they finished (0: kept forever). */
  retentionFailedSeconds: number;
  /** How often a worker process prunes. */
  retentionIntervalSeconds: number;
  /** How often each process reports itself to the processes view (a process silent for three beats is left out). */
  heartbeatSeconds: number;
  /** Where the dashboard links a correlation id ({correlationId}) and an attempt's trace ({traceId}). */
  operatorLinks: { logSearch: string | undefined; trace: string | undefined };
  /** OpenTelemetry traces over OTLP/HTTP. */
  tracing: boolean;
  otlpEndpoint: string | undefined;
  logLevel: string;
}

export interface GraphQLLimits {
  /** Deepest field nesting. */
  maxDepth: number;
  /** Estimated fields resolved: lists count as many times as their bound (`first`, page size). */
  maxCost: number;
  /** Fields selected in all, with fragments expanded. */
  maxBreadth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Lexical tokens of the document (variables do not count). */
  maxTokens: number;
  /** Fragment definitions in the document. */
  maxFragments: number;
  /** Queries and mutations are aborted after this long (subscriptions: per event). */
  timeoutMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The checks across variables, once each value is valid on its own. */
function checkCombinations(e: Env, host: string, apiTokens: TokenEntry[]): void {
  const descriptors = openFileLimit();
  if (descriptors !== undefined && e.SYNCBRIDGE_HTTP_MAX_CONNECTIONS > descriptors - reservedDescriptors) {
    throw new ConfigError(
      `SYNCBRIDGE_HTTP_MAX_CONNECTIONS=${e.SYNCBRIDGE_HTTP_MAX_CONNECTIONS} leaves too few of this process's ${descriptors} file descriptors ` +
        `for the database and upstream calls; use at most ${Math.max(1, descriptors - reservedDescriptors)}, or raise the limit (ulimit -n).`,
    );
  }
  if (!e.SYNCBRIDGE_API && !e.SYNCBRIDGE_WORKER) {
    throw new ConfigError('SYNCBRIDGE_API=off and SYNCBRIDGE_WORKER=off: this process would serve nothing and run nothing; turn one of them on.');
  }
  // Without the API nobody can reach a mutation: a worker-only process needs no tokens on any address.
  if (e.SYNCBRIDGE_API && !apiTokens.length && !isLoopback(host) && !e.SYNCBRIDGE_ALLOW_ANONYMOUS) {
    throw new ConfigError(
      `Refusing to listen on ${host} without API tokens: anyone who reaches it could cancel and replay jobs. ` +
        'Set SYNCBRIDGE_API_TOKENS (or SYNCBRIDGE_API_TOKENS_FILE), or SYNCBRIDGE_ALLOW_ANONYMOUS=true behind a proxy that authenticates.',
    );
  }
}

/** The database, the process's roles and the jobs' defaults. */
function queueSettings(e: Env) {
  const databaseUrl = e.DATABASE_URL || 'file:./syncbridge.db';
  return {
    databaseUrl,
    databaseProvider: (databaseUrl.startsWith('file:') ? 'sqlite' : 'postgresql') as DatabaseProvider,
    dbStatementTimeoutSeconds: e.SYNCBRIDGE_DB_STATEMENT_TIMEOUT_SECONDS,
    dbConnectTimeoutSeconds: e.SYNCBRIDGE_DB_CONNECT_TIMEOUT_SECONDS,
    dbStartupWaitSeconds: e.SYNCBRIDGE_DB_STARTUP_WAIT_SECONDS,
    jobMaxRetriesDefault: e.SYNCBRIDGE_JOB_MAX_RETRIES_DEFAULT,
    backoffBaseSeconds: e.SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS,
    leaseSeconds: e.SYNCBRIDGE_JOB_LEASE_SECONDS,
    workerEnabled: e.SYNCBRIDGE_WORKER,
    apiEnabled: e.SYNCBRIDGE_API,
    workerConcurrency: e.SYNCBRIDGE_WORKER_CONCURRENCY,
    workerPrefetch: e.SYNCBRIDGE_WORKER_PREFETCH,
    workerPollSeconds: e.SYNCBRIDGE_WORKER_POLL_SECONDS,
    shutdownGraceSeconds: e.SYNCBRIDGE_SHUTDOWN_GRACE_SECONDS,
    handlerTimeoutSeconds: e.SYNCBRIDGE_HANDLER_TIMEOUT_SECONDS,
    redisUrl: e.REDIS_URL || undefined,
    retentionSucceededSeconds: e.SYNCBRIDGE_RETENTION_SUCCEEDED,
    retentionFailedSeconds: e.SYNCBRIDGE_RETENTION_FAILED,
    retentionWebhookDeliveriesSeconds: e.SYNCBRIDGE_RETENTION_WEBHOOK_DELIVERIES,
    retentionIntervalSeconds: e.SYNCBRIDGE_RETENTION_INTERVAL_SECONDS,
    heartbeatSeconds: e.SYNCBRIDGE_HEARTBEAT_SECONDS,
  };
}

/** Variables whose names carry an upstream's name: SYNCBRIDGE_UPSTREAM_<NAME>_URL. */
function upstreamUrlsOf(env: Record<string, string | undefined>): Record<string, string> {
  const urls: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    const match = /^SYNCBRIDGE_UPSTREAM_([A-Z0-9_]+)_URL$/.exec(key);
    if (!match || value === undefined || value === '') continue;
    if (!/^https?:\/\/[^\s]+$/.test(value)) problems.push(`  ${key}: must be an http(s) URL`);
    else urls[match[1]!.toLowerCase().replaceAll('_', '-')] = value;
  }
  if (problems.length) throw new ConfigError(`Invalid configuration; fix these environment variables:\n${problems.join('\n')}`);
  // A name with - is written with _ in a variable name: both spellings find it.
  for (const [name, url] of Object.entries(urls)) urls[name.replaceAll('-', '_')] ??= url;
  return urls;
}

/** The upstreams the handlers call, and what is kept of their exchanges. */
function upstreamSettings(e: Env, host: string, apiTokens: TokenEntry[], env: Record<string, string | undefined>) {
  return {
    upstreamUrls: upstreamUrlsOf(env),
    jobTypesModule: e.SYNCBRIDGE_JOB_TYPES?.trim() || undefined,
    secretOf: (name: string) => env[name],
    webhookSecretsOf: (source: string) => e.SYNCBRIDGE_WEBHOOK_SECRETS[source] ?? [],
    webhookSecretSources: Object.keys(e.SYNCBRIDGE_WEBHOOK_SECRETS),
    webhookDeliveriesPerMinute: e.SYNCBRIDGE_WEBHOOK_DELIVERIES_PER_MINUTE,
    crmWebhookUrl: e.SYNCBRIDGE_CRM_WEBHOOK_URL || undefined,
    crmBaseUrl: e.SYNCBRIDGE_CRM_BASE_URL || undefined,
    billingBaseUrl: e.SYNCBRIDGE_BILLING_BASE_URL || undefined,
    // The mocks answer anyone who reaches them: on by default only where that is the demo's own machine.
    mocksEnabled: e.SYNCBRIDGE_MOCKS ?? (isLoopback(host) && !apiTokens.length),
    upstreamTimeoutSeconds: e.SYNCBRIDGE_UPSTREAM_TIMEOUT_SECONDS,
    upstreamRateLimits: e.SYNCBRIDGE_UPSTREAM_RATE_LIMITS,
    circuitBreakers: e.SYNCBRIDGE_CIRCUIT_BREAKERS,
    alertsIntervalSeconds: e.SYNCBRIDGE_ALERTS_INTERVAL_SECONDS,
    metricsTopGroups: e.SYNCBRIDGE_METRICS_TOP_GROUPS,
    alertGroupWaitSeconds: e.SYNCBRIDGE_ALERT_GROUP_WAIT_SECONDS,
    smtpUrl: e.SYNCBRIDGE_SMTP_URL || undefined,
    alertEmailFrom: e.SYNCBRIDGE_ALERT_EMAIL_FROM,
    redactKeys: e.SYNCBRIDGE_REDACT_KEYS,
  };
}

/** HTTP, WebSocket, SSE and GraphQL: what a caller may ask of the server, and how much. */
function serverSettings(e: Env) {
  return {
    port: e.PORT,
    wsMaxConnections: e.SYNCBRIDGE_WS_MAX_CONNECTIONS,
    wsKeepAliveSeconds: e.SYNCBRIDGE_WS_KEEPALIVE_SECONDS,
    wsMaxSubscriptionsPerConnection: e.SYNCBRIDGE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    wsInitTimeoutSeconds: e.SYNCBRIDGE_WS_INIT_TIMEOUT_SECONDS,
    wsIdleTimeoutSeconds: e.SYNCBRIDGE_WS_IDLE_TIMEOUT_SECONDS,
    liveMaxQueuedBytes: e.SYNCBRIDGE_LIVE_MAX_QUEUED_BYTES,
    liveStallSeconds: e.SYNCBRIDGE_LIVE_STALL_SECONDS,
    maxSubscriptions: e.SYNCBRIDGE_MAX_SUBSCRIPTIONS,
    httpMaxBodyBytes: e.SYNCBRIDGE_HTTP_MAX_BODY_BYTES,
    httpMaxBodyBytesInFlight: e.SYNCBRIDGE_HTTP_MAX_BODY_BYTES_IN_FLIGHT,
    httpMaxConnections: e.SYNCBRIDGE_HTTP_MAX_CONNECTIONS,
    httpHeadersTimeoutSeconds: e.SYNCBRIDGE_HTTP_HEADERS_TIMEOUT_SECONDS,
    httpRequestTimeoutSeconds: e.SYNCBRIDGE_HTTP_REQUEST_TIMEOUT_SECONDS,
    wsMaxOperationsInFlight: e.SYNCBRIDGE_WS_MAX_OPERATIONS_IN_FLIGHT,
    maxOperationsInFlight: e.SYNCBRIDGE_MAX_OPERATIONS_IN_FLIGHT,
    graphqlLimits: {
      maxDepth: e.SYNCBRIDGE_GRAPHQL_MAX_DEPTH,
      maxCost: e.SYNCBRIDGE_GRAPHQL_MAX_COST,
      maxBreadth: e.SYNCBRIDGE_GRAPHQL_MAX_BREADTH,
      maxAliases: e.SYNCBRIDGE_GRAPHQL_MAX_ALIASES,
      maxDirectives: e.SYNCBRIDGE_GRAPHQL_MAX_DIRECTIVES,
      maxTokens: e.SYNCBRIDGE_GRAPHQL_MAX_TOKENS,
      maxFragments: e.SYNCBRIDGE_GRAPHQL_MAX_FRAGMENTS,
      timeoutMs: e.SYNCBRIDGE_GRAPHQL_TIMEOUT_SECONDS * 1000,
    },
  };
}

/** Who may call, and what operators see and link to. */
function accessSettings(e: Env) {
  return {
    allowAnonymous: e.SYNCBRIDGE_ALLOW_ANONYMOUS,
    mutationsPerMinute: e.SYNCBRIDGE_MUTATIONS_PER_MINUTE,
    persistedOnly: e.SYNCBRIDGE_PERSISTED_ONLY,
    forensicsRole: e.SYNCBRIDGE_FORENSICS_ROLE,
    allowedOrigins: (e.SYNCBRIDGE_ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    operatorLinks: { logSearch: e.SYNCBRIDGE_LOG_SEARCH_URL || undefined, trace: e.SYNCBRIDGE_TRACE_URL || undefined },
    tracing: e.SYNCBRIDGE_TRACING,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    logLevel: e.LOG_LEVEL,
  };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration; fix these environment variables:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const host = e.HOST || '127.0.0.1';
  const apiTokens = loadTokens(e.SYNCBRIDGE_API_TOKENS, e.SYNCBRIDGE_API_TOKENS_FILE);
  checkCombinations(e, host, apiTokens);
  return { host, apiTokens, ...queueSettings(e), ...upstreamSettings(e, host, apiTokens, env), ...serverSettings(e), ...accessSettings(e) };
}

/** Whether `host` is a loopback address (only this machine can reach it). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

function loadTokens(list: string | undefined, file: string | undefined): TokenEntry[] {
  const problems: string[] = [];
  const entries: TokenEntry[] = [];
  if (list?.trim()) {
    const parsed = parseTokenList(list);
    entries.push(...parsed.entries);
    problems.push(...parsed.problems.map((problem) => `SYNCBRIDGE_API_TOKENS: ${problem}`));
  }
  if (file?.trim()) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push(`SYNCBRIDGE_API_TOKENS_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (text !== undefined) {
      const parsed = parseTokenFile(text);
      entries.push(...parsed.entries);
      problems.push(...parsed.problems.map((problem) => `SYNCBRIDGE_API_TOKENS_FILE ${file}: ${problem}`));
    }
  }
  const names = new Set<string>();
  for (const entry of entries) {
    if (names.has(entry.name)) problems.push(`API token names must be unique; "${entry.name}" appears twice`);
    names.add(entry.name);
  }
  if (problems.length) throw new ConfigError(`Invalid configuration; fix these environment variables:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  return entries;
}

/** A short name for one deployment (its database, password left out), for the keys it shares on Redis. */
export function deploymentHash(databaseUrl: string): string {
  const url = new URL(databaseUrl.startsWith('file:') ? `file:///${databaseUrl.slice(5)}` : databaseUrl);
  url.password = '';
  return createHash('sha256').update(url.toString()).digest('hex').slice(0, 16);
}
