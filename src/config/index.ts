/**
 * Environment → one validated Config. A bad value stops start-up with a ConfigError that names
 * every offending variable; nothing else in the code base reads process.env.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseTokenFile, parseTokenList, type TokenEntry } from '../auth/tokens.js';
import { parseDurationSeconds } from '../domain.js';

const flag = <F extends boolean | undefined>(name: string, fallback: F) =>
  z
    .string()
    .optional()
    .transform((raw, ctx): boolean | F => {
      if (raw === undefined || raw === '') return fallback;
      const value = raw.trim().toLowerCase();
      if (['1', 'true', 'on', 'yes'].includes(value)) return true;
      if (['0', 'false', 'off', 'no'].includes(value)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be on/off (true/false, 1/0, yes/no), got "${raw}"` });
      return z.NEVER;
    });

const number = (opts: { int?: boolean; min: number; max: number; fallback: number }) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return opts.fallback;
      const value = Number(raw);
      const ok = Number.isFinite(value) && (!opts.int || Number.isInteger(value)) && value >= opts.min && value <= opts.max;
      if (!ok) {
        ctx.addIssue({
          code: 'custom',
          message: `must be ${opts.int ? 'an integer' : 'a number'} from ${opts.min} to ${opts.max}, got "${raw}"`,
        });
        return z.NEVER;
      }
      return value;
    });

/** A duration like 7d, 12h, 30m or 90s (0 or off: never); in seconds. */
const duration = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = raw.trim().toLowerCase();
      if (value === '0' || value === 'off') return 0;
      const seconds = parseDurationSeconds(value);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be a duration like 7d, 12h, 30m or 90s (or off), got "${raw}"` });
        return z.NEVER;
      }
      return seconds;
    });

/** A URL template for the dashboard's links out (logs, traces): http(s) and holding `placeholder`. */
const linkTemplate = (placeholder: string) =>
  z
    .string()
    .optional()
    .refine((raw) => !raw || (/^https?:\/\//.test(raw) && raw.includes(placeholder)), `must be an http(s) URL containing ${placeholder}`);

const httpUrl = z
  .string()
  .optional()
  .refine((raw) => raw === undefined || raw === '' || /^https?:\/\/[^\s]+$/.test(raw), 'must be an http(s) URL');

/** File descriptors kept out of the inbound connection cap: the database, upstream calls, files. */
const reservedDescriptors = 256;

/** This process's soft limit on open files (Linux), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/** Half the descriptors (the rest for the database, upstreams and the process), at most 10,000. */
function defaultMaxConnections(): number {
  const descriptors = openFileLimit() ?? 1024;
  return Math.max(1, Math.min(10_000, Math.floor(descriptors / 2), descriptors - reservedDescriptors));
}

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .optional()
    .refine(
      (raw) => raw === undefined || raw === '' || /^(file:.+|postgres(ql)?:\/\/.+)$/.test(raw),
      'must be file:<path> (SQLite) or postgresql://user@host:port/db (PostgreSQL)',
    ),
  SYNCBRIDGE_DB_STATEMENT_TIMEOUT_SECONDS: number({ min: 0.1, max: 86_400, fallback: 30 }),
  SYNCBRIDGE_DB_CONNECT_TIMEOUT_SECONDS: number({ min: 0.1, max: 600, fallback: 5 }),
  SYNCBRIDGE_DB_STARTUP_WAIT_SECONDS: number({ min: 0, max: 86_400, fallback: 60 }),
  HOST: z.string().optional(),
  PORT: number({ int: true, min: 0, max: 65535, fallback: 4000 }),
  SYNCBRIDGE_CRM_BASE_URL: httpUrl,
  SYNCBRIDGE_BILLING_BASE_URL: httpUrl,
  // Unset: on only for a loopback server without tokens (the demo); see loadConfig.
  SYNCBRIDGE_MOCKS: flag('SYNCBRIDGE_MOCKS', undefined),
  SYNCBRIDGE_JOB_MAX_RETRIES_DEFAULT: number({ int: true, min: 0, max: 100, fallback: 3 }),
  SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS: number({ min: 0.001, max: 86_400, fallback: 2 }),
  SYNCBRIDGE_JOB_LEASE_SECONDS: number({ min: 0.05, max: 86_400, fallback: 60 }),
  SYNCBRIDGE_WORKER: flag('SYNCBRIDGE_WORKER', true),
  SYNCBRIDGE_API: flag('SYNCBRIDGE_API', true),
  SYNCBRIDGE_WORKER_CONCURRENCY: number({ int: true, min: 1, max: 1000, fallback: Math.max(10, availableParallelism() * 5) }),
  SYNCBRIDGE_WORKER_PREFETCH: number({ int: true, min: 0, max: 10_000, fallback: 500 }),
  SYNCBRIDGE_WORKER_POLL_SECONDS: number({ min: 0.01, max: 3600, fallback: 1 }),
  SYNCBRIDGE_SHUTDOWN_GRACE_SECONDS: number({ min: 0, max: 3600, fallback: 10 }),
  SYNCBRIDGE_UPSTREAM_TIMEOUT_SECONDS: number({ min: 0.01, max: 600, fallback: 10 }),
  SYNCBRIDGE_HANDLER_TIMEOUT_SECONDS: number({ min: 0.01, max: 86_400, fallback: 120 }),
  REDIS_URL: z
    .string()
    .optional()
    .refine((raw) => raw === undefined || raw === '' || /^rediss?:\/\/.+$/.test(raw), 'must be redis://host:port (or rediss://)'),
  SYNCBRIDGE_WS_MAX_CONNECTIONS: number({ int: true, min: 1, max: 1_000_000, fallback: 10_000 }),
  SYNCBRIDGE_WS_KEEPALIVE_SECONDS: number({ min: 1, max: 3600, fallback: 12 }),
  SYNCBRIDGE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: number({ int: true, min: 1, max: 100_000, fallback: 100 }),
  SYNCBRIDGE_WS_MAX_OPERATIONS_IN_FLIGHT: number({ int: true, min: 1, max: 100_000, fallback: 100 }),
  SYNCBRIDGE_MAX_OPERATIONS_IN_FLIGHT: number({ int: true, min: 1, max: 10_000_000, fallback: 512 }),
  SYNCBRIDGE_WS_INIT_TIMEOUT_SECONDS: number({ min: 0.1, max: 3600, fallback: 3 }),
  SYNCBRIDGE_WS_IDLE_TIMEOUT_SECONDS: number({ min: 0, max: 86_400, fallback: 300 }),
  SYNCBRIDGE_LIVE_MAX_QUEUED_BYTES: number({ int: true, min: 64 * 1024, max: 1024 ** 3, fallback: 8 * 1024 * 1024 }),
  SYNCBRIDGE_LIVE_STALL_SECONDS: number({ min: 0.1, max: 3600, fallback: 10 }),
  SYNCBRIDGE_MAX_SUBSCRIPTIONS: number({ int: true, min: 1, max: 10_000_000, fallback: 50_000 }),
  SYNCBRIDGE_HTTP_MAX_BODY_BYTES: number({ int: true, min: 1024, max: 1024 ** 3, fallback: 4 * 1024 * 1024 }),
  SYNCBRIDGE_HTTP_MAX_BODY_BYTES_IN_FLIGHT: number({ int: true, min: 1024, max: 16 * 1024 ** 3, fallback: 64 * 1024 * 1024 }),
  SYNCBRIDGE_HTTP_MAX_CONNECTIONS: number({ int: true, min: 1, max: 1_000_000, fallback: defaultMaxConnections() }),
  SYNCBRIDGE_HTTP_HEADERS_TIMEOUT_SECONDS: number({ min: 0.1, max: 3600, fallback: 10 }),
  SYNCBRIDGE_HTTP_REQUEST_TIMEOUT_SECONDS: number({ min: 0.1, max: 86_400, fallback: 30 }),
  SYNCBRIDGE_GRAPHQL_MAX_DEPTH: number({ int: true, min: 1, max: 1000, fallback: 12 }),
  SYNCBRIDGE_GRAPHQL_MAX_COST: number({ int: true, min: 1, max: 1e9, fallback: 50_000 }),
  SYNCBRIDGE_GRAPHQL_MAX_BREADTH: number({ int: true, min: 1, max: 1e6, fallback: 1_000 }),
  SYNCBRIDGE_GRAPHQL_MAX_ALIASES: number({ int: true, min: 0, max: 100_000, fallback: 30 }),
  SYNCBRIDGE_GRAPHQL_MAX_DIRECTIVES: number({ int: true, min: 0, max: 100_000, fallback: 50 }),
  SYNCBRIDGE_GRAPHQL_MAX_TOKENS: number({ int: true, min: 10, max: 1e6, fallback: 5_000 }),
  SYNCBRIDGE_GRAPHQL_MAX_FRAGMENTS: number({ int: true, min: 0, max: 100_000, fallback: 50 }),
  SYNCBRIDGE_GRAPHQL_TIMEOUT_SECONDS: number({ min: 0.001, max: 3600, fallback: 10 }),
  SYNCBRIDGE_API_TOKENS: z.string().optional(),
  SYNCBRIDGE_API_TOKENS_FILE: z.string().optional(),
  SYNCBRIDGE_ALLOW_ANONYMOUS: flag('SYNCBRIDGE_ALLOW_ANONYMOUS', false),
  SYNCBRIDGE_MUTATIONS_PER_MINUTE: number({ int: true, min: 0, max: 1e9, fallback: 600 }),
  SYNCBRIDGE_ALLOWED_ORIGINS: z.string().optional(),
  SYNCBRIDGE_PERSISTED_ONLY: flag('SYNCBRIDGE_PERSISTED_ONLY', false),
  SYNCBRIDGE_RETENTION_SUCCEEDED: duration(7 * 86_400),
  SYNCBRIDGE_RETENTION_FAILED: duration(30 * 86_400),
  SYNCBRIDGE_RETENTION_INTERVAL_SECONDS: number({ min: 1, max: 86_400, fallback: 60 }),
  SYNCBRIDGE_UPSTREAM_RATE_LIMITS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const limits: Partial<Record<UpstreamTarget, number>> = {};
      for (const part of (raw ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)) {
        const match = /^(crm|billing)\s*=\s*(\d+(?:\.\d+)?)$/i.exec(part);
        const perSecond = match ? Number(match[2]) : NaN;
        if (!match || !(perSecond > 0 && perSecond <= 100_000)) {
          ctx.addIssue({ code: 'custom', message: `"${part}": use target=requests per second (crm or billing, above 0, up to 100000), e.g. billing=5,crm=20` });
          return z.NEVER;
        }
        limits[match[1]!.toLowerCase() as UpstreamTarget] = perSecond;
      }
      return limits;
    }),
  SYNCBRIDGE_REDACT_KEYS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const keys = (raw ?? '')
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean);
      const bad = keys.find((key) => !/^[A-Za-z0-9_.-]{1,64}$/.test(key));
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `"${bad}": list field names (letters, digits, _ . -), comma-separated, e.g. tax_id,dob` });
        return z.NEVER;
      }
      return keys;
    }),
  SYNCBRIDGE_FORENSICS_ROLE: z.enum(['viewer', 'operator', 'admin']).optional().default('operator'),
  SYNCBRIDGE_LOG_SEARCH_URL: linkTemplate('{correlationId}'),
  SYNCBRIDGE_TRACE_URL: linkTemplate('{traceId}'),
  SYNCBRIDGE_TRACING: flag('SYNCBRIDGE_TRACING', false),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
});

/** Every environment variable the service reads (compose.yaml and the README name only these). */
export const configVariables = Object.keys(envSchema.shape);

export type DatabaseProvider = 'sqlite' | 'postgresql';
export type UpstreamTarget = 'crm' | 'billing';

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
  /** Requests per second each upstream may receive from all processes together (absent: unpaced). */
  upstreamRateLimits: Partial<Record<UpstreamTarget, number>>;
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

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration; fix these environment variables:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const databaseUrl = e.DATABASE_URL || 'file:./syncbridge.db';
  const host = e.HOST || '127.0.0.1';
  const apiTokens = loadTokens(e.SYNCBRIDGE_API_TOKENS, e.SYNCBRIDGE_API_TOKENS_FILE);
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
  return {
    databaseUrl,
    databaseProvider: databaseUrl.startsWith('file:') ? 'sqlite' : 'postgresql',
    dbStatementTimeoutSeconds: e.SYNCBRIDGE_DB_STATEMENT_TIMEOUT_SECONDS,
    dbConnectTimeoutSeconds: e.SYNCBRIDGE_DB_CONNECT_TIMEOUT_SECONDS,
    dbStartupWaitSeconds: e.SYNCBRIDGE_DB_STARTUP_WAIT_SECONDS,
    host,
    port: e.PORT,
    crmBaseUrl: e.SYNCBRIDGE_CRM_BASE_URL || undefined,
    billingBaseUrl: e.SYNCBRIDGE_BILLING_BASE_URL || undefined,
    // The mocks answer anyone who reaches them: on by default only where that is the demo's own machine.
    mocksEnabled: e.SYNCBRIDGE_MOCKS ?? (isLoopback(host) && !apiTokens.length),
    jobMaxRetriesDefault: e.SYNCBRIDGE_JOB_MAX_RETRIES_DEFAULT,
    backoffBaseSeconds: e.SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS,
    leaseSeconds: e.SYNCBRIDGE_JOB_LEASE_SECONDS,
    workerEnabled: e.SYNCBRIDGE_WORKER,
    apiEnabled: e.SYNCBRIDGE_API,
    workerConcurrency: e.SYNCBRIDGE_WORKER_CONCURRENCY,
    workerPrefetch: e.SYNCBRIDGE_WORKER_PREFETCH,
    workerPollSeconds: e.SYNCBRIDGE_WORKER_POLL_SECONDS,
    shutdownGraceSeconds: e.SYNCBRIDGE_SHUTDOWN_GRACE_SECONDS,
    upstreamTimeoutSeconds: e.SYNCBRIDGE_UPSTREAM_TIMEOUT_SECONDS,
    handlerTimeoutSeconds: e.SYNCBRIDGE_HANDLER_TIMEOUT_SECONDS,
    upstreamRateLimits: e.SYNCBRIDGE_UPSTREAM_RATE_LIMITS,
    redisUrl: e.REDIS_URL || undefined,
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
    redactKeys: e.SYNCBRIDGE_REDACT_KEYS,
    forensicsRole: e.SYNCBRIDGE_FORENSICS_ROLE,
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
    apiTokens,
    allowAnonymous: e.SYNCBRIDGE_ALLOW_ANONYMOUS,
    mutationsPerMinute: e.SYNCBRIDGE_MUTATIONS_PER_MINUTE,
    persistedOnly: e.SYNCBRIDGE_PERSISTED_ONLY,
    retentionSucceededSeconds: e.SYNCBRIDGE_RETENTION_SUCCEEDED,
    retentionFailedSeconds: e.SYNCBRIDGE_RETENTION_FAILED,
    retentionIntervalSeconds: e.SYNCBRIDGE_RETENTION_INTERVAL_SECONDS,
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
