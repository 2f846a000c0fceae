/**
 * Named upstreams: the HTTP systems handlers call, each configured once (base URL, headers,
 * credentials from the environment, timeout, rate limit) and reached through `ctx.upstream(name)`.
 * Every call sends `X-Correlation-ID` (and `traceparent` when tracing), every write an
 * `Idempotency-Key` stable across the job's attempts (src/platform/idempotency.ts), waits for the upstream's
 * shared rate-limit slot, honours a 429's Retry-After for every process, is bounded by the timeout
 * and the attempt's abort signal, is recorded (redacted) in the attempt's forensics, and fails
 * with the typed upstream errors. Credentials are read from the environment at start-up and only
 * ever sent: never stored, logged or recorded.
 */
import { callUpstream, type UpstreamMethod } from '../integrations/http.js';
import { UpstreamRateLimitedError, UpstreamTimeoutError, ValidationError } from '../integrations/errors.js';
import { defaultCircuitSettings, type CircuitGate, type CircuitSettings } from '../queue/circuits.js';
import type { ExchangeLog } from '../integrations/exchanges.js';
import type { UpstreamPacer } from '../integrations/pace.js';
import type { Redactor } from '../integrations/redaction.js';

/** Where a secret comes from: an environment variable's name. */
export type UpstreamAuth = { bearerEnv: string } | { header: string; valueEnv: string };

/** How a team configures an upstream (the job types module's `upstreams`, or createSyncBridge's). */
export interface UpstreamConfig {
  /** Paths are joined to it: `https://api.example.com/v2`. SYNCBRIDGE_UPSTREAM_<NAME>_URL overrides it. */
  baseUrl?: string;
  /** Sent with every request (no secrets here: use `auth`). */
  headers?: Record<string, string>;
  auth?: UpstreamAuth;
  /** The whole exchange (connect, headers, body) must end within this (default SYNCBRIDGE_UPSTREAM_TIMEOUT_SECONDS). */
  timeoutSeconds?: number;
  /** Requests per second from all processes together (SYNCBRIDGE_UPSTREAM_RATE_LIMITS overrides it). */
  rateLimitPerSecond?: number;
  /**
   * `perGroup`: requests per second for each group (the calling job's groupKey: a tenant, an
   * account), from all processes together, for an API whose limit is per account; a 429 with
   * Retry-After then holds that group's calls only. Calls of jobs without a group are paced by
   * rateLimitPerSecond alone.
   */
  rateLimit?: { perGroup?: number };
  /**
   * Its circuit breaker (on by default, with the defaults below): after `failures` retryable
   * failures in a row (no answer, 5xx; default 5), or a `failureRate` (0.5) of the calls within
   * `windowSeconds` (30) once there were `minCalls` (20), the jobs that need it wait, uncharged,
   * and one probe job goes every `openSeconds` (5, doubling after each failed probe up to
   * `maxOpenSeconds`, 120). `false`: no breaker.
   */
  circuitBreaker?: false | Partial<CircuitSettings>;
}

/** An upstream ready to call: its secret resolved, its URL final. */
export interface ResolvedUpstream {
  name: string;
  /** Undefined: nothing configures one (each call then fails, non-retryably, saying so). */
  baseUrl: string | undefined;
  /** Every header sent, the credential among them. */
  headers: Record<string, string>;
  timeoutMs: number;
  rateLimitPerSecond: number | undefined;
  /** Requests per second for each group (UpstreamConfig.rateLimit.perGroup); undefined: none. */
  rateLimitPerGroup: number | undefined;
  /** Which header carries a credential (described, never its value). */
  authHeader: string | undefined;
  /** Its circuit breaker's settings; undefined: none. */
  circuit: CircuitSettings | undefined;
}

/** What a handler calls: each method resolves to the parsed JSON answer (undefined for an empty one) or throws a typed upstream error. */
export interface UpstreamClient {
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  put<T = unknown>(path: string, body?: unknown): Promise<T>;
  patch<T = unknown>(path: string, body?: unknown): Promise<T>;
  delete<T = unknown>(path: string): Promise<T>;
}

export interface AttemptCalls {
  correlationId: string;
  signal: AbortSignal;
  log: ExchangeLog;
  pacer: UpstreamPacer;
  redactor: Redactor;
  /** The job's key for an operation (the same on each of its attempts). */
  idempotencyKey(operation: string): string;
  jobId: number;
  /** The job's group: its calls to an upstream paced per group wait for the group's turn. */
  groupKey: string | null;
  /** The upstreams' circuit breakers (absent: none). */
  circuits?: CircuitGate;
}

