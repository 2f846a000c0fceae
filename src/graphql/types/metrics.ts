import { metricsRead, type QueueMetrics } from '../../queue/reads/metricsRead.js';
import { metricsHistoryRead, maxHistoryBuckets, type AttemptCounts, type HistoryBucket } from '../../queue/maintenance/attemptHistory.js';
import { InputError } from '../../queue/errors.js';
import type { UpstreamPaceStatus } from '../../integrations/pace.js';
import { builder } from '../builder.js';
import { circuitOf, CircuitStateEnum, UpstreamCircuitRef } from './circuits.js';
import { JobStatusEnum, JobTypeEnum } from './enums.js';

const StatusCount = builder.objectRef<{ status: string; count: number }>('StatusCount').implement({
  description: 'How many jobs have a status.',
  fields: (t) => ({
    status: t.field({ type: JobStatusEnum, description: 'The status.', resolve: (row) => row.status as 'PENDING' }),
    count: t.exposeInt('count', { description: 'Jobs with it.' }),
  }),
});

const JobTypeCount = builder.objectRef<{ jobType: string; count: number }>('JobTypeCount').implement({
  description: 'How many jobs have a job type.',
  fields: (t) => ({
    jobType: t.field({ type: JobTypeEnum, description: 'The job type.', resolve: (row) => row.jobType as 'customer_sync' }),
    count: t.exposeInt('count', { description: 'Jobs of it.' }),
  }),
});

const UpstreamPaceRef = builder.objectRef<UpstreamPaceStatus>('UpstreamPace').implement({
  description: "How calls to an upstream are paced (SYNCBRIDGE_UPSTREAM_RATE_LIMITS): its shared limit, a pause it asked for, and this process's waits.",
  fields: (t) => ({
    target: t.exposeString('target', { description: "The upstream's name, as configured (crm, billing, or a job types module's own)." }),
    limitPerSecond: t.exposeFloat('limitPerSecond', { nullable: true, description: 'Requests per second from all processes together; null: unpaced.' }),
    limitPerGroupPerSecond: t.exposeFloat('limitPerGroupPerSecond', {
      nullable: true,
      description: "Requests per second for each group (the calling job's groupKey), from all processes together; null: not paced per group.",
    }),
    pausedUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Calls wait until then: the upstream answered 429 with Retry-After (for every process when paced, else this one).',
      resolve: (pace) => pace.pausedUntil,
    }),
    waiting: t.exposeInt('waiting', { description: 'Calls of this process waiting for their slot now.' }),
    waited: t.exposeInt('waited', { description: 'Waits for a slot in this process since it started (a call that woke too late for its slot waits for a new one).' }),
    waitedMs: t.exposeFloat('waitedMs', { description: 'Those waits added up, in ms.' }),
    pausesRequested: t.exposeInt('pausesRequested', { description: '429 answers with Retry-After this process received.' }),
    circuit: t.field({
      type: CircuitStateEnum,
      description: 'Its circuit breaker (CLOSED for an upstream without one).',
      resolve: (pace, _args, context) => circuitOf(context.circuits.status(), pace.target),
    }),
    breaker: t.field({
      type: UpstreamCircuitRef,
      nullable: true,
      description: 'Its circuit breaker in full; null when it has none.',
      resolve: (pace, _args, context) => context.circuits.status().find((status) => status.upstream === pace.target) ?? null,
    }),
  }),
});

export const MetricsRef = builder.objectRef<QueueMetrics>('Metrics').implement({
  description: 'Queue figures, computed at query time.',
  fields: (t) => ({
    totalJobs: t.exposeInt('totalJobs', { description: 'All jobs.' }),
    finishedJobs: t.exposeInt('finishedJobs', { description: 'SUCCEEDED + FAILED + DEAD.' }),
    successRate: t.exposeFloat('successRate', { nullable: true, description: 'SUCCEEDED / finishedJobs, from 0 to 1; null when none finished.' }),
    retryCount: t.exposeInt('retryCount', { description: 'Sum over jobs of attemptCount − 1, where more than one attempt ran.' }),
    avgExecutionMs: t.exposeFloat('avgExecutionMs', { nullable: true, description: 'Mean attempt duration; null when no attempt ran.' }),
    attemptCount: t.exposeInt('attemptCount', { description: 'All attempts recorded.' }),
    pending: t.int({ description: 'PENDING jobs.', resolve: (m) => m.byStatus.PENDING }),
    running: t.int({ description: 'RUNNING jobs.', resolve: (m) => m.byStatus.RUNNING }),
    succeeded: t.int({ description: 'SUCCEEDED jobs.', resolve: (m) => m.byStatus.SUCCEEDED }),
    failed: t.int({ description: 'FAILED jobs.', resolve: (m) => m.byStatus.FAILED }),
    dead: t.int({ description: 'DEAD jobs.', resolve: (m) => m.byStatus.DEAD }),
    canceled: t.int({ description: 'CANCELED jobs.', resolve: (m) => m.byStatus.CANCELED }),
    byStatus: t.field({
      type: [StatusCount],
      description: 'Counts for every status (zeros included).',
      resolve: (m) => Object.entries(m.byStatus).map(([status, count]) => ({ status, count })),
    }),
    byJobType: t.field({ type: [JobTypeCount], description: 'Counts per job type.', resolve: (m) => m.byJobType }),
    upstreams: t.field({ type: [UpstreamPaceRef], description: 'Pacing of the calls to each upstream.', resolve: (_m, _args, context) => context.upstreams.status() }),
  }),
});

