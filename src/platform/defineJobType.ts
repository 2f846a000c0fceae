/**
 * `defineJobType`: a sync of the user's own, in code. One definition per (name, version); several
 * versions of one name route by the job's `payloadVersion`. The payload is described by any
 * Standard Schema validator (zod 4, valibot, ArkType): enqueues are validated against it, and its
 * output type is what the handler receives as `ctx.payload`, checked by the compiler.
 */
import type { Logger } from 'pino';
import type { StandardSchemaV1 } from './standardSchema.js';
import type { UpstreamClient } from './upstreamClient.js';

/** How a type's failed attempts are retried. */
export interface RetryOptions {
  /** Retries after the first attempt, 0-25 (default SYNCBRIDGE_JOB_MAX_RETRIES_DEFAULT); an enqueue may set its own. */
  maxRetries?: number;
  backoff?: {
    /** The first retry's delay, doubling each time (default SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS). */
    baseSeconds?: number;
    /** No delay grows past this (default 30 days). */
    maxSeconds?: number;
    /** `full`: each delay is drawn at random between 0 and its value (AWS's "full jitter"), so a burst of failures does not retry in lockstep. Default `none`. */
    jitter?: 'none' | 'full';
  };
}

/** What a handler may read of its job. */
export interface HandlerJob {
  id: number;
  jobType: string;
  entityType: string;
  entityId: string;
  payloadVersion: number;
  attemptCount: number;
  correlationId: string;
  /** The group it belongs to (a tenant, an account); null: none. */
  groupKey: string | null;
}

/** What a handler gets for one attempt. */
export interface HandlerContext<Payload = unknown> {
  /** The job's payload, validated by the type's schema (its output type); undefined for a type without one. */
  payload: Payload;
  job: HandlerJob;
  entityId: string;
  correlationId: string;
  /** Bound to the job: every line carries job id, type, entity, attempt and correlation id. */
  logger: Logger;
  /** Fires on cancel, shutdown, lease loss and the time limit; pass it to every I/O call. */
  signal: AbortSignal;
  /** An HTTP client for a named upstream (its URL, credentials, rate limit, timeout), recording every call in the attempt's forensics; each write carries an Idempotency-Key. */
  upstream(name: string): UpstreamClient;
  /**
   * This job's idempotency key for `operation` (any name of yours): the same on every attempt,
   * retry and lease recovery of the job; new for a replay, or after the job took a later change.
   * For upstreams reached by other clients than `upstream(name)`, which sends one with each write.
   */
  idempotencyKey(operation: string): string;
}

type PayloadOf<Schema> = Schema extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<Schema> : undefined;

export interface JobTypeOptions<Schema extends StandardSchemaV1 | undefined> {
  /** Lower-case letters, digits and _ (`contact_sync`); the GraphQL enum names it upper-cased (CONTACT_SYNC). */
  name: string;
  /** The payload version this definition handles (default 1). */
  version?: number;
  description?: string;
  /** The payload's validator; without one, a payload is refused. */
  payload?: Schema;
  /** What the jobs move: the entity's kind and the systems on each side (shown with each job). Defaults: the name without `_sync`, `source`, `target`. */
  entityType?: string;
  source?: string;
  target?: string;
  retry?: RetryOptions;
  /** A handler running longer is aborted and the attempt fails retryably (HandlerTimeout). Default SYNCBRIDGE_HANDLER_TIMEOUT_SECONDS. */
  timeoutSeconds?: number;
  /** The upstreams the handler calls (for the API's description of the type; any configured upstream may be called). */
  upstreams?: readonly string[];
  /**
   * An enqueue while the entity has an active job of this type: `reject` (default) answers
   * DuplicateActiveJobError; `coalesce` folds it into the PENDING job (its payload replaced when
   * one is given), or queues one follow-up behind a RUNNING job, so no change is lost. An enqueue
   * may say otherwise (`ifActive`).
   */
  ifActive?: 'reject' | 'coalesce';
  /** Coalescing: a new or absorbing job starts this long after the latest change (rounded up to a tenth of it), so a burst is one run (default 0). */
  debounceSeconds?: number;
  /** Coalescing with a debounce: never later than this after the job's first enqueue (default 10 × debounceSeconds). */
  maxDelaySeconds?: number;
  /**
   * The group (a tenant, an account) a job belongs to, from its validated payload and entity id,
   * when the enqueue names none: the same characters as an entity id, at most 128; null or
   * undefined: no group. A value that breaks the rules refuses the enqueue (InputError on groupKey).
   */
  group?: (payload: PayloadOf<Schema>, entityId: string) => string | null | undefined;
  /**
   * Most jobs of one group RUNNING at once across all processes (default: no limit; an operator
   * may set a group's own with setGroupConcurrency). A type that derives groups or limits them has
   * its grouped jobs claimed group by group in turn, so one group's backlog never starves the others.
   */
  groupConcurrency?: number;
  /** Runs one attempt. Throw RetryableError or NonRetryableError; anything else is classified as SPEC → Error classification says. */
  handler(context: HandlerContext<PayloadOf<Schema>>): Promise<unknown> | unknown;
}

