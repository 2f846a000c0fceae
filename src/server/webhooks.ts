/**
 * `POST /hooks/<source>`: inbound webhooks that start syncs. Each refusal writes nothing and says
 * why, in the order a sender can act on: an unknown (or disabled) source 404, a body over 1 MiB
 * 413, a missing, wrong or stale signature 401, too many deliveries 429 (Retry-After), a body
 * that is not JSON 400, an event the source's schema or mapping refuses 422. Only then is the
 * delivery stored with its jobs (one transaction) and answered 200; a repeat of its id answers 200
 * with `duplicate: true`. A database that cannot be reached answers 503, so the sender retries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { githubSignatureHeader, signatureHeader, verifyGithubWebhook, verifyWebhook } from '../integrations/signature.js';
import { issuePath } from '../platform/standardSchema.js';
import type { WebhookJob, WebhookRequest, WebhookSource } from '../platform/webhooks.js';
import type { QueueContext } from '../queue/context.js';
import { InputError } from '../queue/errors.js';
import { webhookReceive } from '../queue/services/webhookReceive.js';
import { requestIdOf, sendJson, type RouteHandler } from './http.js';
import { BodyBudget, maxJsonDepth, nestsDeeperThan, readBodyWithin } from './requestBody.js';

/** Largest delivery accepted. */
export const maxWebhookBodyBytes = 1024 * 1024;

/** A source as served: its definition, its secrets, its rate. */
export interface EnabledWebhookSource {
  name: string;
  definition: WebhookSource;
  secrets: readonly string[];
  /** Deliveries per minute, per process (0: unlimited). */
  perMinute: number;
}

export interface WebhookRouteOptions {
  sources: readonly EnabledWebhookSource[];
  context: QueueContext;
  logger: Logger;
  /** Body bytes all deliveries together may hold while being read (503 beyond). */
  maxBodyBytesInFlight: number;
}

/** An answer that refuses the delivery (nothing stored). */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const pathPattern = /^\/hooks\/([^/]*)\/?$/;

