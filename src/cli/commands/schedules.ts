/** `schedules list|create|pause|resume|delete`: recurring jobs. */
import { Option, type Command } from 'commander';
import { request } from '../api.js';
import { jobType, type Cli } from '../cli.js';
import { cliDocuments } from '../documents.js';
import { table, time } from '../output.js';

type ScheduleResult = {
  __typename: string;
  message?: string;
  name: string;
  cron: string;
  timezone: string;
  jobType: string;
  entityId: string;
  catchUp: string;
  paused: boolean;
  nextRunAt: string;
  lastTickAt?: string | null;
};

const header = ['name', 'cron', 'zone', 'job', 'state', 'next', 'last tick'];
const row = (schedule: ScheduleResult) => [
  schedule.name,
  schedule.cron,
  schedule.timezone,
  `${schedule.jobType?.toLowerCase()} ${schedule.entityId}`,
  schedule.paused ? 'paused' : 'active',
  time(schedule.nextRunAt),
  schedule.lastTickAt ? time(schedule.lastTickAt) : '—',
];

export function register(program: Command, cli: Cli): void {
  const schedules = program.command('schedules').description('Recurring jobs.');
  schedules
    .command('list', { isDefault: true })
    .description('Every schedule.')
    .action(async () => {
      const data = await request<{ schedules: ScheduleResult[] }>(cli.api(), cliDocuments.schedules);
      cli.print(data.schedules, () => (data.schedules.length ? table(header, data.schedules.map(row)) : 'no schedules'));
    });
  schedules
    .command('create')
    .description('Create a schedule: one job per tick of a cron expression.')
    .argument('<name>', 'a unique name')
    .argument('<cron>', 'cron expression, e.g. "0 9 * * 1-5" (quote it)')
    .argument('<type>', 'a job type, e.g. customer_sync', (value) => jobType(value))
    .argument('<entityId>', 'the entity each tick syncs')
    .option('--timezone <zone>', 'IANA time zone', 'UTC')
    .addOption(new Option('--catch-up <policy>', 'missed ticks: SKIP them or run ONCE').choices(['SKIP', 'ONCE']).default('SKIP'))
    .action(async (name: string, cron: string, type: string, entityId: string, options: { timezone: string; catchUp: string }) => {
      const data = await request<{ createSchedule: ScheduleResult }>(cli.api(), cliDocuments.scheduleCreate, {
        input: { name, cron, jobType: type, entityId, timezone: options.timezone, catchUp: options.catchUp },
      });
      const result = data.createSchedule;
      if (result.__typename !== 'Schedule') return cli.refuse(result);
      cli.print(result, () => `Schedule ${result.name} created; next run ${time(result.nextRunAt)}`);
    });
  for (const [command, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedules
      .command(command)
      .description(paused ? 'Pause a schedule.' : 'Resume a paused schedule (from the next tick after now).')
      .argument('<name>', 'the schedule')
      .action(async (name: string) => {
        const data = await request<{ pauseSchedule: ScheduleResult }>(cli.api(), cliDocuments.schedulePause, { name, paused });
        const result = data.pauseSchedule;
        if (result.__typename !== 'Schedule') return cli.refuse(result);
        cli.print(result, () => `Schedule ${result.name} ${paused ? 'paused' : `resumed; next run ${time(result.nextRunAt)}`}`);
      });
  }
  schedules
    .command('delete')
    .description('Delete a schedule (its jobs stay).')
    .argument('<name>', 'the schedule')
    .action(async (name: string) => {
      const data = await request<{ deleteSchedule: ScheduleResult }>(cli.api(), cliDocuments.scheduleDelete, { name });
      const result = data.deleteSchedule;
      if (result.__typename !== 'DeleteScheduleSuccess') return cli.refuse(result);
      cli.print(result, () => `Schedule ${name} deleted`);
    });
}