const join = (base: string, path: string): string => `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;

/** The client for one upstream within one attempt (made on first use: a handler that calls nothing pays nothing). */
export function upstreamClient(upstream: ResolvedUpstream, attempt: AttemptCalls): UpstreamClient {
  // The nth write of a method and path in an attempt is the same operation in every attempt.
  let occurrences: Map<string, number> | undefined;
  const writeHeaders = (method: UpstreamMethod, path: string) => {
    const operation = `${upstream.name} ${method} ${path}`;
    const nth = (occurrences ??= new Map()).get(operation) ?? 0;
    occurrences.set(operation, nth + 1);
    return { ...upstream.headers, 'idempotency-key': attempt.idempotencyKey(`${operation} #${nth + 1}`) };
  };
  const call = async <T>(method: UpstreamMethod, path: string, body?: unknown): Promise<T> => {
    if (!upstream.baseUrl) throw new ValidationError(`Upstream "${upstream.name}" has no base URL: set ${upstreamUrlVariable(upstream.name)} (or its baseUrl).`);
    const headers = method === 'GET' ? upstream.headers : writeHeaders(method, path);
    const circuits = upstream.circuit ? attempt.circuits : undefined;
    circuits?.admit(upstream.name, attempt.jobId);
    await attempt.pacer.acquire(upstream.name, attempt.signal, attempt.groupKey);
    // Again: the circuit may have opened while the call waited for its slot.
    circuits?.admit(upstream.name, attempt.jobId);
    try {
      const answer = await callUpstream<T>({
        method,
        url: join(upstream.baseUrl, path),
        body,
        headers,
        timeoutMs: upstream.timeoutMs,
        correlationId: attempt.correlationId,
        signal: attempt.signal,
        redactor: attempt.redactor,
        onExchange: (exchange) => {
          const key = headers['idempotency-key'];
          attempt.log.record(key === undefined ? exchange : { ...exchange, idempotencyKey: key });
        },
      });
      circuits?.record(upstream.name, attempt.jobId, 'up');
      return answer;
    } catch (error) {
      if (error instanceof UpstreamRateLimitedError && error.retryAfterMs) await attempt.pacer.pause(upstream.name, error.retryAfterMs, attempt.groupKey);
      // No answer or a 5xx counts against the upstream; an answer of any other kind says it is up. Our own abort says nothing.
      if (circuits && !attempt.signal.aborted) {
        const down = error instanceof UpstreamTimeoutError;
        if (down || (error as { statusCode?: number }).statusCode !== undefined) {
          const probeFailed = circuits.record(upstream.name, attempt.jobId, down ? 'down' : 'up', down ? (error as Error).message : undefined);
          // A failed probe tested the upstream for everyone: not charged to this job.
          if (probeFailed) Object.defineProperty(error, 'uncharged', { value: true });
        }
      }
      throw error;
    }
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    put: (path, body) => call('PUT', path, body),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
  };
}

export class UpstreamConfigError extends Error {
  override name = 'UpstreamConfigError';
}

const namePattern = /^[a-z][a-z0-9_-]{0,63}$/;

/** The variable that sets an upstream's URL: SYNCBRIDGE_UPSTREAM_<NAME>_URL (a - written as _). */
export function upstreamUrlVariable(name: string): string {
  return `SYNCBRIDGE_UPSTREAM_${name.toUpperCase().replaceAll('-', '_')}_URL`;
}

export interface UpstreamDefaults {
  timeoutMs: number;
  /** SYNCBRIDGE_UPSTREAM_RATE_LIMITS by name. */
  rateLimits: Record<string, number>;
  secretOf(name: string): string | undefined;
  /** Whether a credential's variable must be set (where the worker runs; an API-only process never calls upstreams). */
  requireCredentials: boolean;
  /** SYNCBRIDGE_CIRCUIT_BREAKERS: off turns every breaker off. */
  circuitBreakers: boolean;
}

/**
 * Every configured upstream, checked and resolved; problems are listed together in one error.
 * An upstream without a URL is resolved without one (`baseUrl` undefined): the caller warns.
 */