/** A job type as `defineJobType` made it: what the registry takes. */
export interface JobTypeDefinition {
  readonly name: string;
  readonly version: number;
  readonly description: string | undefined;
  readonly payload: StandardSchemaV1 | undefined;
  readonly entityType: string;
  readonly source: string;
  readonly target: string;
  readonly retry: RetryOptions;
  readonly timeoutSeconds: number | undefined;
  readonly upstreams: readonly string[];
  readonly ifActive: 'reject' | 'coalesce';
  readonly debounceSeconds: number;
  readonly maxDelaySeconds: number;
  readonly group: ((payload: unknown, entityId: string) => string | null | undefined) | undefined;
  readonly groupConcurrency: number | undefined;
  readonly handler: (context: HandlerContext<unknown>) => Promise<unknown> | unknown;
}

/** Marks what defineJobType made; a global symbol, so a module importing another copy of the package is recognised too. */
const brand = Symbol.for('syncbridge.jobTypeDefinition');

/** Whether a value was made by defineJobType (a module's export is checked with it). */
export function isJobTypeDefinition(value: unknown): value is JobTypeDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

export class JobTypeDefinitionError extends Error {
  override name = 'JobTypeDefinitionError';
}

export const jobTypeNamePattern = /^[a-z][a-z0-9_]{0,62}$/;

function check(condition: boolean, name: string, problem: string): void {
  if (!condition) throw new JobTypeDefinitionError(`Job type "${name}": ${problem}`);
}

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | undefined)?.['~standard'];
  return standard?.version === 1 && typeof standard.validate === 'function';
}

function checkRetry(name: string, retry: RetryOptions): void {
  const { maxRetries, backoff } = retry;
  check(maxRetries === undefined || (Number.isInteger(maxRetries) && maxRetries >= 0 && maxRetries <= 25), name, 'retry.maxRetries must be an integer from 0 to 25');
  if (!backoff) return;
  check(backoff.baseSeconds === undefined || (backoff.baseSeconds > 0 && backoff.baseSeconds <= 86_400), name, 'retry.backoff.baseSeconds must be above 0, up to 86400');
  check(backoff.maxSeconds === undefined || (backoff.maxSeconds > 0 && backoff.maxSeconds <= 30 * 86_400), name, 'retry.backoff.maxSeconds must be above 0, up to 30 days');
  check(backoff.jitter === undefined || backoff.jitter === 'none' || backoff.jitter === 'full', name, "retry.backoff.jitter must be 'none' or 'full'");
}

export function defineJobType<Schema extends StandardSchemaV1 | undefined = undefined>(options: JobTypeOptions<Schema>): JobTypeDefinition {
  const name = String(options.name);
  check(jobTypeNamePattern.test(name), name, 'the name must be lower-case letters, digits and _ (starting with a letter), at most 63');
  const version = options.version ?? 1;
  check(Number.isInteger(version) && version >= 1 && version <= 1000, name, 'version must be an integer from 1 to 1000');
  check(typeof options.handler === 'function', name, 'handler must be a function');
  check(options.payload === undefined || isStandardSchema(options.payload), name, 'payload must be a Standard Schema validator (zod 4, valibot, ArkType, …)');
  check(options.timeoutSeconds === undefined || (options.timeoutSeconds > 0 && options.timeoutSeconds <= 86_400), name, 'timeoutSeconds must be above 0, up to 86400');
  checkRetry(name, options.retry ?? {});
  check(options.ifActive === undefined || options.ifActive === 'reject' || options.ifActive === 'coalesce', name, "ifActive must be 'reject' or 'coalesce'");
  check(options.group === undefined || typeof options.group === 'function', name, 'group must be a function of (payload, entityId)');
  check(
    options.groupConcurrency === undefined || (Number.isInteger(options.groupConcurrency) && options.groupConcurrency >= 1 && options.groupConcurrency <= 10_000),
    name,
    'groupConcurrency must be an integer from 1 to 10000',
  );
  const debounceSeconds = options.debounceSeconds ?? 0;
  check(Number.isFinite(debounceSeconds) && debounceSeconds >= 0 && debounceSeconds <= 86_400, name, 'debounceSeconds must be from 0 to 86400');
  const maxDelaySeconds = options.maxDelaySeconds ?? 10 * debounceSeconds;
  check(
    Number.isFinite(maxDelaySeconds) && maxDelaySeconds >= debounceSeconds && maxDelaySeconds <= 7 * 86_400,
    name,
    'maxDelaySeconds must be at least debounceSeconds, up to 7 days',
  );
  const definition: JobTypeDefinition = Object.freeze({
    [brand]: true,
    name,
    version,
    description: options.description,
    payload: options.payload,
    entityType: options.entityType ?? name.replace(/_sync$/, ''),
    source: options.source ?? 'source',
    target: options.target ?? 'target',
    retry: options.retry ?? {},
    timeoutSeconds: options.timeoutSeconds,
    upstreams: [...(options.upstreams ?? [])],
    ifActive: options.ifActive ?? 'reject',
    debounceSeconds,
    maxDelaySeconds,
    group: options.group as JobTypeDefinition['group'],
    groupConcurrency: options.groupConcurrency,
    handler: options.handler as JobTypeDefinition['handler'],
  });
  return definition;
}
