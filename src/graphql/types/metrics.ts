import { metricsRead, type QueueMetrics } from '../../queue/metricsRead.js';
import type { UpstreamPaceStatus } from '../../integrations/pace.js';
import { builder } from '../builder.js';
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

const UpstreamTargetEnum = builder.enumType('UpstreamTarget', {
  description: 'A system the sync handlers call.',
  values: { CRM: { value: 'crm', description: 'The source CRM.' }, BILLING: { value: 'billing', description: 'The target Billing system.' } } as const,
});

const UpstreamPaceRef = builder.objectRef<UpstreamPaceStatus>('UpstreamPace').implement({
  description: 'How calls to an upstream are paced (SYNCBRIDGE_UPSTREAM_RATE_LIMITS): its shared limit, a pause it asked for, and this process\'s waits.',
  fields: (t) => ({
    target: t.field({ type: UpstreamTargetEnum, description: 'The upstream.', resolve: (pace) => pace.target }),
    limitPerSecond: t.exposeFloat('limitPerSecond', { nullable: true, description: 'Requests per second from all processes together; null: unpaced.' }),
    pausedUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Calls wait until then: the upstream answered 429 with Retry-After (for every process when paced, else this one).',
      resolve: (pace) => pace.pausedUntil,
    }),
    waiting: t.exposeInt('waiting', { description: 'Calls of this process waiting for their slot now.' }),
    waited: t.exposeInt('waited', { description: 'Calls of this process that waited for a slot since it started.' }),
    waitedMs: t.exposeFloat('waitedMs', { description: 'Their waits added up, in ms.' }),
    pausesRequested: t.exposeInt('pausesRequested', { description: '429 answers with Retry-After this process received.' }),
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
  t.field({ type: MetricsRef, description: 'Queue figures: totals, success rate, retries, durations, counts by status and type.', resolve: (_root, _args, context) => metricsRead(context.queue) }),
);
