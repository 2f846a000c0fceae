/** `pause`, `resume`, `concurrency` and `types`: the job types' controls. */
import { InvalidArgumentError, type Command } from 'commander';
import { request } from '../api.js';
import { jobType, type Cli } from '../cli.js';
import { cliDocuments } from '../documents.js';
import { table } from '../output.js';

type JobTypeResult = { __typename: string; message?: string; jobType?: string; paused?: boolean; concurrency?: number | null; pending?: number; running?: number };

interface JobTypeRow {
  jobType: string;
  registered: boolean;
  description: string | null;
  versions: number[];
  paused: boolean;
  concurrency: number | null;
  pending: number;
  running: number;
}

export function register(program: Command, cli: Cli): void {
  for (const [name, field, verb] of [
    ['pause', 'pauseJobType', 'paused'],
    ['resume', 'resumeJobType', 'resumed'],
  ] as const) {
    program
      .command(name)
      .description(name === 'pause' ? 'Stop claiming a job type in every process (its jobs wait; running ones finish).' : 'Claim a paused job type again.')
      .argument('<type>', 'a job type, e.g. customer_sync', (value) => jobType(value))
      .action(async (type: string) => {
        const data = await request<Record<string, JobTypeResult>>(cli.api(), cliDocuments[name], { jobType: type });
        const result = data[field]!;
        if (result.__typename !== 'JobTypeStatus') return cli.refuse(result);
        cli.print(result, () => `${type.toLowerCase()} ${verb}: ${result.pending} pending, ${result.running} running`);
      });
  }

  program
    .command('types')
    .description('Job types: what each does and its payload versions, paused or not, concurrency limit, pending and running.')
    .action(async () => {
      const data = await request<{ jobTypes: JobTypeRow[] }>(cli.api(), cliDocuments.jobTypes);
      cli.print(data.jobTypes, () =>
        table(
          ['type', 'versions', 'state', 'limit', 'pending', 'running', 'description'],
          data.jobTypes.map((row) => [
            row.jobType.toLowerCase(),
            row.registered ? row.versions.join(',') : 'retired',
            row.paused ? 'paused' : 'active',
            row.concurrency ?? '—',
            row.pending,
            row.running,
            (row.description ?? '').slice(0, 60),
          ]),
        ),
      );
    });

  program
    .command('concurrency')
    .description('Limit how many jobs of a type run at once across every process ("none" removes the limit).')
    .argument('<type>', 'a job type, e.g. customer_sync', (value) => jobType(value))
    .argument('<limit>', 'a whole number from 1, or none', (value) => {
      if (value.toLowerCase() === 'none') return null;
      if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number or "none"');
      return Number(value);
    })
    .action(async (type: string, limit: number | null) => {
      const data = await request<{ setJobTypeConcurrency: JobTypeResult }>(cli.api(), cliDocuments.concurrency, { jobType: type, concurrency: limit });
      const result = data.setJobTypeConcurrency;
      if (result.__typename !== 'JobTypeStatus') return cli.refuse(result);
      cli.print(
        result,
        () =>
          `${type.toLowerCase()}: ${result.concurrency === null ? 'no concurrency limit' : `at most ${result.concurrency} running at once`}; ${result.pending} pending, ${result.running} running`,
      );
    });
}
