import type { Prisma } from '../../db/generated/sqlite/client.js';
import { jobPhase, jobPhaseWhere } from '../../queue/jobPhase.js';
import { priorityName } from '../../domain.js';
import { builder } from '../builder.js';
import { parseId } from '../ids.js';
import { attemptsList, firstArgDescription, relationComplexity, relationTake, replaysList } from '../listBounds.js';

const jobsPage = { defaultSize: 20, maxSize: 200 } as const;
import { JobPhaseEnum, JobPriorityEnum, JobStatusEnum, JobTypeEnum } from './enums.js';

export const JobRef = builder.prismaObject('Job', {
  description: 'A durable sync job. Its attempts are its audit trail; a replay is a new job linked to it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The job number, e.g. "12".' }),
    jobType: t.field({ type: JobTypeEnum, description: 'What the job does.', resolve: (job) => job.jobType as 'customer_sync' }),
    sourceSystem: t.exposeString('sourceSystem', { description: 'Where the record is read from (crm).' }),
    targetSystem: t.exposeString('targetSystem', { description: 'Where the record is written to (billing).' }),
    entityType: t.exposeString('entityType', { description: 'customer or invoice.' }),
    entityId: t.exposeString('entityId', { description: 'The record id in the source system, e.g. "c_1001".' }),
    status: t.field({ type: JobStatusEnum, description: 'Lifecycle status.', resolve: (job) => job.status as 'PENDING' }),
    phase: t.field({
      type: JobPhaseEnum,
      description: 'Operator phase: queued, scheduled, retry scheduled, running, lease expired, finished.',
      resolve: (job, _args, context) => jobPhase(job, context.queue.now()),
    }),
    priority: t.field({ type: JobPriorityEnum, description: 'Claim priority.', resolve: (job) => priorityName(job.priority) }),
    scheduledAt: t.expose('scheduledAt', { type: 'DateTime', nullable: true, description: 'Not run before this time, when set at enqueue.' }),
    maxRetries: t.exposeInt('maxRetries', { description: 'Retries allowed after the first attempt for retryable failures (attempts ≤ maxRetries + 1).' }),
    attemptCount: t.exposeInt('attemptCount', { description: 'Attempts started so far, across manual retries.' }),
    payloadVersion: t.exposeInt('payloadVersion', { description: 'Selects the handler version together with jobType.' }),
    correlationId: t.exposeString('correlationId', { description: 'Sent upstream as X-Correlation-ID and on every log line of the job.' }),
    leaseOwner: t.exposeString('leaseOwner', { nullable: true, description: 'The worker holding the job while RUNNING.' }),
    leaseAcquiredAt: t.expose('leaseAcquiredAt', { type: 'DateTime', nullable: true, description: 'When the current lease was taken.' }),
    leaseExpiresAt: t.expose('leaseExpiresAt', { type: 'DateTime', nullable: true, description: 'When the lease lapses unless renewed; after it, another worker recovers the job.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the job was enqueued.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the job last changed.' }),
    nextRunAt: t.expose('nextRunAt', { type: 'DateTime', description: 'When a PENDING job is due (after a failure: the retry time).' }),
    lastStartedAt: t.expose('lastStartedAt', { type: 'DateTime', nullable: true, description: 'Start of the latest attempt.' }),
    lastFinishedAt: t.expose('lastFinishedAt', { type: 'DateTime', nullable: true, description: 'End of the latest attempt.' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Error summary of the latest attempt, if it failed.' }),
    lastErrorType: t.exposeString('lastErrorType', { nullable: true, description: 'UpstreamTimeout, UpstreamRateLimited, NotFound, ValidationError, LeaseExpired, …' }),
    lastDurationMs: t.exposeInt('lastDurationMs', { nullable: true, description: 'Duration of the latest attempt.' }),
    canceledAt: t.expose('canceledAt', { type: 'DateTime', nullable: true, description: 'When the job was canceled.' }),
    deadAt: t.expose('deadAt', { type: 'DateTime', nullable: true, description: 'When the job was dead-lettered.' }),
    deadError: t.exposeString('deadError', { nullable: true, description: 'The error that exhausted the retry budget.' }),
    deadErrorType: t.exposeString('deadErrorType', { nullable: true, description: 'Its error type.' }),
    isReplay: t.exposeBoolean('isReplay', { description: 'Whether this job replays another.' }),
    replayOf: t.relation('replayOf', { nullable: true, description: 'The job this one replays.' }),
    replayOfAttempt: t.relation('replayOfAttempt', { nullable: true, description: 'The failed attempt this job replays.' }),
    replays: t.relation('replays', {
      description: 'Jobs that replay this one, newest first.',
      args: { first: t.arg.int({ required: false, description: firstArgDescription(replaysList) }) },
      query: (args) => ({ orderBy: { id: 'desc' }, take: relationTake(replaysList, args.first) }),
      complexity: relationComplexity(replaysList),
    }),
    attempts: t.relation('attempts', {
      description: 'Attempts, newest first.',
      args: { first: t.arg.int({ required: false, description: firstArgDescription(attemptsList) }) },
      query: (args) => ({ orderBy: { attemptNumber: 'desc' }, take: relationTake(attemptsList, args.first) }),
      complexity: relationComplexity(attemptsList),
    }),
  }),
});

