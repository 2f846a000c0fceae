/** `get <id>`, `list` and `metrics`: reading jobs and the queue's figures. */
import type { Command } from 'commander';
import { request } from '../api.js';
import { jobCells, jobHeader, jobLine, jobType, positiveInt, statusList, type Cli, type Job } from '../cli.js';
import { cliDocuments } from '../documents.js';
import { table, time } from '../output.js';

/** `--entity c_1*`: a prefix, the way the dashboard's search reads a trailing star; otherwise one id exactly. */
function entityFilter(entity: string | undefined): { entityId?: string; entityIdPrefix?: string } {
  if (entity === undefined) return {};
  return entity.endsWith('*') ? { entityIdPrefix: entity.slice(0, -1) } : { entityId: entity };
}

/** One attempt's calls to the upstreams: what the handler asked and what each answered. */
function upstreamCallsOf(attempt: Record<string, any>): string {
  const calls = attempt.upstreamCalls as { method: string; url: string; status: number | null; durationMs: number; error: string | null }[];
  return `attempt ${attempt.attemptNumber} called:\n${table(
    ['method', 'url', 'status', 'ms', 'error'],
    calls.map((call) => [call.method, call.url, call.status ?? '—', call.durationMs, call.error ?? '']),
  )}`;
}

/** `get`'s human output: the job's line, its fields that matter, its attempts and the calls each made. */
function jobReport(job: Job & { attempts: Record<string, any>[] }): string {
  return [
    jobLine(job),
    `correlation id: ${job.correlationId}`,
    job.payload === null || job.payload === undefined ? '' : `payload (v${job.payloadVersion}): ${JSON.stringify(job.payload)}`,
    job.lastError ? `last error: ${job.lastErrorType}: ${job.lastError}` : '',
    job.coalescedCount ? `coalesced: took ${job.coalescedCount} later change(s)` : '',
    job.replayOf
      ? `replay of job ${job.replayOf.id} (${job.replayOf.status})${job.replayOfAttempt ? `, attempt ${job.replayOfAttempt.attemptNumber} (${job.replayOfAttempt.errorType})` : ''}`
      : '',
    job.replays?.length ? `replayed by ${job.replays.map((replay: { id: string; status: string }) => `job ${replay.id} (${replay.status})`).join(', ')}` : '',
    job.attempts.length
      ? table(
          ['#', 'attempt id', 'started', 'ms', 'result', 'error'],
          job.attempts.map((a) => [a.attemptNumber, a.id, time(a.startedAt), a.durationMs, a.success ? 'ok' : a.errorType, a.errorSummary ?? '']),
        )
      : 'no attempts yet',
    ...job.attempts.filter((a) => a.upstreamCalls?.length).map((a) => upstreamCallsOf(a)),
  ]
    .filter(Boolean)
    .join('\n');
}

export function register(program: Command, cli: Cli): void {
  program
    .command('get')
    .description('Show one job and its attempts.')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      const data = await request<{ job: (Job & { attempts: Record<string, any>[] }) | null }>(cli.api(), cliDocuments.get, { id });
      if (!data.job) return cli.refuse({ __typename: 'NotFoundError', message: `Job ${id} does not exist.`, id });
      const job = data.job;
      cli.print(job, () => jobReport(job));
    });

  program
    .command('list')
    .description('List jobs, newest first.')
    .option('--status <statuses>', 'comma-separated statuses, e.g. FAILED,DEAD')
    .option('--type <type>', 'a job type, e.g. customer_sync', (value) => jobType(value))
    .option('--entity <entityId>', 'only this entity id; ending in *, every id starting with the rest (c_missing_1*)')
    .option('--group <key>', 'only jobs of this group')
    .option('--limit <n>', 'how many (max 200)', positiveInt, 20)
    .option('--after <cursor>', 'page after this cursor (from a previous --json output)')
    .action(async (options: { status?: string; type?: string; entity?: string; group?: string; limit: number; after?: string }) => {
      const data = await request<{ jobs: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Job }[] } }>(
        cli.api(),
        cliDocuments.list,
        {
          filter: {
            status: statusList(options.status),
            jobType: options.type ? [options.type] : undefined,
            ...entityFilter(options.entity),
            groupKey: options.group,
          },
          first: Math.min(options.limit, 200),
          after: options.after,
        },
      );
      const jobs = data.jobs.edges.map((edge) => edge.node);
      cli.print(
        data.jobs,
        () =>
          table(jobHeader, jobs.map(jobCells)) +
          `\n${jobs.length} of ${data.jobs.totalCount}${data.jobs.pageInfo.hasNextPage ? ` · next: --after ${data.jobs.pageInfo.endCursor}` : ''}`,
      );
    });

  program
    .command('metrics')
    .description('Queue figures.')
    .action(async () => {
      const data = await request<{ metrics: Record<string, any> }>(cli.api(), cliDocuments.metrics);
      const m = data.metrics;
      cli.print(m, () =>
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
}
