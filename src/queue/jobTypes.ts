/**
 * What the queue needs to know of the job types it runs, as an interface: the platform's
 * registry (src/platform/registry.ts) provides it, so the queue imports no handler code.
 */
import type { BackoffPolicy, IfActive } from '../domain/index.js';

/** Largest payload a job may carry, as stored JSON. */
export const maxPayloadBytes = 64 * 1024;

/** `value`: what the schema made of the payload (the handler's and the type's `group` input). */
export type PayloadCheck = { ok: true; json: string | null; value: unknown } | { ok: false; field: string; message: string };

export interface JobTypeInfo {
  name: string;
  description: string | undefined;
  /** SyncBridge's own (alert notifications): run and shown like any type, never enqueued through the API, not listed among the team's. */
  internal?: boolean;
  /** Payload versions with a handler, ascending. */
  versions: readonly number[];
  sourceSystem: string;
  targetSystem: string;
  entityType: string;
  /** Retries after the first attempt; undefined: the configured default. */
  maxRetries: number | undefined;
  /** Undefined parts take the configured defaults. */
  backoff: Partial<BackoffPolicy>;
  /** A handler running longer is aborted; undefined: the configured default. */
  timeoutMs: number | undefined;
  /** The upstreams its handlers call (as declared). */
  upstreams: readonly string[];
  /** What an enqueue does while the pair has an active job, unless the enqueue says. */
  ifActive: IfActive;
  /** Coalescing: a job starts this long after its latest change… */
  debounceMs: number;
  /** …but no later than this after its first enqueue. */
  maxDelayMs: number;
  /** Whether a version has a payload schema. */
  hasPayload(version: number): boolean;
  /** The payload schema as JSON Schema, per version (where its library can tell). */
  payloadJsonSchema(version: number): Record<string, unknown> | undefined;
  /** An enqueue's payload for a version: the JSON to store, or the field at fault and why. */
  checkPayload(version: number, payload: unknown): PayloadCheck | Promise<PayloadCheck>;
  /** Its grouped jobs are claimed group by group in turn (its definition derives groups or limits them). */
  grouped: boolean;
  /** Most jobs of one group RUNNING at once (undefined: no limit unless a group sets one). */
  groupConcurrency: number | undefined;
  /** The group the type's definition (of this payload version) gives a job, if it derives one; throws what the function throws. */
  groupOf(version: number, payload: unknown, entityId: string): unknown;
}

export interface JobTypeCatalog {
  get(name: string): JobTypeInfo | undefined;
  /** Every type the team defined, by name (SyncBridge's internal ones aside). */
  list(): readonly JobTypeInfo[];
  /** Every type this process runs, the internal ones too. */
  all(): readonly JobTypeInfo[];
  /** Types other processes registered (their jobs may be stored) that this one does not define: listed, never run or enqueued here. */
  readonly retired: readonly string[];
}

export interface PolicyDefaults {
  backoffBaseSeconds: number;
  handlerTimeoutMs: number;
}

export interface TypePolicy {
  backoff: BackoffPolicy;
  timeoutMs: number;
}

/**
 * Each type's retry backoff and time limit with the configured defaults filled in, resolved once
 * per type (the worker reads them per attempt). A type the catalog does not know (a job left
 * from an older module) gets the defaults.
 */
export class TypePolicies {
  private readonly resolved = new Map<string, TypePolicy>();
  readonly fallback: TypePolicy;

  constructor(catalog: JobTypeCatalog, defaults: PolicyDefaults) {
    this.fallback = { backoff: { baseSeconds: defaults.backoffBaseSeconds }, timeoutMs: defaults.handlerTimeoutMs };
    for (const type of catalog.all()) {
      this.resolved.set(type.name, {
        backoff: {
          baseSeconds: type.backoff.baseSeconds ?? defaults.backoffBaseSeconds,
          maxSeconds: type.backoff.maxSeconds,
          jitter: type.backoff.jitter,
        },
        timeoutMs: type.timeoutMs ?? defaults.handlerTimeoutMs,
      });
    }
  }

  of(jobType: string): TypePolicy {
    return this.resolved.get(jobType) ?? this.fallback;
  }

  /** The shortest time limit of any type (the worker's overdue sweep runs at a tenth of it). */
  get shortestTimeoutMs(): number {
    return Math.min(this.fallback.timeoutMs, ...[...this.resolved.values()].map((policy) => policy.timeoutMs));
  }
}
