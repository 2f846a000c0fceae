/** `retry`, `cancel`, `replay`, `run-now`: one job by id, or every job a filter matches (--status …, --dry-run). */
import type { Command } from 'commander';
import { request } from '../api.js';
import { exitCodes, ExitError, jobLine, jobType, sinceDuration, statusList, type Cli, type MutationResult } from '../cli.js';
import { cliDocuments } from '../documents.js';

interface BulkOptions {
  status?: string;
  type?: string;
  entityPrefix?: string;
  group?: string;
  errorType?: string;
  since?: string;
  dryRun: boolean;
}

type BulkResult = { __typename: string; message?: string; dryRun: boolean; matched: number; affected: number; skipped: number; skippedBy: { reason: string; count: number }[] };

const withBulkOptions = (command: Command) =>
  command
    .option('--status <statuses>', 'act on every job with these statuses (comma-separated, e.g. DEAD,FAILED) instead of one id')
    .option('--type <type>', 'with --status and friends: only this job type', (value) => jobType(value))
    .option('--entity-prefix <prefix>', 'only entity ids starting with this')
    .option('--group <key>', 'only jobs of this group')
    .option('--error-type <type>', 'only jobs whose latest attempt failed with this error type')
    .option('--since <duration>', 'only jobs changed in the last <duration> (e.g. 30m, 1h, 2d)', sinceDuration)
    .option('--dry-run', 'count what would happen; change nothing', false);

/** Runs a bulk mutation from the filter options; resolves false when no filter option was given. */
async function bulk(cli: Cli, field: 'retryJobs' | 'cancelJobs' | 'replayJobs', options: BulkOptions): Promise<boolean> {
  const filter = {
    status: statusList(options.status),
    jobType: options.type ? [options.type] : undefined,
    entityIdPrefix: options.entityPrefix,
    groupKey: options.group,
    errorType: options.errorType,
    updatedAfter: options.since,
  };
  if (!Object.values(filter).some((value) => value !== undefined)) return false;
  const data = await request<Record<string, BulkResult>>(cli.api(), cliDocuments[field], { filter, dryRun: options.dryRun });
  const result = data[field]!;
  if (result.__typename !== 'BulkActionResult') {
    cli.refuse(result);
    return true;
  }
  cli.print(result, () =>
    [
      `${result.dryRun ? 'dry run: would affect' : 'affected'} ${result.affected} of ${result.matched} matching jobs; skipped ${result.skipped}`,
      ...result.skippedBy.map((skip) => `  skipped ${skip.count}: ${skip.reason}`),
    ].join('\n'),
  );
  return true;
}

export function register(program: Command, cli: Cli): void {
  withBulkOptions(program.command('retry').description('Put a FAILED job back in the queue; or every job a filter matches (--status …).').argument('[id]', 'job id')).action(
    async (id: string | undefined, options: BulkOptions) => {
      if (!id) {
        if (await bulk(cli, 'retryJobs', options)) return;
        throw new ExitError(exitCodes.usage, 'retry needs <id>, or filter options such as --status FAILED');
      }
      const data = await request<{ retryJob: MutationResult }>(cli.api(), cliDocuments.retry, { id });
      const result = data.retryJob;
      // A DEAD job spent its retries: what the operator wants is a replay (a new job), so say so.
      if (!cli.json && result.__typename === 'InvalidStateError' && result.currentStatus === 'DEAD') {
        result.message = `${result.message} A DEAD job is run again by replaying it: syncbridge replay ${id}`;
      }
      cli.settle(result, (job) => `Job ${job.id} is ${job.status} again\n${jobLine(job)}`);
    },
  );

  withBulkOptions(program.command('cancel').description('Cancel a PENDING or RUNNING job; or every job a filter matches (--status …).').argument('[id]', 'job id')).action(
    async (id: string | undefined, options: BulkOptions) => {
      if (!id) {
        if (await bulk(cli, 'cancelJobs', options)) return;
        throw new ExitError(exitCodes.usage, 'cancel needs <id>, or filter options such as --status PENDING --type customer_sync');
      }
      const data = await request<{ cancelJob: MutationResult }>(cli.api(), cliDocuments.cancel, { id });
      cli.settle(data.cancelJob, (job) => `Job ${job.id} canceled\n${jobLine(job)}`);
    },
  );

  program
    .command('run-now')
    .description("Make a PENDING job that waits for its time (scheduled, a retry's backoff) due now.")
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      const data = await request<{ runJobNow: MutationResult }>(cli.api(), cliDocuments.runNow, { id });
      cli.settle(data.runJobNow, (job) => `Job ${job.id} is due now\n${jobLine(job)}`);
    });

  withBulkOptions(
    program
      .command('replay')
      .description('Replay a failed attempt of a job as a new job; or the latest failed attempt of every job a filter matches (--status DEAD …).')
      .argument('[id]', 'job id')
      .option('--attempt <attemptId>', 'the attempt id to replay (default: the latest attempt)'),
  ).action(async (id: string | undefined, options: BulkOptions & { attempt?: string }) => {
    if (!id) {
      if (await bulk(cli, 'replayJobs', options)) return;
      throw new ExitError(exitCodes.usage, 'replay needs <id>, or filter options such as --status DEAD --since 1h');
    }
    const data = await request<{ replayJob: MutationResult }>(cli.api(), cliDocuments.replay, { id, attemptId: options.attempt });
    cli.settle(data.replayJob, (job) => `Job ${job.id} replays job ${id}\n${jobLine(job)}`);
  });
}
