/**
 * The upstream side of a process: the named upstreams (resolved and checked before anything
 * starts), the built-in mock CRM and Billing (when on), the pacer that shares request slots
 * between processes, the redaction rule, and the job runner the worker runs handlers through.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { authenticate } from '../auth/principal.js';
import type { TokenStore } from '../auth/tokens.js';
import type { PaceStore } from '../db/ports.js';
import { MockUpstreams } from '../integrations/mocks.js';
import { UpstreamPacer } from '../integrations/pace.js';
import { databasePaceStore, redisPaceStore } from '../integrations/paceStores.js';
import { Redactor } from '../integrations/redaction.js';
import type { JobTypeRegistry } from '../platform/registry.js';
import { resolveUpstreams, type ResolvedUpstream, type UpstreamConfig } from '../platform/upstreamClient.js';
import type { JobRunner } from '../queue/worker/executor.js';
import { UpstreamCircuits, type CircuitGate } from '../queue/circuits.js';
import type { QueueContext } from '../queue/context.js';

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The upstreams the built-in mocks stand in for, when nothing gives them a URL. */
const mockable = new Set(['crm', 'billing']);

/**
 * Every upstream's configuration, checked (a missing credential, a bad URL: one error listing
 * each, before the process starts anything). `crm` and `billing` also take the older
 * SYNCBRIDGE_CRM_BASE_URL / SYNCBRIDGE_BILLING_BASE_URL, and, with neither nor a module URL,
 * the built-in mocks (their `baseUrl` is filled in once the server listens).
 */
export function upstreamsOf(config: Config, configs: Record<string, UpstreamConfig>): { resolved: ResolvedUpstream[]; mocked: Set<string> } {
  const legacy: Record<string, string | undefined> = { crm: config.crmBaseUrl, billing: config.billingBaseUrl };
  const mocked = new Set<string>();
  const withUrls = Object.fromEntries(
    Object.entries(configs).map(([name, upstream]) => {
      const baseUrl = config.upstreamUrls[name] ?? legacy[name] ?? upstream.baseUrl;
      if (!baseUrl && mockable.has(name) && config.mocksEnabled) {
        mocked.add(name);
        return [name, { ...upstream, baseUrl: `http://mock.invalid/mock/${name}` }];
      }
      return [name, { ...upstream, baseUrl }];
    }),
  );
  const resolved = resolveUpstreams(withUrls, {
    timeoutMs: config.upstreamTimeoutSeconds * 1000,
    rateLimits: config.upstreamRateLimits,
    secretOf: config.secretOf,
    requireCredentials: config.workerEnabled,
    circuitBreakers: config.circuitBreakers,
  });
  return { resolved, mocked };
}

export interface UpstreamsPart {
  mocks: MockUpstreams | undefined;
  pacer: UpstreamPacer;
  redactor: Redactor;
  /** The job runner; upstreams left to the built-in mocks are aimed at `url`, this server's own address. */
  runner(registry: JobTypeRegistry, url: string, circuits?: CircuitGate): JobRunner;
  close(): Promise<void>;
}

export async function startUpstreams(
  config: Config,
  upstreams: { resolved: ResolvedUpstream[]; mocked: Set<string> },
  pace: PaceStore,
  tokens: TokenStore,
  logger: Logger,
): Promise<UpstreamsPart> {
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
  const paced = upstreams.resolved.some((upstream) => upstream.rateLimitPerSecond || upstream.rateLimitPerGroup);
  const paceStore = paced ? (config.redisUrl ? await redisPaceStore(config.redisUrl, config.databaseUrl, onPaceError) : databasePaceStore(pace)) : undefined;
  const limits = Object.fromEntries(upstreams.resolved.flatMap((upstream) => (upstream.rateLimitPerSecond ? [[upstream.name, upstream.rateLimitPerSecond]] : [])));
  const groupLimits = Object.fromEntries(upstreams.resolved.flatMap((upstream) => (upstream.rateLimitPerGroup ? [[upstream.name, upstream.rateLimitPerGroup]] : [])));
  const pacer = new UpstreamPacer(
    upstreams.resolved.map((upstream) => upstream.name),
    limits,
    paceStore,
    logger,
    groupLimits,
  );
  const redactor = new Redactor(config.redactKeys);
  const unaimed = upstreams.resolved.filter((upstream) => !upstream.baseUrl).map((upstream) => upstream.name);
  if (unaimed.length && config.workerEnabled) logger.warn({ upstreams: unaimed }, 'these upstreams have no base URL (SYNCBRIDGE_UPSTREAM_<NAME>_URL): jobs calling them fail');
  logger.info(
    {
      upstreams: upstreams.resolved.map((upstream) => ({
        name: upstream.name,
        baseUrl: upstreams.mocked.has(upstream.name) ? 'built-in mock' : upstream.baseUrl && redactor.url(upstream.baseUrl),
        authHeader: upstream.authHeader, // the header's name only: never its value
        rateLimitPerSecond: upstream.rateLimitPerSecond,
      })),
    },
    'upstreams configured',
  );
  return {
    mocks,
    pacer,
    redactor,
    runner(registry, url, circuits) {
      const aimed = upstreams.resolved.map((upstream) =>
        upstreams.mocked.has(upstream.name) ? { ...upstream, baseUrl: `${url}/mock/${upstream.name}`, headers: { ...upstream.headers, authorization: mockCredential } } : upstream,
      );
      return registry.runner({ upstreams: aimed, pacer, redactor, circuits });
    },
    close: () => pacer.close(),
  };
}

/** The upstreams' circuit breakers, shared through the database; worker processes read them twice a second, others every second. */
export async function startCircuits(config: Config, context: QueueContext, registry: JobTypeRegistry, resolved: readonly ResolvedUpstream[]): Promise<UpstreamCircuits> {
  const types = registry.list().map((type) => ({ name: type.name, upstreams: type.upstreams }));
  const circuits = new UpstreamCircuits(context, {
    settings: new Map(resolved.flatMap((upstream) => (upstream.circuit ? [[upstream.name, upstream.circuit] as const] : []))),
    typesNeeding: (upstream) => types.filter((type) => type.upstreams.includes(upstream)).map((type) => type.name),
    types: () => types,
    pollMs: config.workerEnabled ? 500 : 1_000,
  });
  await circuits.start();
  return circuits;
}
