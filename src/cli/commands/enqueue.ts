/** `enqueue <type> <entityId>`, or many from an NDJSON file (`--file`, `-` for stdin). */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { request } from '../api.js';
import { exitCodes, ExitError, isoTime, jobLine, jobType, jsonValue, positiveInt, type Cli, type MutationResult } from '../cli.js';
import { cliDocuments } from '../documents.js';
import { table } from '../output.js';
import { watchJobs } from './watch.js';

interface EnqueueOptions {
  priority?: string;
  maxRetries?: number;
  at?: string;
  payload?: unknown;
  payloadVersion?: number;
  ifActive?: string;
  group?: string;
  file?: string;
  batchSize: number;
  watch?: boolean;
}

export function register(program: Command, cli: Cli): void {
  program
    .command('enqueue')
    .description('Enqueue one job, or many from an NDJSON file (one {"jobType","entityId","payload",...} per line; - for stdin).')
    .argument('[type]', 'a registered job type, e.g. customer_sync (`syncbridge types` lists them)', (value) => jobType(value))
    .argument('[entityId]', 'the source record id, e.g. c_1001')
    .addOption(new Option('--priority <priority>', 'claim priority').choices(['LOW', 'NORMAL', 'HIGH']))
    .option('--max-retries <n>', 'retries after the first attempt (0-25)', positiveInt)
    .option('--at <time>', 'do not run before this ISO-8601 time', isoTime)
    .option('--payload <json>', 'the job\'s payload, checked by the type\'s schema, e.g. \'{"email":"a@example.com"}\'', jsonValue)
    .option('--payload-version <n>', 'the payload version (default: the newest)', positiveInt)
    .option('--group <key>', "the group the job belongs to, e.g. a tenant (default: what the type's group function derives)")
    .addOption(
      new Option('--if-active <policy>', "while the entity has an active job: REJECT, or COALESCE into it (default: the type's)")
        .choices(['REJECT', 'COALESCE'])
        .argParser((value) => value.toUpperCase()),
    )
    .option('--file <path>', 'NDJSON file of jobs to enqueue in batches (- reads stdin)')
    .option('--batch-size <n>', 'jobs per request with --file', positiveInt, 1000)
    .option('--watch', 'then follow the job live until it finishes (exit 0 if it succeeded, 8 otherwise), like `watch <id>`')
    .action(async (type: string | undefined, entityId: string | undefined, options: EnqueueOptions) => {
      if (options.file) return enqueueFile(cli, options.file, options.batchSize, options.ifActive);
      if (!type || !entityId) throw new ExitError(exitCodes.usage, 'enqueue needs <type> <entityId>, or --file');
      const data = await request<{ enqueueJob: MutationResult }>(cli.api(), cliDocuments.enqueue, {
        input: {
          jobType: type,
          entityId,
          priority: options.priority,
          maxRetries: options.maxRetries,
          scheduledAt: options.at,
          payload: options.payload,
          payloadVersion: options.payloadVersion,
          ifActive: options.ifActive,
          groupKey: options.group,
        },
      });
      cli.settle(data.enqueueJob, (job) => `${data.enqueueJob.coalesced ? `Coalesced into job ${job.id}` : `Enqueued job ${job.id}`}\n${jobLine(job)}`);
      if (options.watch && data.enqueueJob.job) await watchJobs(cli, { id: data.enqueueJob.job.id });
    });
}

async function enqueueFile(cli: Cli, path: string, batchSize: number, ifActive: string | undefined): Promise<void> {
  const stream = path === '-' ? (cli.io.stdin ?? process.stdin) : undefined;
  const lines: string[] = [];
  if (stream) for await (const line of createInterface({ input: stream })) lines.push(line);
  else lines.push(...readFileSync(path, 'utf8').split('\n'));
  const inputs = lines
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line)
    .map(({ line, number }) => {
      try {
        const item = JSON.parse(line) as Record<string, unknown>;
        return { ...(ifActive ? { ifActive } : {}), ...item, jobType: jobType(String(item.jobType ?? '')) };
      } catch (error) {
        throw new ExitError(exitCodes.usage, `line ${number}: ${(error as Error).message}`);
      }
    });
  const results: MutationResult[] = [];
  const size = Math.max(1, batchSize);
  for (let start = 0; start < inputs.length; start += size) {
    const data = await request<{ enqueueJobs: MutationResult[] }>(cli.api(), cliDocuments.enqueueBatch, { inputs: inputs.slice(start, start + size) });
    results.push(...data.enqueueJobs);
    if (inputs.length > size && !cli.json) cli.io.err(`enqueued ${Math.min(start + size, inputs.length)}/${inputs.length}`);
  }
  const created = results.filter((result) => result.job).length;
  const coalesced = results.filter((result) => result.coalesced).length;
  const failed = results.length - created;
  if (failed) cli.code = exitCodes.batchFailures;
  cli.print(results, () => {
    const failures = results
      .map((result, index) => ({ result, index }))
      .filter(({ result }) => !result.job)
      .map(({ result, index }) => [index + 1, (inputs[index] as { entityId?: string }).entityId, result.__typename, result.message]);
    return (
      `${created - coalesced} enqueued${coalesced ? `, ${coalesced} coalesced into active jobs` : ''}, ${failed} failed` +
      (failures.length ? `\n${table(['line', 'entity', 'error', 'message'], failures)}` : '')
    );
  });
}