builder.queryField('metrics', (t) =>
  t.field({
    type: MetricsRef,
    description: 'Queue figures: totals, success rate, retries, durations, counts by status and type.',
    resolve: (_root, _args, context) => metricsRead(context.queue),
  }),
);

const AttemptCountsRef = builder.objectRef<AttemptCounts & { jobType?: string }>('AttemptCounts').implement({
  description: 'Attempts that ended in a span of time, by outcome.',
  fields: (t) => ({
    jobType: t.field({
      type: JobTypeEnum,
      nullable: true,
      description: 'The job type; null for every type together.',
      resolve: (counts) => (counts.jobType ?? null) as 'customer_sync' | null,
    }),
    succeeded: t.exposeInt('succeeded', { description: 'Attempts that succeeded.' }),
    retried: t.exposeInt('retried', { description: 'Attempts that failed and left their job due again (a retry).' }),
    failed: t.exposeInt('failed', { description: 'Attempts that failed for good (a non-retryable error).' }),
    dead: t.exposeInt('dead', { description: 'Attempts that failed with the retry budget spent (their job went DEAD).' }),
    canceled: t.exposeInt('canceled', { description: 'Attempts that ended because their job was canceled.' }),
    meanDurationMs: t.float({
      nullable: true,
      description: 'Mean attempt duration; null when none ended.',
      resolve: (counts) => (counts.timed ? counts.durationMs / counts.timed : null),
    }),
  }),
});

const HistoryBucketRef = builder.objectRef<HistoryBucket>('MetricsBucket').implement({
  description: 'One span of the history.',
  fields: (t) => ({
    start: t.field({ type: 'DateTime', description: 'Where the span starts (it lasts bucketSeconds).', resolve: (bucket) => bucket.start }),
    all: t.field({ type: AttemptCountsRef, description: 'Every job type together.', resolve: (bucket) => bucket }),
    byJobType: t.field({ type: [AttemptCountsRef], description: 'Per job type (types with no attempts in the span left out).', resolve: (bucket) => bucket.byJobType }),
  }),
});

const MetricsHistoryRef = builder.objectRef<{ bucketSeconds: number; buckets: HistoryBucket[] }>('MetricsHistory').implement({
  description: 'Attempts that ended, per span of time, oldest first (empty spans included; the last one holds now).',
  fields: (t) => ({
    bucketSeconds: t.exposeInt('bucketSeconds', { description: 'How long each span is.' }),
    buckets: t.field({ type: [HistoryBucketRef], description: 'The spans.', resolve: (history) => history.buckets }),
  }),
});

builder.queryField('metricsHistory', (t) =>
  t.field({
    type: MetricsHistoryRef,
    description:
      `Attempts that ended per span of time and job type, kept per minute by the worker processes (a process killed outright loses its last ` +
      `two seconds of counts, never a job) and kept 90 days, whatever the job retention. At most ${maxHistoryBuckets} spans.`,
    errors: { types: [InputError], directResult: true, union: { name: 'MetricsHistoryResult', description: 'The outcome of metricsHistory.' } },
    args: {
      range: t.arg.string({ required: false, defaultValue: '1h', description: 'How far back: 30m, 6h, 7d (up to 90d).' }),
      bucket: t.arg.string({ required: false, defaultValue: '1m', description: 'How long each span is, in whole minutes: 1m, 5m, 1h.' }),
    },
    resolve: (_root, args, context) => metricsHistoryRead(context.queue, args.range ?? '1h', args.bucket ?? '1m', context.history),
  }),
);
