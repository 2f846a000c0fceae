/**
 * The job types a process runs: definitions by (name, version), described to the queue (its
 * JobTypeCatalog: systems, retry policy, time limit, payload checks) and run for it (its
 * JobRunner: the handler of the job's (type, payloadVersion) with a context per attempt). An
 * unknown pair is a non-retryable failure of the job, not an exception here.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Job } from '../db/types.js';
import { coerceError, IntegrationError, ValidationError } from '../integrations/errors.js';
import { attemptDetailsJson, ExchangeLog } from '../integrations/exchanges.js';
import type { UpstreamPacer } from '../integrations/pace.js';
import { defaultRedactor, type Redactor } from '../integrations/redaction.js';
import { maxPayloadBytes, type JobTypeCatalog, type JobTypeInfo, type PayloadCheck } from '../queue/jobTypes.js';
import type { JobRunner } from '../queue/worker/executor.js';
import { JobTypeDefinitionError, type HandlerContext, type JobTypeDefinition } from './defineJobType.js';
import { idempotencyKey } from './idempotency.js';
import { issuePath, jsonSchemaOf, type StandardSchemaV1 } from './standardSchema.js';
import { upstreamClient, type ResolvedUpstream, type UpstreamClient } from './upstreamClient.js';
import type { CircuitGate } from '../queue/circuits.js';

/** The names of SyncBridge's own job types begin so; a team's may not. */
const internalPrefix = 'syncbridge_';

interface TypeEntry extends JobTypeInfo {
  byVersion: Map<number, JobTypeDefinition>;
}

function infoOf(name: string, byVersion: Map<number, JobTypeDefinition>): TypeEntry {
  const versions = [...byVersion.keys()].sort((a, b) => a - b);
  const latest = byVersion.get(versions.at(-1)!)!;
  const jsonSchemas = new Map<number, Record<string, unknown> | undefined>(); // converted once
  return {
    name,
    byVersion,
    description: latest.description,
    versions,
    sourceSystem: latest.source,
    targetSystem: latest.target,
    entityType: latest.entityType,
    maxRetries: latest.retry.maxRetries,
    backoff: { baseSeconds: latest.retry.backoff?.baseSeconds, maxSeconds: latest.retry.backoff?.maxSeconds, jitter: latest.retry.backoff?.jitter },
    timeoutMs: latest.timeoutSeconds === undefined ? undefined : latest.timeoutSeconds * 1000,
    ifActive: latest.ifActive === 'coalesce' ? 'COALESCE' : 'REJECT',
    debounceMs: latest.debounceSeconds * 1000,
    maxDelayMs: latest.maxDelaySeconds * 1000,
    upstreams: [...new Set(versions.flatMap((version) => byVersion.get(version)!.upstreams))],
    hasPayload: (version) => byVersion.get(version)?.payload !== undefined,
    payloadJsonSchema: (version) => {
      if (!jsonSchemas.has(version)) {
        const schema = byVersion.get(version)?.payload;
        jsonSchemas.set(version, schema ? jsonSchemaOf(schema) : undefined);
      }
      return jsonSchemas.get(version);
    },
    checkPayload: (version, payload) => checkPayload(byVersion.get(version), payload),
    groupOf: (version, payload, entityId) => byVersion.get(version)?.group?.(payload, entityId),
    grouped: versions.some((version) => byVersion.get(version)!.group !== undefined) || latest.groupConcurrency !== undefined,
    groupConcurrency: latest.groupConcurrency,
  };
}

/** Sync when the schema is (zod and valibot are, unless refined asynchronously): a 10,000-job batch awaits nothing per job. */
/** The check of an absent payload where none is wanted: one object for every job of a batch. */
const noPayload: PayloadCheck = Object.freeze({ ok: true, json: null, value: undefined });

