/** `watch [id]`: job updates live; with an id, until that job finishes (exit 8 if it did not succeed). */
import type { Command } from 'commander';
import { ApiError, subscribe } from '../api.js';
import { asJson, exitCodes, jobType, positiveInt, statusList, type Cli, type Job } from '../cli.js';
import { cliDocuments } from '../documents.js';
import { time } from '../output.js';
import { isFinalStatus } from '../../domain/index.js';

export function register(program: Command, cli: Cli): void {
  program
    .command('watch')
    .description('Tail job updates live. With an id: that job until it finishes (exit 0 if it succeeded, 8 otherwise).')
    .argument('[id]', 'job id (default: every job)')
    .option('--status <statuses>', 'only updates into these statuses (comma-separated)')
    .option('--type <type>', 'only this job type', (value) => jobType(value))
    .option('--count <n>', 'stop after this many updates', positiveInt)
    .action((id: string | undefined, options: { status?: string; type?: string; count?: number }) =>
      watchJobs(cli, { id, status: statusList(options.status), jobType: options.type }, options.count),
    );
}

/**
 * Prints job updates as they come; with an id, until that job finishes (the exit code 8 when it
 * did not succeed). Also `enqueue --watch`.
 */
export function watchJobs(cli: Cli, filter: { id?: string; status?: string[]; jobType?: string }, count?: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let seen = 0;
    const stop = subscribe<{ jobUpdated: Job }>(cli.api(), cliDocuments.watch, filter, {
      next: ({ jobUpdated: job }) => {
        seen += 1;
        cli.io.out(
          cli.json
            ? asJson(job, 0)
            : `${time(job.updatedAt)}  job ${job.id}  ${job.jobType.toLowerCase()} ${job.entityId}  ${job.status}${job.phase !== 'FINISHED' ? ` (${job.phase})` : ''}  attempt ${job.attemptCount}${job.lastErrorType ? `  ${job.lastErrorType}` : ''}`,
        );
        const finished = filter.id !== undefined && isFinalStatus(job.status);
        if (finished || (count !== undefined && seen >= count)) {
          if (finished && job.status !== 'SUCCEEDED') cli.code = exitCodes.jobNotSucceeded;
          stop();
          resolve();
        }
      },
      error: (error) => {
        stop();
        reject(error instanceof ApiError ? error : new ApiError(error.message));
      },
    });
    process.once('SIGINT', () => {
      stop();
      resolve();
    });
  });
}