export function resolveUpstreams(configs: Record<string, UpstreamConfig>, defaults: UpstreamDefaults): ResolvedUpstream[] {
  const problems: string[] = [];
  const resolved = Object.entries(configs).flatMap(([name, config]): ResolvedUpstream[] => {
    const where = `upstream "${name}"`;
    if (!namePattern.test(name)) return (problems.push(`${where}: a name is lower-case letters, digits, _ and -`), []);
    if (typeof config !== 'object' || config === null) return (problems.push(`${where}: must be an object { baseUrl, headers?, auth?, timeoutSeconds?, rateLimitPerSecond? }`), []);
    const baseUrl = config.baseUrl || undefined;
    if (baseUrl !== undefined && (typeof baseUrl !== 'string' || !/^https?:\/\/\S+$/.test(baseUrl))) problems.push(`${where}: baseUrl must be an http(s) URL`);
    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(config.headers ?? {})) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header) || typeof value !== 'string' || /[\r\n]/.test(value))
        problems.push(`${where}: header "${header}" is not a valid header name and string value`);
      else headers[header.toLowerCase()] = value;
    }
    let authHeader: string | undefined;
    const auth = config.auth as Partial<{ bearerEnv: string; header: string; valueEnv: string }> | undefined;
    if (auth !== undefined) {
      const variable = auth.bearerEnv ?? auth.valueEnv;
      authHeader = auth.bearerEnv ? 'authorization' : auth.header?.toLowerCase();
      if (!variable || !authHeader || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(authHeader)) {
        problems.push(`${where}: auth is { bearerEnv: 'VARIABLE' } or { header: 'X-Api-Key', valueEnv: 'VARIABLE' }`);
      } else {
        const secret = defaults.secretOf(variable);
        if (secret) headers[authHeader] = auth.bearerEnv ? `Bearer ${secret}` : secret;
        else if (defaults.requireCredentials) problems.push(`${where}: its credential variable ${variable} is not set`);
      }
    }
    const timeoutSeconds = config.timeoutSeconds;
    if (timeoutSeconds !== undefined && !(timeoutSeconds > 0 && timeoutSeconds <= 600)) problems.push(`${where}: timeoutSeconds must be above 0, up to 600`);
    const rate = defaults.rateLimits[name] ?? config.rateLimitPerSecond;
    if (rate !== undefined && !(rate > 0 && rate <= 100_000)) problems.push(`${where}: rateLimitPerSecond must be above 0, up to 100000`);
    const perGroup = config.rateLimit?.perGroup;
    if (config.rateLimit !== undefined && (typeof config.rateLimit !== 'object' || config.rateLimit === null)) problems.push(`${where}: rateLimit must be { perGroup }`);
    else if (perGroup !== undefined && !(typeof perGroup === 'number' && perGroup > 0 && perGroup <= 100_000))
      problems.push(`${where}: rateLimit.perGroup must be above 0, up to 100000`);
    const circuit = circuitSettingsOf(config.circuitBreaker, defaults.circuitBreakers, (problem) => problems.push(`${where}: circuitBreaker ${problem}`));
    const timeoutMs = timeoutSeconds ? timeoutSeconds * 1000 : defaults.timeoutMs;
    return [{ name, baseUrl, headers, timeoutMs, rateLimitPerSecond: rate, rateLimitPerGroup: perGroup, authHeader, circuit }];
  });
  for (const name of Object.keys(defaults.rateLimits)) if (!(name in configs)) problems.push(`SYNCBRIDGE_UPSTREAM_RATE_LIMITS names "${name}", which is no configured upstream`);
  if (problems.length) throw new UpstreamConfigError(`The upstreams are not configured right:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  return resolved;
}

const circuitBounds: Record<keyof CircuitSettings, [number, number, boolean]> = {
  failures: [1, 1000, true],
  failureRate: [0.01, 1, false],
  windowSeconds: [1, 3600, false],
  minCalls: [1, 100_000, true],
  openSeconds: [0.1, 3600, false],
  maxOpenSeconds: [0.1, 86_400, false],
};

/** An upstream's breaker settings over the defaults, each checked; undefined when it has none. */
function circuitSettingsOf(given: UpstreamConfig['circuitBreaker'], enabled: boolean, problem: (text: string) => void): CircuitSettings | undefined {
  if (given === false || !enabled) return undefined;
  if (given !== undefined && (typeof given !== 'object' || given === null))
    return void problem('must be false or { failures?, failureRate?, windowSeconds?, minCalls?, openSeconds?, maxOpenSeconds? }');
  const settings = { ...defaultCircuitSettings, ...given };
  for (const [key, [min, max, integer]] of Object.entries(circuitBounds) as [keyof CircuitSettings, [number, number, boolean]][]) {
    const value = settings[key];
    if (typeof value !== 'number' || !(value >= min && value <= max) || (integer && !Number.isInteger(value)))
      problem(`${key} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  if (settings.maxOpenSeconds < settings.openSeconds) problem('maxOpenSeconds must be at least openSeconds');
  return settings;
}