function checkPayload(definition: JobTypeDefinition | undefined, payload: unknown): PayloadCheck | Promise<PayloadCheck> {
  const schema = definition?.payload;
  const absent = payload === undefined || payload === null;
  if (!schema) return absent ? noPayload : { ok: false, field: 'payload', message: `${definition?.name ?? 'This type'} takes no payload.` };
  const result = schema['~standard'].validate(absent ? undefined : payload);
  return result instanceof Promise ? result.then((settled) => payloadCheck(settled, payload, absent)) : payloadCheck(result, payload, absent);
}

function payloadCheck(result: StandardSchemaV1.Result<unknown>, payload: unknown, absent: boolean): PayloadCheck {
  if (result.issues) {
    const issue = result.issues[0];
    if (absent) return { ok: false, field: 'payload', message: `payload is required: ${issue?.message ?? 'it must match the type'}` };
    const field = issue ? issuePath(issue) : 'payload';
    return { ok: false, field, message: `${field}: ${issue?.message ?? 'does not match the type'}` };
  }
  if (absent) return { ok: true, json: null, value: result.value };
  // Stored as sent (the schema runs again for the handler, which gets its output: a transform's result need not be JSON).
  const json = JSON.stringify(payload);
  if (Buffer.byteLength(json) > maxPayloadBytes) return { ok: false, field: 'payload', message: `payload must be at most ${maxPayloadBytes} bytes of JSON.` };
  return { ok: true, json, value: result.value };
}

export interface RunnerDependencies {
  upstreams: readonly ResolvedUpstream[];
  pacer: UpstreamPacer;
  redactor?: Redactor;
  /** The upstreams' circuit breakers (absent: none). */
  circuits?: CircuitGate;
}

export class JobTypeRegistry implements JobTypeCatalog {
  private readonly types = new Map<string, TypeEntry>();
  private retiredNames: readonly string[] = [];

  /** `internal`: SyncBridge's own types (alert notifications), beside the team's. */
  constructor(definitions: readonly JobTypeDefinition[], internal: readonly JobTypeDefinition[] = []) {
    const grouped = new Map<string, Map<number, JobTypeDefinition>>();
    const reserved = definitions.find((definition) => definition.name.startsWith(internalPrefix));
    if (reserved) throw new JobTypeDefinitionError(`Job type "${reserved.name}": names starting with ${internalPrefix} are SyncBridge's own.`);
    for (const definition of [...definitions, ...internal]) {
      const versions = grouped.get(definition.name) ?? new Map<number, JobTypeDefinition>();
      if (versions.has(definition.version)) throw new JobTypeDefinitionError(`Job type "${definition.name}" version ${definition.version} is defined twice.`);
      versions.set(definition.version, definition);
      grouped.set(definition.name, versions);
    }
    if (!definitions.length) throw new JobTypeDefinitionError('No job types: define at least one.');
    for (const [name, versions] of [...grouped].sort(([a], [b]) => a.localeCompare(b)))
      this.types.set(name, { ...infoOf(name, versions), internal: name.startsWith(internalPrefix) });
  }

  get(name: string): JobTypeInfo | undefined {
    return this.types.get(name);
  }

  list(): readonly JobTypeInfo[] {
    return [...this.types.values()].filter((type) => !type.internal);
  }

  all(): readonly JobTypeInfo[] {
    return [...this.types.values()];
  }

  get retired(): readonly string[] {
    return this.retiredNames;
  }

  /** The types the database knows of (every process registers its own at start-up): those not defined here are retired. */
  noteStored(names: readonly string[]): void {
    this.retiredNames = names.filter((name) => !this.types.has(name)).sort();
  }

  /** The definition that runs a job of this type and payload version. */
  definitionFor(name: string, version: number): JobTypeDefinition | undefined {
    return this.types.get(name)?.byVersion.get(version);
  }

  /** Every upstream a definition declares that is not configured. */
  missingUpstreams(configured: ReadonlySet<string>): string[] {
    return [...new Set(this.list().flatMap((type) => type.upstreams.filter((name) => !configured.has(name)).map((name) => `${type.name} → ${name}`)))];
  }

