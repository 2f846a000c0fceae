/**
 * Webhook sources: systems that start syncs by calling `POST /hooks/<source>` when a record
 * changes. A source says how its deliveries are signed, where each one's id is, and which jobs an
 * event means; SyncBridge verifies, deduplicates and stores the delivery with its jobs before it
 * answers. Sources are exported by the job types module (`export const webhooks = { crm: … }`)
 * or given to createSyncBridge; each is enabled by its secret (SYNCBRIDGE_WEBHOOK_SECRETS, or the
 * variable its `secretEnv` names).
 */
import type { IfActive, Priority } from '../domain/index.js';
import type { StandardSchemaV1 } from './standardSchema.js';

/**
 * How deliveries are signed:
 * - `syncbridge`: `SyncBridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`,
 *   one or more `v1` (a sender rotating its secret signs with both), at most 300 s old;
 * - `github`: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>` (no timestamp).
 */
export type WebhookScheme = 'syncbridge' | 'github';

/** One job an event asks for: enqueued as `enqueueJob` would, with the actor `webhook:<source>`. */
export interface WebhookJob {
  jobType: string;
  entityId: string;
  payload?: unknown;
  /** Default: the job type's policy. COALESCE lets a change that arrives while its entity syncs sync after it. */
  ifActive?: IfActive;
  priority?: Priority;
}

/** The delivery as a mapping sees it. */
export interface WebhookRequest {
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
}

export interface WebhookSource<Schema extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  /** Default `syncbridge`. */
  scheme?: WebhookScheme;
  /** A variable holding this source's secret (several, comma-separated, while rotating), besides its SYNCBRIDGE_WEBHOOK_SECRETS entries. */
  secretEnv?: string;
  /** Checks the event before `map` (any Standard Schema validator); its issues answer 422. */
  schema?: Schema;
  /**
   * The delivery's id, unique per source for 7 days: a repeat is answered as a duplicate and
   * changes nothing. Default: the event's `id` (scheme syncbridge), the X-GitHub-Delivery header (github).
   */
  deliveryId?(event: EventOf<Schema>, request: WebhookRequest): string | undefined;
  /** The event's type as shown with the delivery. Default: the event's `type`, the X-GitHub-Event header. */
  eventType?(event: EventOf<Schema>, request: WebhookRequest): string | undefined;
  /** The jobs the event means (none: the delivery is recorded and nothing is enqueued). Throwing refuses the delivery (422 with the message). */
  map(event: EventOf<Schema>, request: WebhookRequest): readonly WebhookJob[];
  /** Deliveries accepted per minute from this source, per process (default SYNCBRIDGE_WEBHOOK_DELIVERIES_PER_MINUTE); more answer 429. */
  deliveriesPerMinute?: number;
}

type EventOf<Schema> = Schema extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<Schema> : unknown;

export class WebhookSourceError extends Error {
  override name = 'WebhookSourceError';
}

/** A source's name in the path: lower-case letters, digits, _ and -. */
export const webhookSourceNamePattern = /^[a-z][a-z0-9_-]{0,63}$/;

/** Types `map`'s event from the schema; checks the rest as the module loader does. */
export function defineWebhookSource<Schema extends StandardSchemaV1 | undefined = undefined>(source: WebhookSource<Schema>): WebhookSource<Schema> {
  checkWebhookSource('this source', source);
  return source;
}

/** Throws a WebhookSourceError saying what is wrong with a source's definition. */
export function checkWebhookSource(name: string, source: unknown): asserts source is WebhookSource {
  const where = `webhook source "${name}"`;
  if (typeof source !== 'object' || source === null) throw new WebhookSourceError(`${where} must be an object { scheme?, secretEnv?, schema?, deliveryId?, map }.`);
  const given = source as Record<string, unknown>;
  if (typeof given.map !== 'function') throw new WebhookSourceError(`${where} needs map(event) → [{ jobType, entityId, payload? }].`);
  if (given.scheme !== undefined && given.scheme !== 'syncbridge' && given.scheme !== 'github') throw new WebhookSourceError(`${where}: scheme must be "syncbridge" or "github".`);
  if (given.secretEnv !== undefined && (typeof given.secretEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(given.secretEnv))) {
    throw new WebhookSourceError(`${where}: secretEnv must name an environment variable.`);
  }
  for (const hook of ['deliveryId', 'eventType'] as const) {
    if (given[hook] !== undefined && typeof given[hook] !== 'function') throw new WebhookSourceError(`${where}: ${hook} must be a function of the event.`);
  }
  if (given.schema !== undefined && typeof (given.schema as { '~standard'?: unknown } | null)?.['~standard'] !== 'object') {
    throw new WebhookSourceError(`${where}: schema must be a Standard Schema validator (zod, valibot, ArkType).`);
  }
  const perMinute = given.deliveriesPerMinute;
  if (perMinute !== undefined && !(Number.isInteger(perMinute) && (perMinute as number) >= 0 && (perMinute as number) <= 1e9)) {
    throw new WebhookSourceError(`${where}: deliveriesPerMinute must be an integer from 0 (unlimited) to 1000000000.`);
  }
}

/** Checks every source of a module or of createSyncBridge: names and definitions. */
export function checkWebhookSources(sources: unknown): Record<string, WebhookSource> {
  if (sources === undefined) return {};
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources))
    throw new WebhookSourceError('webhooks must be an object of source name → { scheme?, secretEnv?, map }.');
  for (const [name, source] of Object.entries(sources)) {
    if (!webhookSourceNamePattern.test(name))
      throw new WebhookSourceError(`webhook source "${name}": a name is lower-case letters, digits, _ and - (it is the path /hooks/<name>).`);
    checkWebhookSource(name, source);
  }
  return sources as Record<string, WebhookSource>;
}
