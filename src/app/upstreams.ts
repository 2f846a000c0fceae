/**
 * The upstream side of a process: the built-in mock CRM and Billing (when on), the pacer that
 * shares request slots between processes, the redaction rule, and the job runner the worker runs
 * handlers through, with clients bound to each attempt.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { authenticate } from '../auth/principal.js';
import type { TokenStore } from '../auth/tokens.js';
import type { PaceStore } from '../db/ports.js';
import type { HandlerRegistry } from '../handlers/index.js';
import { createJobRunner } from '../handlers/runner.js';
import { createClients } from '../integrations/clients.js';
import type { ExchangeLog } from '../integrations/exchanges.js';
import { MockUpstreams } from '../integrations/mocks.js';
import { UpstreamPacer } from '../integrations/pace.js';
import { databasePaceStore, redisPaceStore } from '../integrations/paceStores.js';
import { Redactor } from '../integrations/redaction.js';
import type { JobRunner } from '../queue/worker/executor.js';

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface UpstreamsPart {
  mocks: MockUpstreams | undefined;
  pacer: UpstreamPacer;
  redactor: Redactor;
  /** The job runner, its clients aimed at `url`'s own mocks where no upstream URL is configured. */
  runner(handlers: HandlerRegistry, url: string): JobRunner;
  close(): Promise<void>;
}

export async function startUpstreams(config: Config, pace: PaceStore, tokens: TokenStore, logger: Logger): Promise<UpstreamsPart> {
  // The mocks take the API's tokens, and a credential of this process's own for its worker's calls.
  const mockCredential = `Bearer sbm_${randomBytes(24).toString('base64url')}`;
  const mocks = config.mocksEnabled
    ? new MockUpstreams((authorization) => {
        if (!tokens.enabled || (authorization !== undefined && safeEqual(authorization, mockCredential))) return true;
        const authentication = authenticate(tokens, authorization);
        return authentication.ok && authentication.principal.role !== undefined;
      })
    : undefined;
  if (!mocks && (!config.crmBaseUrl || !config.billingBaseUrl)) logger.warn('SYNCBRIDGE_MOCKS is off but an upstream base URL is not set: jobs will fail to reach it');
  // Paced upstreams share their slots through Redis when there is one, else the database.
  const onPaceError = (error: Error) => logger.error({ err: error }, 'upstream pace store error');
  const paceStore = Object.keys(config.upstreamRateLimits).length
    ? config.redisUrl
      ? await redisPaceStore(config.redisUrl, config.databaseUrl, onPaceError)
      : databasePaceStore(pace)
    : undefined;
  const pacer = new UpstreamPacer(config.upstreamRateLimits, paceStore, logger);
  const redactor = new Redactor(config.redactKeys);
  return {
    mocks,
    pacer,
    redactor,
    runner(handlers, url) {
      const options = {
        crmBaseUrl: config.crmBaseUrl ?? `${url}/mock/crm`,
        billingBaseUrl: config.billingBaseUrl ?? `${url}/mock/billing`,
        timeoutMs: config.upstreamTimeoutSeconds * 1000,
        redactor,
        headers: {
          crm: config.crmBaseUrl ? undefined : { authorization: mockCredential },
          billing: config.billingBaseUrl ? undefined : { authorization: mockCredential },
        },
      };
      return createJobRunner(handlers, (log: ExchangeLog) => createClients(options, pacer, log), redactor);
    },
    close: () => pacer.close(),
  };
}