  /** What the worker runs jobs through: each attempt's handler with its own context and forensics. */
  runner(dependencies: RunnerDependencies): JobRunner {
    const upstreams = new Map(dependencies.upstreams.map((upstream) => [upstream.name, upstream]));
    const redactor = dependencies.redactor ?? defaultRedactor;
    return {
      run: (job, context) => this.runAttempt(job, context, upstreams, dependencies.pacer, redactor, dependencies.circuits),
      classify(thrown: unknown) {
        const error = coerceError(thrown);
        return {
          errorType: error.errorType,
          // Kept as lastError and shown to viewers: a handler's own message may quote a secret too.
          message: redactor.text(error.message),
          retryable: error.retryable,
          retryAfterMs: error.retryAfterMs,
          uncharged: (error as { uncharged?: boolean }).uncharged === true,
        };
      },
    };
  }

  private async runAttempt(
    job: Job,
    attempt: { readonly signal: AbortSignal; readonly logger: Logger; report(details: string): void },
    upstreams: Map<string, ResolvedUpstream>,
    pacer: UpstreamPacer,
    redactor: Redactor,
    circuits: CircuitGate | undefined,
  ): Promise<unknown> {
    const definition = this.definitionFor(job.jobType, job.payloadVersion);
    if (!definition) throw new ValidationError(`No handler for job type "${job.jobType}" payload version ${job.payloadVersion}.`);
    let log: ExchangeLog | undefined;
    let unexpected: unknown;
    try {
      const pending = payloadFor(definition, job);
      const payload = pending instanceof Promise ? await pending : pending;
      let clients: Map<string, UpstreamClient> | undefined;
      const context: HandlerContext<unknown> = {
        payload,
        job,
        entityId: job.entityId,
        correlationId: job.correlationId,
        // All made on first use (the signal's controller, the bound logger, the clients).
        get signal() {
          return attempt.signal;
        },
        get logger() {
          return attempt.logger;
        },
        upstream(name: string) {
          let client = clients?.get(name);
          if (client) return client;
          const upstream = upstreams.get(name);
          if (!upstream) throw new ValidationError(`No upstream named "${name}" is configured (the job types module's upstreams, or createSyncBridge's).`);
          client = upstreamClient(upstream, {
            correlationId: job.correlationId,
            signal: attempt.signal,
            log: (log ??= new ExchangeLog()),
            pacer,
            redactor,
            idempotencyKey: (operation) => idempotencyKey(job, operation),
            jobId: job.id,
            groupKey: job.groupKey,
            circuits,
          });
          (clients ??= new Map()).set(name, client);
          return client;
        },
        idempotencyKey: (operation: string) => idempotencyKey(job, operation),
      };
      return await definition.handler(context);
    } catch (error) {
      if (!(error instanceof IntegrationError)) unexpected = error; // an upstream's answer needs no stack; a bug does
      throw error;
    } finally {
      // The attempt's span is the active one while tracing is on (src/queue/worker/runner.ts); invalid otherwise.
      const span = trace.getActiveSpan()?.spanContext();
      const details = attemptDetailsJson(log?.calls ?? [], unexpected, span && isSpanContextValid(span) ? span.traceId : undefined, redactor);
      if (details) attempt.report(details);
    }
  }
}

/**
 * The stored payload through the version's schema again: the handler gets its output type.
 * Synchronous unless the schema validates asynchronously (no await per job on the drain's path).
 */
function payloadFor(definition: JobTypeDefinition, job: Job): unknown {
  const stored = job.payload === null ? undefined : (JSON.parse(job.payload) as unknown);
  if (!definition.payload) return stored;
  const result = definition.payload['~standard'].validate(stored);
  return result instanceof Promise ? result.then((settled) => parsedPayload(definition, settled)) : parsedPayload(definition, result);
}

function parsedPayload(definition: JobTypeDefinition, result: StandardSchemaV1.Result<unknown>): unknown {
  if (result.issues)
    throw new ValidationError(`The job's payload no longer matches ${definition.name} v${definition.version}: ${issuePath(result.issues[0]!)}: ${result.issues[0]!.message}`);
  return result.value;
}
