/**
 * What every command shares: how to reach the server, how to answer (a table for people, JSON
 * with --json), typed refusals with their exit codes, and the argument parsers.
 */
import { InvalidArgumentError } from 'commander';
import type { ApiOptions } from './api.js';
import { table, time, type Output } from './output.js';
import { parseDurationSeconds } from '../domain/index.js';

/** Exit codes scripts can rely on (README → Command-line client). */
export const exitCodes = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  NotFoundError: 3,
  InvalidStateError: 4,
  DuplicateActiveJobError: 5,
  InputError: 6,
  batchFailures: 7,
  jobNotSucceeded: 8,
  UnauthorizedError: 9,
  ForbiddenError: 10,
  RateLimitedError: 11,
} as const;

export type Job = Record<string, any> & { id: string; status: string; entityId: string };
export type MutationResult = { __typename: string; message?: string; job?: Job; coalesced?: boolean; existingJobId?: string; currentStatus?: string; field?: string };

/** Ends the command with this exit code and message (on stderr). */
export class ExitError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CliIo extends Output {
  stdin?: NodeJS.ReadableStream;
  env?: Record<string, string | undefined>;
}

/** One run of the CLI: its output, its options as parsed, and the exit code so far. */
export class Cli {
  code: number = exitCodes.ok;

  constructor(
    readonly io: CliIo,
    private readonly options: () => { url: string; token?: string; json: boolean },
  ) {}

  /** Where and as whom; commander reads .env() from process.env, so an injected env (tests) is honoured here too. */
  api(): ApiOptions {
    const env = this.io.env ?? process.env;
    const { url, token } = this.options();
    return { url: env.SYNCBRIDGE_URL && url === defaultUrl ? env.SYNCBRIDGE_URL : url, token: token ?? env.SYNCBRIDGE_TOKEN };
  }

  get json(): boolean {
    return this.options().json;
  }

  print(value: unknown, human: () => string): void {
    this.io.out(this.json ? asJson(value) : human());
  }

  /** A typed error result: its exit code, and the result on stdout (--json) or its message on stderr. */
  refuse(result: { __typename: string; message?: string; [field: string]: unknown }): void {
    this.code = exitCodes[result.__typename as keyof typeof exitCodes] ?? exitCodes.unexpected;
    if (this.json) this.io.out(asJson(result));
    else this.io.err(`${result.__typename}: ${result.message}`);
  }

  /** A mutation's result: the job it answered with, or the refusal. */
  settle(result: MutationResult, ok: (job: Job) => string): void {
    if (result.job) this.print(result, () => ok(result.job!));
    else this.refuse(result);
  }
}

/**
 * --json: the API's answer, with job types named as they are defined (`customer_sync`), the way
 * the human output, the dashboard and the commands' own arguments name them (the API's enum
 * writes them in capitals).
 */
export function asJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (key, field: unknown) => (key === 'jobType' && typeof field === 'string' ? field.toLowerCase() : field), indent);
}

export const defaultUrl = 'http://127.0.0.1:4000/graphql';

export const jobHeader = ['id', 'type', 'entity', 'status', 'phase', 'attempts', 'created', 'last error'];
export const jobCells = (job: Job) => [
  job.id,
  job.jobType?.toLowerCase(),
  job.entityId,
  job.status,
  job.phase,
  `${job.attemptCount}/${job.maxRetries + 1}`,
  time(job.createdAt),
  job.lastErrorType ?? '',
];
export const jobLine = (job: Job) => table(jobHeader, [jobCells(job)]);

// ---- argument parsers (a bad value is a usage error, exit 2) ----

/** A job type's name, as the API's JobType enum writes it (`contact_sync` → CONTACT_SYNC); the server knows which exist (`syncbridge types`). */
export function jobType(value: string): string {
  const normalized = value.trim();
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(normalized)) throw new InvalidArgumentError('a job type name: letters, digits and _ (see `syncbridge types`)');
  return normalized.toUpperCase();
}

/** `--payload '{"email":"a@example.com"}'`: any JSON value. */
export function jsonValue(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new InvalidArgumentError(`not JSON: ${(error as Error).message}`);
  }
}

/** `--since 90m` → the ISO time that long ago. */
export function sinceDuration(value: string): string {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined) throw new InvalidArgumentError('expected a duration like 30m, 1h or 2d');
  return new Date(Date.now() - seconds * 1000).toISOString();
}

export function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number');
  return parsed;
}

export function isoTime(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an ISO-8601 date-time, e.g. 2030-01-01T09:00:00Z');
  return date.toISOString();
}

export const statusList = (value: string | undefined) =>
  value
    ?.split(',')
    .map((status) => status.trim().toUpperCase())
    .filter(Boolean);
