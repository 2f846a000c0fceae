/**
 * `syncbridge`: the command-line client. It talks to a server only through its GraphQL API
 * (--url / SYNCBRIDGE_URL, --token / SYNCBRIDGE_TOKEN). Tables for people, --json for scripts,
 * and exit codes scripts can rely on:
 *   0 ok · 1 unexpected error (server unreachable, …) · 2 usage error · 3 NotFoundError ·
 *   4 InvalidStateError · 5 DuplicateActiveJobError · 6 InputError · 7 a batch had failed items ·
 *   8 a watched job finished without succeeding.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ApiError, request, subscribe, type ApiOptions } from './api.js';
import { table, time, type Output } from './output.js';
import { createToken, roles, type Role } from '../auth/tokens.js';
import { cliDocuments } from './documents.js';
import { isFinalStatus, parseDurationSeconds } from '../domain.js';

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

type Job = Record<string, any> & { id: string; status: string; entityId: string };
type MutationResult = { __typename: string; message?: string; job?: Job; existingJobId?: string; currentStatus?: string; field?: string };


function jobType(value: string): string {
  const normalized = value.trim().toUpperCase();
  if (normalized !== 'CUSTOMER_SYNC' && normalized !== 'INVOICE_SYNC') {
    throw new InvalidArgumentError('use customer_sync or invoice_sync');
  }
  return normalized;
}

interface BulkCliOptions {
  status?: string;
  type?: string;
  entityPrefix?: string;
  errorType?: string;
  since?: string;
  dryRun: boolean;
}

type BulkResult = { __typename: string; message?: string; dryRun: boolean; matched: number; affected: number; skipped: number; skippedBy: { reason: string; count: number }[] };

/** `--since 90m` → the ISO time that long ago. */
function sinceDuration(value: string): string {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined) throw new InvalidArgumentError('expected a duration like 30m, 1h or 2d');
  return new Date(Date.now() - seconds * 1000).toISOString();
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number');
  return parsed;
}

function isoTime(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an ISO-8601 date-time, e.g. 2030-01-01T09:00:00Z');
  return date.toISOString();
}

class ExitError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export interface CliIo extends Output {
  stdin?: NodeJS.ReadableStream;
  env?: Record<string, string | undefined>;
}

