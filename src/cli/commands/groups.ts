/** `groups`, `group-pause`, `group-resume` and `group-concurrency`: a job type's groups and their controls. */
import { InvalidArgumentError, type Command } from 'commander';
import { request } from '../api.js';
import { jobType, type Cli } from '../cli.js';
import { cliDocuments } from '../documents.js';
import { table } from '../output.js';

interface GroupRow {
  groupKey: string;
  pending: number;
  running: number;
  concurrency: number | null;
  paused: boolean;
  oldestPendingAt?: string | null;
}
type GroupResult = Partial<GroupRow> & { __typename: string; message?: string };

const limitOf = (value: string): number | null => {
  if (value.toLowerCase() === 'none') return null;
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number or "none"');
  return Number(value);
};

const describe = (type: string, group: GroupRow) =>
  `${type.toLowerCase()} ${group.groupKey}: ${group.paused ? 'paused' : 'active'}, ${group.concurrency === null ? 'no limit' : `at most ${group.concurrency} running at once`}; ${group.pending} pending, ${group.running} running`;

export function register(program: Command, cli: Cli): void {
  program
    .command('groups')
    .description("A job type's groups with work, the largest backlog first: paused or not, limit, pending and running.")
    .argument('<type>', 'a job type, e.g. customer_sync', (value) => jobType(value))
    .option('--first <n>', 'at most this many groups (default 50)', (value) => Number(value))
    .action(async (type: string, options: { first?: number }) => {
      const data = await request<{ groups: GroupRow[] }>(cli.api(), cliDocuments.groups, { jobType: type, first: options.first ?? null });
      cli.print(data.groups, () =>
        table(
          ['group', 'state', 'limit', 'pending', 'running', 'oldest pending'],
          data.groups.map((row) => [row.groupKey, row.paused ? 'paused' : 'active', row.concurrency ?? '—', row.pending, row.running, row.oldestPendingAt ?? '—']),
        ),
      );
    });

  for (const [name, document, field, paused] of [
    ['group-pause', 'groupPause', 'pauseGroup', true],
    ['group-resume', 'groupResume', 'resumeGroup', false],
  ] as const) {
    program
      .command(name)
      .description(paused ? "Stop starting one group's jobs in every process (the other groups go on; running ones finish)." : "Start a paused group's jobs again.")
      .argument('<type>', 'a job type, e.g. customer_sync', (value) => jobType(value))
      .argument('<group>', 'the group, e.g. acme')
      .action(async (type: string, group: string) => {
        const data = await request<Record<string, GroupResult>>(cli.api(), cliDocuments[document], { jobType: type, groupKey: group });
        const result = data[field]!;
        if (result.__typename !== 'JobGroup') return cli.refuse(result);
        cli.print(result, () => describe(type, result as GroupRow));
      });
  }

  program
    .command('group-concurrency')
    .description('Limit how many jobs of one group run at once across every process ("none": the type\'s groupConcurrency applies).')
    .argument('<type>', 'a job type, e.g. customer_sync', (value) => jobType(value))
    .argument('<group>', 'the group, e.g. acme')
    .argument('<limit>', 'a whole number from 1, or none', limitOf)
    .action(async (type: string, group: string, limit: number | null) => {
      const data = await request<{ setGroupConcurrency: GroupResult }>(cli.api(), cliDocuments.groupConcurrency, { jobType: type, groupKey: group, concurrency: limit });
      const result = data.setGroupConcurrency;
      if (result.__typename !== 'JobGroup') return cli.refuse(result);
      cli.print(result, () => describe(type, result as GroupRow));
    });
}