export function webhookRoute({ sources, context, logger, maxBodyBytesInFlight }: WebhookRouteOptions): RouteHandler {
  const byName = new Map(sources.map((source) => [source.name, source]));
  const limiters = new Map(sources.filter((source) => source.perMinute > 0).map((source) => [source.name, new RateLimiterMemory({ points: source.perMinute, duration: 60 })]));
  const bodies = new BodyBudget(maxBodyBytesInFlight);

  return async (req, res, path) => {
    const match = pathPattern.exec(path);
    if (!match) return false;
    const name = decodeURIComponent(match[1]!);
    const requestId = requestIdOf(req);
    try {
      await receive(req, res, name, requestId);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      if (error.status >= 500) logger.warn({ webhook: { source: name.slice(0, 64) }, requestId, status: error.status, reason: error.message }, 'webhook delivery not stored');
      else logger.info({ webhook: { source: name.slice(0, 64) }, requestId, status: error.status, reason: error.message }, 'webhook delivery refused');
      // A body left unread: answer and close, rather than read what was refused.
      sendJson(res, error.status, { error: error.error, message: error.message, requestId }, req.complete ? error.headers : { ...error.headers, connection: 'close' });
    }
    return true;
  };

  async function receive(req: IncomingMessage, res: ServerResponse, name: string, requestId: string): Promise<void> {
    if (req.method !== 'POST') throw new Refusal(405, 'method_not_allowed', 'Deliver webhooks with POST.', { allow: 'POST' });
    const source = byName.get(name);
    if (!source) throw new Refusal(404, 'unknown_source', `No webhook source "${name.slice(0, 64)}" is enabled here (SYNCBRIDGE_WEBHOOK_SECRETS enables a defined source).`);
    const read = await readBodyWithin(req, maxWebhookBodyBytes, bodies);
    if (!read.ok) {
      if (read.reason === 'too-large') throw new Refusal(413, 'too_large', `A delivery may be at most ${maxWebhookBodyBytes} bytes.`);
      throw new Refusal(503, 'busy', 'Too many request bodies are being read at once; retry in a moment.', { 'retry-after': '1' });
    }
    try {
      const { body } = read;
      const scheme = source.definition.scheme ?? 'syncbridge';
      const check =
        scheme === 'github'
          ? verifyGithubWebhook(header(req, githubSignatureHeader), body, source.secrets)
          : verifyWebhook(header(req, signatureHeader), body, source.secrets, context.now().getTime() / 1000);
      if (!check.ok) throw new Refusal(401, 'invalid_signature', `The delivery's signature does not verify: ${check.reason}.`);
      await spend(source);
      let event: unknown;
      try {
        event = JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new Refusal(400, 'invalid_json', `The body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
      }
      if (nestsDeeperThan(event, maxJsonDepth)) throw new Refusal(400, 'invalid_json', `The body nests arrays or objects deeper than ${maxJsonDepth} levels.`);
      const request: WebhookRequest = { headers: headersOf(req) };
      const mapped = await mapEvent(source, event, request);
      const receipt = await webhookReceive(context, { source: source.name, ...mapped, requestId, bodyBytes: body.length }).catch((error: unknown) => {
        if (error instanceof InputError) throw new Refusal(422, 'unprocessable', error.message);
        if (context.jobs.isTransient(error)) throw new Refusal(503, 'unavailable', 'The delivery could not be stored just now; retry it.', { 'retry-after': '5' });
        throw error;
      });
      sendJson(res, 200, {
        delivery: mapped.deliveryId,
        ...(receipt.duplicate ? { duplicate: true } : {}),
        jobs: receipt.jobs.map((job) => ({ id: String(job.jobId), coalesced: job.outcome === 'COALESCED', outcome: job.outcome })),
      });
    } finally {
      read.release();
    }
  }

  async function spend(source: EnabledWebhookSource): Promise<void> {
    try {
      await limiters.get(source.name)?.consume(source.name);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new Refusal(429, 'rate_limited', `More than ${source.perMinute} deliveries a minute from "${source.name}"; retry after ${seconds} s.`, {
        'retry-after': String(seconds),
      });
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(req.headers)) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

const deliveryIdPattern = /^[\x21-\x7e]{1,255}$/;

/** The event through the source's schema and mapping: the delivery's id, type and jobs, or a 422 saying why not. */
async function mapEvent(source: EnabledWebhookSource, raw: unknown, request: WebhookRequest) {
  const { definition } = source;
  let event = raw;
  if (definition.schema) {
    const result = await definition.schema['~standard'].validate(raw);
    if (result.issues) {
      const issue = result.issues[0]!;
      throw new Refusal(422, 'unprocessable', `The event does not match the "${source.name}" source's schema: ${issuePath(issue)}: ${issue.message}`);
    }
    event = result.value;
  }
  const scheme = definition.scheme ?? 'syncbridge';
  const field = (key: string) =>
    typeof event === 'object' && event !== null && typeof (event as Record<string, unknown>)[key] === 'string' ? ((event as Record<string, unknown>)[key] as string) : undefined;
  let deliveryId: string | undefined;
  let eventType: string | undefined;
  let jobs: readonly WebhookJob[];
  try {
    deliveryId = definition.deliveryId ? definition.deliveryId(event, request) : scheme === 'github' ? request.headers['x-github-delivery'] : field('id');
    eventType = definition.eventType ? definition.eventType(event, request) : scheme === 'github' ? request.headers['x-github-event'] : field('type');
    jobs = definition.map(event, request);
  } catch (error) {
    throw new Refusal(422, 'unprocessable', `The "${source.name}" source refused the event: ${(error as Error).message?.slice(0, 500) ?? String(error)}`);
  }
  if (typeof deliveryId !== 'string' || !deliveryIdPattern.test(deliveryId)) {
    throw new Refusal(422, 'unprocessable', 'The delivery has no usable id (1-255 visible ASCII characters): repeats could not be recognised.');
  }
  if (!Array.isArray(jobs)) throw new Refusal(422, 'unprocessable', `The "${source.name}" source's mapping must return a list of jobs.`);
  return { deliveryId, eventType: typeof eventType === 'string' ? eventType.slice(0, 128) : null, jobs: jobs as WebhookJob[] };
}
