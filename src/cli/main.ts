/**
 * `syncbridge`: the command-line client. It talks to a server only through its GraphQL API
 * (--url / SYNCBRIDGE_URL, --token / SYNCBRIDGE_TOKEN). Tables for people, --json for scripts,
 * and exit codes scripts can rely on (src/cli/cli.ts). One module per command under commands/.
 */
import { Command, CommanderError, Option } from 'commander';
import { ApiError, request } from './api.js';
import { cliDocuments } from './documents.js';
import { Cli, defaultUrl, exitCodes, ExitError, type CliIo } from './cli.js';
import * as enqueue from './commands/enqueue.js';
import * as jobActions from './commands/jobActions.js';
import * as jobsRead from './commands/jobsRead.js';
import * as jobTypes from './commands/jobTypes.js';
import * as groups from './commands/groups.js';
import * as schedules from './commands/schedules.js';
import * as alerts from './commands/alerts.js';
import * as token from './commands/token.js';
import * as watch from './commands/watch.js';

export { exitCodes, type CliIo } from './cli.js';

/** In the order `--help` lists them. */
const commands = [enqueue, token, jobActions, jobTypes, groups, schedules, alerts, jobsRead, watch];

/** For a job type the server refused: the ones it has (each server registers its own). */
async function jobTypesHint(cli: Cli, message: string): Promise<string> {
  if (!message.includes('JobType')) return '';
  try {
    const { jobTypes } = await request<{ jobTypes: { jobType: string; registered: boolean }[] }>(cli.api(), cliDocuments.jobTypes);
    const names = jobTypes.filter((type) => type.registered).map((type) => type.jobType.toLowerCase());
    return ` This server's job types: ${names.join(', ')}.`;
  } catch {
    return '';
  }
}

/** Runs the CLI; resolves with the exit code (the bin exits with it). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('syncbridge')
    .description('Drive a SyncBridge server through its GraphQL API.')
    .addOption(new Option('--url <url>', 'GraphQL endpoint').env('SYNCBRIDGE_URL').default(defaultUrl))
    .addOption(new Option('--token <token>', 'API token, sent as a Bearer token').env('SYNCBRIDGE_TOKEN'))
    .option('--json', 'machine-readable output (JSON; NDJSON for watch)', false)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => io.err(text.replace(/\n$/, '')) })
    .showHelpAfterError('(add --help for usage)');
  const cli = new Cli(io, () => program.opts<{ url: string; token?: string; json: boolean }>());
  for (const command of commands) command.register(program, cli);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return cli.code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    if (error instanceof ExitError) {
      io.err(error.message);
      return error.code;
    }
    if (error instanceof ApiError && error.code === 'BAD_USER_INPUT') {
      io.err(`InputError: ${error.message}${await jobTypesHint(cli, error.message)}`);
      return exitCodes.InputError;
    }
    if (error instanceof ApiError) {
      io.err(error.code === 'NOT_FOUND' ? `NotFoundError: ${error.message}` : `error: ${error.message}`);
      return error.code === 'NOT_FOUND' ? exitCodes.NotFoundError : exitCodes.unexpected;
    }
    io.err(`error: ${(error as Error).message ?? String(error)}`);
    return exitCodes.unexpected;
  }
}