/** Runs the CLI; resolves with the exit code (the bin exits with it). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  let code: number = exitCodes.ok;
  const program = new Command('syncbridge')
    .description('Drive a SyncBridge server through its GraphQL API.')
    .addOption(new Option('--url <url>', 'GraphQL endpoint').env('SYNCBRIDGE_URL').default('http://127.0.0.1:4000/graphql'))
    .addOption(new Option('--token <token>', 'API token, sent as a Bearer token').env('SYNCBRIDGE_TOKEN'))
    .option('--json', 'machine-readable output (JSON; NDJSON for watch)', false)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => io.err(text.replace(/\n$/, '')) })
    .showHelpAfterError('(add --help for usage)');

  // commander reads .env() from process.env; honour an injected env too (tests).
  const api = (): ApiOptions => {
    const options = program.opts<{ url: string; token?: string }>();
    return { url: env.SYNCBRIDGE_URL && options.url === 'http://127.0.0.1:4000/graphql' ? env.SYNCBRIDGE_URL : options.url, token: options.token ?? env.SYNCBRIDGE_TOKEN };
  };
  const json = () => program.opts<{ json: boolean }>().json;
  const print = (value: unknown, human: () => string) => io.out(json() ? JSON.stringify(value, null, 2) : human());

  /** A typed error result: its exit code, and the result on stdout (--json) or its message on stderr. */
  const refuse = (result: { __typename: string; message?: string }) => {
    code = exitCodes[result.__typename as keyof typeof exitCodes] ?? exitCodes.unexpected;
    if (json()) io.out(JSON.stringify(result, null, 2));
    else io.err(`${result.__typename}: ${result.message}`);
  };

  const settle = (result: MutationResult, ok: (job: Job) => string) => {
    if (result.job) print(result, () => ok(result.job!));
    else refuse(result);
  };

  const jobLine = (job: Job) =>
    table(
      ['id', 'type', 'entity', 'status', 'phase', 'attempts', 'created', 'last error'],
      [[job.id, job.jobType?.toLowerCase(), job.entityId, job.status, job.phase, `${job.attemptCount}/${job.maxRetries + 1}`, time(job.createdAt), job.lastErrorType ?? '']],
    );

  program
    .command('enqueue')
    .description('Enqueue one job, or many from an NDJSON file (one {"jobType","entityId",...} per line; - for stdin).')
    .argument('[type]', 'customer_sync or invoice_sync', (value) => jobType(value))
    .argument('[entityId]', 'the source record id, e.g. c_1001')
    .addOption(new Option('--priority <priority>', 'claim priority').choices(['LOW', 'NORMAL', 'HIGH']))
    .option('--max-retries <n>', 'retries after the first attempt (0-25)', positiveInt)
    .option('--at <time>', 'do not run before this ISO-8601 time', isoTime)
    .option('--file <path>', 'NDJSON file of jobs to enqueue in batches (- reads stdin)')
    .option('--batch-size <n>', 'jobs per request with --file', positiveInt, 1000)
    .action(async (type: string | undefined, entityId: string | undefined, options: { priority?: string; maxRetries?: number; at?: string; file?: string; batchSize: number }) => {
      if (options.file) return enqueueFile(options.file, options.batchSize);
      if (!type || !entityId) throw new ExitError(exitCodes.usage, 'enqueue needs <type> <entityId>, or --file');
      const data = await request<{ enqueueJob: MutationResult }>(
        api(),
        cliDocuments.enqueue,
        { input: { jobType: type, entityId, priority: options.priority, maxRetries: options.maxRetries, scheduledAt: options.at } },
      );
      settle(data.enqueueJob, (job) => `Enqueued job ${job.id}\n${jobLine(job)}`);
    });

  async function enqueueFile(path: string, batchSize: number) {
    const stream = path === '-' ? (io.stdin ?? process.stdin) : undefined;
    const lines: string[] = [];
    if (stream) for await (const line of createInterface({ input: stream })) lines.push(line);
    else lines.push(...readFileSync(path, 'utf8').split('\n'));
    const inputs = lines
      .map((line, index) => ({ line: line.trim(), number: index + 1 }))
      .filter(({ line }) => line)
      .map(({ line, number }) => {
        try {
          const item = JSON.parse(line) as Record<string, unknown>;
          return { ...item, jobType: jobType(String(item.jobType ?? '')) };
        } catch (error) {
          throw new ExitError(exitCodes.usage, `line ${number}: ${(error as Error).message}`);
        }
      });
    const results: MutationResult[] = [];
    const size = Math.max(1, batchSize);
    for (let start = 0; start < inputs.length; start += size) {
      const data = await request<{ enqueueJobs: MutationResult[] }>(
        api(),
        cliDocuments.enqueueBatch,
        { inputs: inputs.slice(start, start + size) },
      );
      results.push(...data.enqueueJobs);
      if (inputs.length > size && !json()) io.err(`enqueued ${Math.min(start + size, inputs.length)}/${inputs.length}`);
    }
    const created = results.filter((result) => result.job).length;
    const failed = results.length - created;
    if (failed) code = exitCodes.batchFailures;
    print(results, () => {
      const failures = results
        .map((result, index) => ({ result, index }))
        .filter(({ result }) => !result.job)
        .map(({ result, index }) => [index + 1, (inputs[index] as { entityId?: string }).entityId, result.__typename, result.message]);
      return `${created} enqueued, ${failed} failed` + (failures.length ? `\n${table(['line', 'entity', 'error', 'message'], failures)}` : '');
    });
  }

  program
    .command('token')
    .description('API tokens.')
    .command('create')
    .description('Make a new random token: the token goes to you, its digest line to SYNCBRIDGE_API_TOKENS_FILE (the server never stores the token).')
    .argument('<name>', 'who holds it (letters, digits, . _ @ -): the audit trail names them')
    .addOption(new Option('--role <role>', 'what it may do').choices([...roles]).default('viewer'))
    .action((name: string, options: { role: Role }) => {
      let created: ReturnType<typeof createToken>;
      try {
        created = createToken(name, options.role);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      print({ name, role: options.role, token: created.token, fileLine: created.fileLine }, () =>
        [`token (give it to ${name}; it is shown once): ${created.token}`, `line for SYNCBRIDGE_API_TOKENS_FILE: ${created.fileLine}`].join('\n'),
      );
    });

  const bulkOptions = (command: Command) =>
    command
      .option('--status <statuses>', 'act on every job with these statuses (comma-separated, e.g. DEAD,FAILED) instead of one id')
      .option('--type <type>', 'with --status and friends: only this job type', (value) => jobType(value))
      .option('--entity-prefix <prefix>', 'only entity ids starting with this')
      .option('--error-type <type>', 'only jobs whose latest attempt failed with this error type')
      .option('--since <duration>', 'only jobs changed in the last <duration> (e.g. 30m, 1h, 2d)', sinceDuration)
      .option('--dry-run', 'count what would happen; change nothing', false);

  /** Runs a bulk mutation from the filter options; resolves false when no filter option was given. */
  async function bulk(field: 'retryJobs' | 'cancelJobs' | 'replayJobs', options: BulkCliOptions): Promise<boolean> {
    const filter = {
      status: options.status?.split(',').map((value) => value.trim().toUpperCase()).filter(Boolean),
      jobType: options.type ? [options.type] : undefined,
      entityIdPrefix: options.entityPrefix,
      errorType: options.errorType,
      updatedAfter: options.since,
    };
    if (!Object.values(filter).some((value) => value !== undefined)) return false;
    const data = await request<Record<string, BulkResult>>(api(), cliDocuments[field], { filter, dryRun: options.dryRun });
    const result = data[field]!;
    if (result.__typename !== 'BulkActionResult') {
      refuse(result);
      return true;
    }
    print(result, () =>
      [
        `${result.dryRun ? 'dry run: would affect' : 'affected'} ${result.affected} of ${result.matched} matching jobs; skipped ${result.skipped}`,
        ...result.skippedBy.map((skip) => `  skipped ${skip.count}: ${skip.reason}`),
      ].join('\n'),
    );
    return true;
  }

  bulkOptions(
    program
      .command('retry')
      .description('Put a FAILED job back in the queue; or every job a filter matches (--status …).')
      .argument('[id]', 'job id'),
  ).action(async (id: string | undefined, options: BulkCliOptions) => {
    if (!id) {
      if (await bulk('retryJobs', options)) return;
      throw new ExitError(exitCodes.usage, 'retry needs <id>, or filter options such as --status FAILED');
    }
    const data = await request<{ retryJob: MutationResult }>(api(), cliDocuments.retry, { id });
    settle(data.retryJob, (job) => `Job ${job.id} is ${job.status} again\n${jobLine(job)}`);
  });

  bulkOptions(
    program
      .command('cancel')
      .description('Cancel a PENDING or RUNNING job; or every job a filter matches (--status …).')
      .argument('[id]', 'job id'),
  ).action(async (id: string | undefined, options: BulkCliOptions) => {
    if (!id) {
      if (await bulk('cancelJobs', options)) return;
      throw new ExitError(exitCodes.usage, 'cancel needs <id>, or filter options such as --status PENDING --type customer_sync');
    }
    const data = await request<{ cancelJob: MutationResult }>(api(), cliDocuments.cancel, { id });
    settle(data.cancelJob, (job) => `Job ${job.id} canceled\n${jobLine(job)}`);
  });

  bulkOptions(
    program
      .command('replay')
      .description('Replay a failed attempt of a job as a new job; or the latest failed attempt of every job a filter matches (--status DEAD …).')
      .argument('[id]', 'job id')
      .option('--attempt <attemptId>', 'the attempt id to replay (default: the latest attempt)'),
  ).action(async (id: string | undefined, options: BulkCliOptions & { attempt?: string }) => {
    if (!id) {
      if (await bulk('replayJobs', options)) return;
      throw new ExitError(exitCodes.usage, 'replay needs <id>, or filter options such as --status DEAD --since 1h');
    }
    const data = await request<{ replayJob: MutationResult }>(api(), cliDocuments.replay, { id, attemptId: options.attempt });
    settle(data.replayJob, (job) => `Job ${job.id} replays job ${id}\n${jobLine(job)}`);
  });

  for (const [name, field, verb] of [
    ['pause', 'pauseJobType', 'paused'],
    ['resume', 'resumeJobType', 'resumed'],
  ] as const) {
    program
      .command(name)
      .description(name === 'pause' ? 'Stop claiming a job type in every process (its jobs wait; running ones finish).' : 'Claim a paused job type again.')
      .argument('<type>', 'customer_sync or invoice_sync', (value) => jobType(value))
      .action(async (type: string) => {
        const data = await request<Record<string, { __typename: string; message?: string; jobType?: string; paused?: boolean; pending?: number; running?: number }>>(api(), cliDocuments[name], { jobType: type });
        const result = data[field]!;
        if (result.__typename !== 'JobTypeStatus') return refuse(result);
        print(result, () => `${type.toLowerCase()} ${verb}: ${result.pending} pending, ${result.running} running`);
      });
  }

  const schedules = program.command('schedules').description('Recurring jobs.');
  type ScheduleResult = { __typename: string; message?: string; name: string; cron: string; timezone: string; jobType: string; entityId: string; catchUp: string; paused: boolean; nextRunAt: string; lastTickAt?: string | null };
  const scheduleRow = (row: ScheduleResult) => [row.name, row.cron, row.timezone, `${row.jobType?.toLowerCase()} ${row.entityId}`, row.paused ? 'paused' : 'active', time(row.nextRunAt), row.lastTickAt ? time(row.lastTickAt) : '—'];
  const scheduleHeader = ['name', 'cron', 'zone', 'job', 'state', 'next', 'last tick'];
  schedules
    .command('list', { isDefault: true })
    .description('Every schedule.')
    .action(async () => {
      const data = await request<{ schedules: ScheduleResult[] }>(api(), cliDocuments.schedules);
      print(data.schedules, () => (data.schedules.length ? table(scheduleHeader, data.schedules.map(scheduleRow)) : 'no schedules'));
    });
  schedules
    .command('create')
    .description('Create a schedule: one job per tick of a cron expression.')
    .argument('<name>', 'a unique name')
    .argument('<cron>', 'cron expression, e.g. "0 9 * * 1-5" (quote it)')
    .argument('<type>', 'customer_sync or invoice_sync', (value) => jobType(value))
    .argument('<entityId>', 'the entity each tick syncs')
    .option('--timezone <zone>', 'IANA time zone', 'UTC')
    .addOption(new Option('--catch-up <policy>', 'missed ticks: SKIP them or run ONCE').choices(['SKIP', 'ONCE']).default('SKIP'))
    .action(async (name: string, cron: string, type: string, entityId: string, options: { timezone: string; catchUp: string }) => {
      const data = await request<{ createSchedule: ScheduleResult }>(api(), cliDocuments.scheduleCreate, { input: { name, cron, jobType: type, entityId, timezone: options.timezone, catchUp: options.catchUp } });
      const result = data.createSchedule;
      if (result.__typename !== 'Schedule') return refuse(result);
      print(result, () => `Schedule ${result.name} created; next run ${time(result.nextRunAt)}`);
    });
  for (const [command, paused] of [['pause', true], ['resume', false]] as const) {
    schedules
      .command(command)
      .description(paused ? 'Pause a schedule.' : 'Resume a paused schedule (from the next tick after now).')
      .argument('<name>', 'the schedule')
      .action(async (name: string) => {
        const data = await request<{ pauseSchedule: ScheduleResult }>(api(), cliDocuments.schedulePause, { name, paused });
        const result = data.pauseSchedule;
        if (result.__typename !== 'Schedule') return refuse(result);
        print(result, () => `Schedule ${result.name} ${paused ? 'paused' : `resumed; next run ${time(result.nextRunAt)}`}`);
      });
  }
  schedules
    .command('delete')
    .description('Delete a schedule (its jobs stay).')
    .argument('<name>', 'the schedule')
    .action(async (name: string) => {
      const data = await request<{ deleteSchedule: ScheduleResult }>(api(), cliDocuments.scheduleDelete, { name });
      const result = data.deleteSchedule;
      if (result.__typename !== 'DeleteScheduleSuccess') return refuse(result);
      print(result, () => `Schedule ${name} deleted`);
    });

  program
    .command('types')
    .description('Job types: paused or not, concurrency limit, pending and running.')
    .action(async () => {
      const data = await request<{ jobTypes: { jobType: string; paused: boolean; concurrency: number | null; pending: number; running: number }[] }>(api(), cliDocuments.jobTypes);
      print(data.jobTypes, () =>
        table(
          ['type', 'state', 'limit', 'pending', 'running'],
          data.jobTypes.map((row) => [row.jobType.toLowerCase(), row.paused ? 'paused' : 'active', row.concurrency ?? '—', row.pending, row.running]),
        ),
      );
    });

  program
    .command('concurrency')
    .description('Limit how many jobs of a type run at once across every process ("none" removes the limit).')
    .argument('<type>', 'customer_sync or invoice_sync', (value) => jobType(value))
    .argument('<limit>', 'a whole number from 1, or none', (value) => {
      if (value.toLowerCase() === 'none') return null;
      if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number or "none"');
      return Number(value);
    })
    .action(async (type: string, limit: number | null) => {
      const data = await request<{ setJobTypeConcurrency: { __typename: string; message?: string; concurrency?: number | null; pending?: number; running?: number } }>(
        api(),
        cliDocuments.concurrency,
        { jobType: type, concurrency: limit },
      );
      const result = data.setJobTypeConcurrency;
      if (result.__typename !== 'JobTypeStatus') return refuse(result);
      print(result, () => `${type.toLowerCase()}: ${result.concurrency === null ? 'no concurrency limit' : `at most ${result.concurrency} running at once`}; ${result.pending} pending, ${result.running} running`);
    });

  program
    .command('get')
    .description('Show one job and its attempts.')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      const data = await request<{ job: (Job & { attempts: Record<string, any>[] }) | null }>(
        api(),
        cliDocuments.get,
        { id },
      );
      if (!data.job) {
        code = exitCodes.NotFoundError;
        if (json()) io.out(JSON.stringify({ __typename: 'NotFoundError', message: `Job ${id} does not exist.`, id }, null, 2));
        else io.err(`NotFoundError: Job ${id} does not exist.`);
        return;
      }
      const job = data.job;
      print(job, () =>
        [
          jobLine(job),
          `correlation id: ${job.correlationId}`,
          job.lastError ? `last error: ${job.lastErrorType}: ${job.lastError}` : '',
          job.replayOf ? `replay of job ${job.replayOf.id}` : '',
          job.replays?.length ? `replayed by ${job.replays.map((replay: { id: string }) => replay.id).join(', ')}` : '',
          job.attempts.length
            ? table(['#', 'attempt id', 'started', 'ms', 'result', 'error'], job.attempts.map((a) => [a.attemptNumber, a.id, time(a.startedAt), a.durationMs, a.success ? 'ok' : a.errorType, a.errorSummary ?? '']))
            : 'no attempts yet',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });

  program
    .command('list')
    .description('List jobs, newest first.')
    .option('--status <statuses>', 'comma-separated statuses, e.g. FAILED,DEAD')
    .option('--type <type>', 'customer_sync or invoice_sync', (value) => jobType(value))
    .option('--entity <entityId>', 'only this entity id')
    .option('--limit <n>', 'how many (max 200)', positiveInt, 20)
    .option('--after <cursor>', 'page after this cursor (from a previous --json output)')
    .action(async (options: { status?: string; type?: string; entity?: string; limit: number; after?: string }) => {
      const status = options.status?.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
      const data = await request<{ jobs: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Job }[] } }>(
        api(),
        cliDocuments.list,
        { status, jobType: options.type, entityId: options.entity, first: Math.min(options.limit, 200), after: options.after },
      );
      const jobs = data.jobs.edges.map((edge) => edge.node);
      print(data.jobs, () =>
        table(
          ['id', 'type', 'entity', 'status', 'phase', 'attempts', 'created', 'last error'],
          jobs.map((job) => [job.id, job.jobType.toLowerCase(), job.entityId, job.status, job.phase, `${job.attemptCount}/${job.maxRetries + 1}`, time(job.createdAt), job.lastErrorType ?? '']),
        ) + `\n${jobs.length} of ${data.jobs.totalCount}${data.jobs.pageInfo.hasNextPage ? ` · next: --after ${data.jobs.pageInfo.endCursor}` : ''}`,
      );
    });

  program
    .command('metrics')
    .description('Queue figures.')
    .action(async () => {
      const data = await request<{ metrics: Record<string, any> }>(
        api(),
        cliDocuments.metrics,
      );
      const m = data.metrics;
      print(m, () =>
        table(
          ['figure', 'value'],
          [
            ['total jobs', m.totalJobs],
            ['finished', m.finishedJobs],
            ['success rate', m.successRate === null ? '—' : `${(m.successRate * 100).toFixed(1)}%`],
            ['retries', m.retryCount],
            ['avg attempt', m.avgExecutionMs === null ? '—' : `${Math.round(m.avgExecutionMs)} ms`],
            ...['pending', 'running', 'succeeded', 'failed', 'dead', 'canceled'].map((key) => [key, m[key]]),
          ],
        ),
      );
    });

  program
    .command('watch')
    .description('Tail job updates live. With an id: that job until it finishes (exit 0 if it succeeded, 8 otherwise).')
    .argument('[id]', 'job id (default: every job)')
    .option('--status <statuses>', 'only updates into these statuses (comma-separated)')
    .option('--type <type>', 'only this job type', (value) => jobType(value))
    .option('--count <n>', 'stop after this many updates', positiveInt)
    .action(
      (id: string | undefined, options: { status?: string; type?: string; count?: number }) =>
        new Promise<void>((resolve, reject) => {
          let seen = 0;
          const status = options.status?.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
          const stop = subscribe<{ jobUpdated: Job }>(
            api(),
            cliDocuments.watch,
            { id, status, jobType: options.type },
            {
              next: ({ jobUpdated: job }) => {
                seen += 1;
                io.out(
                  json()
                    ? JSON.stringify(job)
                    : `${time(job.updatedAt)}  job ${job.id}  ${job.jobType.toLowerCase()} ${job.entityId}  ${job.status}${job.phase !== 'FINISHED' ? ` (${job.phase})` : ''}  attempt ${job.attemptCount}${job.lastErrorType ? `  ${job.lastErrorType}` : ''}`,
                );
                const done = (id && isFinalStatus(job.status)) || (options.count !== undefined && seen >= options.count);
                if (done) {
                  if (id && isFinalStatus(job.status) && job.status !== 'SUCCEEDED') code = exitCodes.jobNotSucceeded;
                  stop();
                  resolve();
                }
              },
              error: (error) => {
                stop();
                reject(error instanceof ApiError ? error : new ApiError(error.message));
              },
            },
          );
          const onSignal = () => {
            stop();
            resolve();
          };
          process.once('SIGINT', onSignal);
        }),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    if (error instanceof ExitError) {
      io.err(error.message);
      return error.code;
    }
    if (error instanceof ApiError) {
      io.err(error.code === 'NOT_FOUND' ? `NotFoundError: ${error.message}` : `error: ${error.message}`);
      return error.code === 'NOT_FOUND' ? exitCodes.NotFoundError : exitCodes.unexpected;
    }
    io.err(`error: ${(error as Error).message ?? String(error)}`);
    return exitCodes.unexpected;
  }
}
