/**
 * The environment as the service reads it: one zod schema of every variable, each value checked
 * and turned into its type (on/off flags, bounded numbers, durations, URLs), with its default.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseDurationSeconds } from '../domain/index.js';

/** An upstream's name: lower-case letters, digits, _ and - (as the job types' modules name them). */
export const upstreamNamePattern = /^[a-z][a-z0-9_-]{0,63}$/;

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

export const envSchema = z.object({
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
  SYNCBRIDGE_HEARTBEAT_SECONDS: number({ min: 0.05, max: 3_600, fallback: 5 }),
  SYNCBRIDGE_UPSTREAM_RATE_LIMITS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const limits: Record<string, number> = {};
      for (const part of (raw ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)) {
        const match = /^([A-Za-z][A-Za-z0-9_-]{0,63})\s*=\s*(\d+(?:\.\d+)?)$/.exec(part);
        const perSecond = match ? Number(match[2]) : NaN;
        if (!match || !(perSecond > 0 && perSecond <= 100_000)) {
          ctx.addIssue({ code: 'custom', message: `"${part}": use upstream=requests per second (above 0, up to 100000), e.g. billing=5,crm=20` });
          return z.NEVER;
        }
        limits[match[1]!.toLowerCase()] = perSecond;
      }
      return limits;
    }),
  SYNCBRIDGE_JOB_TYPES: z.string().optional(),
  SYNCBRIDGE_CIRCUIT_BREAKERS: flag('SYNCBRIDGE_CIRCUIT_BREAKERS', true),
  SYNCBRIDGE_ALERTS_INTERVAL_SECONDS: number({ min: 0.1, max: 3600, fallback: 5 }),
  SYNCBRIDGE_METRICS_TOP_GROUPS: number({ int: true, min: 0, max: 200, fallback: 20 }),
  SYNCBRIDGE_ALERT_GROUP_WAIT_SECONDS: number({ min: 0, max: 3600, fallback: 10 }),
  SYNCBRIDGE_SMTP_URL: z
    .string()
    .optional()
    .refine((raw) => !raw || /^smtps?:\/\/\S+$/.test(raw), 'must be an smtp:// or smtps:// URL (smtp://user:pass@host:587)'),
  SYNCBRIDGE_ALERT_EMAIL_FROM: z.string().optional().default('SyncBridge <syncbridge@localhost>'),
  SYNCBRIDGE_WEBHOOK_SECRETS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const secrets: Record<string, string[]> = {};
      for (const part of (raw ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)) {
        const match = /^([a-z][a-z0-9_-]{0,63}):(.+)$/.exec(part);
        if (!match) {
          // The value itself is a secret: never echoed.
          ctx.addIssue({
            code: 'custom',
            message: 'use source:secret pairs, comma-separated (e.g. crm:whsec_1,crm:whsec_2 while rotating); a source name is lower-case letters, digits, _ and -',
          });
          return z.NEVER;
        }
        (secrets[match[1]!] ??= []).push(match[2]!);
      }
      return secrets;
    }),
  SYNCBRIDGE_WEBHOOK_DELIVERIES_PER_MINUTE: number({ int: true, min: 0, max: 1e9, fallback: 6_000 }),
  SYNCBRIDGE_RETENTION_WEBHOOK_DELIVERIES: duration(7 * 86_400),
  SYNCBRIDGE_CRM_WEBHOOK_URL: httpUrl,
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

export type Env = z.infer<typeof envSchema>;

/** File descriptors kept out of the inbound connection cap (exported for the check in loadConfig). */
export { reservedDescriptors };