builder.queryFields((t) => ({
  job: t.prismaField({
    type: 'Job',
    nullable: true,
    description: 'One job by id; null when there is no such job.',
    args: { id: t.arg.id({ required: true, description: 'The job number.' }) },
    resolve: (query, _root, args, context) => {
      const id = parseId(args.id);
      return id === undefined ? null : context.queue.db.job.findUnique({ ...query, where: { id } });
    },
  }),
  jobs: t.prismaConnection(
    {
      type: 'Job',
      cursor: 'id',
      defaultSize: jobsPage.defaultSize,
      maxSize: jobsPage.maxSize,
      complexity: (args) => ({ field: 1, multiplier: Math.min(jobsPage.maxSize, Math.max(0, args.first ?? args.last ?? jobsPage.defaultSize)) }),
      description: 'Jobs, newest first, filtered. A Relay connection: page with first/after or last/before.',
      args: {
        status: t.arg({ type: [JobStatusEnum], required: false, description: 'Any of these statuses.' }),
        phase: t.arg({ type: JobPhaseEnum, required: false, description: 'Only jobs in this phase.' }),
        jobType: t.arg({ type: JobTypeEnum, required: false, description: 'Only this job type.' }),
        entityId: t.arg.string({ required: false, description: 'Only jobs for this entity id (exact).' }),
        isReplay: t.arg.boolean({ required: false, description: 'Only replays (true) or only originals (false).' }),
      },
      totalCount: (_parent, args, context) => context.queue.db.job.count({ where: jobsWhere(args, context.queue.now()) }),
      resolve: (query, _root, args, context) =>
        context.queue.db.job.findMany({ ...query, where: jobsWhere(args, context.queue.now()), orderBy: { id: 'desc' } }),
    },
    {
      name: 'JobConnection',
      description: 'A page of jobs.',
      fields: (t) => ({ totalCount: t.int({ description: 'How many jobs match the filters, across all pages.', resolve: (connection) => totalOf(connection) }) }),
    },
    { name: 'JobEdge', description: 'A job and its cursor.' },
  ),
}));

function jobsWhere(
  args: { status?: readonly string[] | null; phase?: string | null; jobType?: string | null; entityId?: string | null; isReplay?: boolean | null },
  now: Date,
): Prisma.JobWhereInput {
  const and: Prisma.JobWhereInput[] = [];
  if (args.status?.length) and.push({ status: { in: [...args.status] } });
  if (args.phase) and.push(jobPhaseWhere(args.phase as 'QUEUED', now));
  if (args.jobType) and.push({ jobType: args.jobType });
  if (args.entityId) and.push({ entityId: args.entityId });
  if (args.isReplay !== undefined && args.isReplay !== null) and.push({ isReplay: args.isReplay });
  return { AND: and };
}

/** The prisma plugin hands the connection its totalCount as a number or a loader. */
function totalOf(connection: unknown): number | Promise<number> {
  const { totalCount } = connection as { totalCount?: number | (() => number | Promise<number>) };
  return typeof totalCount === 'function' ? totalCount() : (totalCount ?? 0);
}
