import { GraphQLError } from 'graphql';
import type { JobReads } from '../../db/ports.js';
import { newestFirst, orderKeyOf, type JobFilter, type JobOrder, type JobOrderField } from '../../db/jobFilter.js';
import { priorityName } from '../../domain/index.js';
import { phaseOf } from '../../domain/index.js';
import { builder } from '../builder.js';
import { parseId } from '../ids.js';
import { attemptsList, firstArgDescription, relationComplexity, relationTake, replaysList } from '../listBounds.js';
import { JobPhaseEnum, JobPriorityEnum, JobStatusEnum, JobTypeEnum } from './enums.js';
import { JobFilterInput, toJobFilter } from './jobFilter.js';
import { AttemptRef } from './attempt.js';
import { payloadNotCarriedIn } from '../../events/wire.js';

const jobsPage = { defaultSize: 20, maxSize: 200 } as const;

const JobOrderFieldEnum = builder.enumType('JobOrderField', {
  description: 'What a list of jobs is sorted by.',
  values: {
    CREATED_AT: { description: 'When the job was enqueued (the id order; indexed).' },
    UPDATED_AT: { description: 'Its last change.' },
    FINISHED_AT: { description: 'When its latest attempt ended; jobs with none count as the earliest. No index: narrow the filter on large tables.' },
    DURATION: { description: "Its latest attempt's duration; jobs with none count as the shortest. No index: narrow the filter on large tables." },
  } as const,
});
const orderFields: Record<'CREATED_AT' | 'UPDATED_AT' | 'FINISHED_AT' | 'DURATION', JobOrderField> = {
  CREATED_AT: 'createdAt',
  UPDATED_AT: 'updatedAt',
  FINISHED_AT: 'finishedAt',
  DURATION: 'duration',
};
const SortDirectionEnum = builder.enumType('SortDirection', {
  description: 'Ascending or descending.',
  values: { ASC: { description: 'Smallest or earliest first.' }, DESC: { description: 'Largest or latest first.' } } as const,
});
const JobOrderInput = builder.inputType('JobOrder', {
  description: 'The order of a list of jobs; ties by id in the same direction.',
  fields: (t) => ({
    field: t.field({ type: JobOrderFieldEnum, required: true, description: 'Sorted by.' }),
    direction: t.field({ type: SortDirectionEnum, required: false, defaultValue: 'DESC', description: 'Default DESC.' }),
  }),
});

export const JobRef = builder.prismaObject('Job', {
  description: 'A durable sync job. Its attempts are its audit trail; a replay is a new job linked to it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The job number, e.g. "12".' }),
    jobType: t.field({ type: JobTypeEnum, description: 'What the job does.', resolve: (job) => job.jobType as 'customer_sync' }),
    sourceSystem: t.exposeString('sourceSystem', { description: "Where the record is read from (the type's source, e.g. crm)." }),
    targetSystem: t.exposeString('targetSystem', { description: "Where the record is written to (the type's target, e.g. billing)." }),
    entityType: t.exposeString('entityType', { description: 'What kind of record it syncs (customer, invoice, …).' }),
    entityId: t.exposeString('entityId', { description: 'The record id in the source system, e.g. "c_1001".' }),
    groupKey: t.exposeString('groupKey', {
      nullable: true,
      description: 'The group it belongs to (a tenant, an account), given at enqueue or derived by its job type; null: none.',
    }),
    status: t.field({ type: JobStatusEnum, description: 'Lifecycle status.', resolve: (job) => job.status as 'PENDING' }),
    phase: t.field({
      type: JobPhaseEnum,
      description: 'Operator phase: queued, scheduled, retry scheduled, running, lease expired, finished.',
      resolve: (job, _args, context) => phaseOf(job, context.queue.now(), context.circuits.heldTypes),
    }),
    priority: t.field({ type: JobPriorityEnum, description: 'Claim priority.', resolve: (job) => priorityName(job.priority) }),
    scheduledAt: t.expose('scheduledAt', { type: 'DateTime', nullable: true, description: 'Not run before this time, when set at enqueue.' }),
    maxRetries: t.exposeInt('maxRetries', { description: 'Retries allowed after the first attempt for retryable failures (attempts ≤ maxRetries + 1).' }),
    attemptCount: t.exposeInt('attemptCount', { description: 'Attempts started so far, across manual retries.' }),
    unchargedAttempts: t.exposeInt('unchargedAttempts', {
      description:
        'Attempts lost to the system rather than to the upstream (a worker shut down under the job, the process ran out of file descriptors): they do not count against maxRetries.',
    }),
    payloadVersion: t.exposeInt('payloadVersion', { description: 'Selects the handler version together with jobType.' }),
    coalescedCount: t.exposeInt('coalescedCount', {
      description: 'Enqueues this job absorbed besides its own (ifActive COALESCE): changes that arrived while it waited and ride in this one run.',
    }),
    payload: t.field({
      type: 'JSON',
      nullable: true,
      description: 'What the job carries, as enqueued (null: none). Secret-looking fields are shown redacted (the rule of SYNCBRIDGE_REDACT_KEYS); the handler gets them whole.',
      resolve: async (job, _args, context) => {
        // A job from another process's event arrives without its payload (src/events/wire.ts).
        const payload = payloadNotCarriedIn(job) ? ((await context.loaders.jobs.load(job.id))?.payload ?? null) : job.payload;
        return payload === null ? null : (JSON.parse(context.redactor.body(payload)) as unknown);
      },
    }),
    correlationId: t.exposeString('correlationId', { description: 'Sent upstream as X-Correlation-ID and on every log line of the job.' }),
    leaseOwner: t.exposeString('leaseOwner', { nullable: true, description: 'The worker holding the job while RUNNING.' }),
    leaseAcquiredAt: t.expose('leaseAcquiredAt', { type: 'DateTime', nullable: true, description: 'When the current lease was taken.' }),
    leaseExpiresAt: t.expose('leaseExpiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the lease lapses unless renewed; after it, another worker recovers the job.',
    }),
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
  }),
});

// Relations, added once both types exist (they refer to each other), each read through a loader.
builder.objectFields(JobRef, (t) => ({
  replayOf: t.field({
    type: JobRef,
    nullable: true,
    description: 'The job this one replays; null when that job was pruned by retention.',
    resolve: (job, _args, context) => (job.replayOfId === null ? null : context.loaders.jobs.load(job.replayOfId)),
  }),
  replayOfAttempt: t.field({
    type: AttemptRef,
    nullable: true,
    description: 'The failed attempt this job replays; null when its job was pruned by retention.',
    resolve: (job, _args, context) => (job.replayOfAttemptId === null ? null : context.loaders.attempts.load(job.replayOfAttemptId)),
  }),
  replays: t.field({
    type: [JobRef],
    description: 'Jobs that replay this one, newest first.',
    args: { first: t.arg.int({ required: false, description: firstArgDescription(replaysList) }) },
    complexity: relationComplexity(replaysList),
    resolve: (job, args, context) => context.loaders.replaysOf('replayOfId', job.id, relationTake(replaysList, args.first)),
  }),
  attempts: t.field({
    type: [AttemptRef],
    description: 'Attempts, newest first.',
    args: { first: t.arg.int({ required: false, description: firstArgDescription(attemptsList) }) },
    complexity: relationComplexity(attemptsList),
    resolve: (job, args, context) => context.loaders.attemptsOfJob(job.id, relationTake(attemptsList, args.first)),
  }),
}));

builder.queryFields((t) => ({
  job: t.field({
    type: JobRef,
    nullable: true,
    description: 'One job by id; null when there is no such job.',
    args: { id: t.arg.id({ required: true, description: 'The job number.' }) },
    resolve: (_root, args, context) => {
      const id = parseId(args.id);
      return id === undefined ? null : context.loaders.jobs.load(id);
    },
  }),
  jobs: t.connection(
    {
      type: JobRef,
      description: `Jobs, newest first, filtered. A Relay connection: page with first/after or last/before (at most ${jobsPage.maxSize} a page, ${jobsPage.defaultSize} by default).`,
      args: {
        filter: t.arg({ type: JobFilterInput, required: false, description: 'Which jobs (the same filter the bulk actions take).' }),
        status: t.arg({ type: [JobStatusEnum], required: false, description: 'Any of these statuses (also: filter.status).' }),
        phase: t.arg({ type: JobPhaseEnum, required: false, description: 'Only jobs in this phase (also: filter.phase).' }),
        jobType: t.arg({ type: JobTypeEnum, required: false, description: 'Only this job type (also: filter.jobType).' }),
        entityId: t.arg.string({ required: false, description: 'Only jobs for this entity id, exactly (also: filter.entityId).' }),
        isReplay: t.arg.boolean({ required: false, description: 'Only replays (true) or only originals (false).' }),
        orderBy: t.arg({ type: JobOrderInput, required: false, description: 'The order (default: newest first). Cursors belong to the order they were read in.' }),
      },
      complexity: (args) => ({ field: 1, multiplier: Math.min(jobsPage.maxSize, Math.max(0, args.first ?? args.last ?? jobsPage.defaultSize)) }),
      resolve: async (_root, args, context) => {
        const filter = { ...toJobFilter(args.filter) };
        if (args.status?.length) filter.statuses = filter.statuses ? filter.statuses.filter((status) => args.status!.includes(status as never)) : [...args.status];
        if (args.phase) filter.phase = args.phase;
        if (args.jobType) filter.jobTypes = filter.jobTypes ? filter.jobTypes.filter((type) => type === args.jobType) : [args.jobType];
        if (args.entityId) filter.entityId = args.entityId;
        if (args.isReplay !== undefined && args.isReplay !== null) filter.isReplay = args.isReplay;
        // Lists narrowed to nothing match nothing (an empty list would mean "any").
        if (filter.statuses?.length === 0 || filter.jobTypes?.length === 0) filter.ids = [];
        const order: JobOrder = args.orderBy ? { field: orderFields[args.orderBy.field], direction: args.orderBy.direction === 'ASC' ? 'asc' : 'desc' } : newestFirst;
        return jobsPageOf(context, filter, order, args);
      },
    },
    {
      name: 'JobConnection',
      description: 'A page of jobs.',
      fields: (t) => ({
        totalCount: t.int({
          description: 'How many jobs match the filters, across all pages.',
          resolve: (connection, _args, context) => context.queue.reads.count((connection as PageOf).filter, (connection as PageOf).now),
        }),
      }),
    },
    { name: 'JobEdge', description: 'A job and its cursor.' },
  ),
}));

interface PageOf {
  filter: JobFilter;
  now: Date;
}

const cursorPrefix = 'job:';
/** A row's place: its id, and its sort key when the order is not by id ("job:<id>" or "job:<id>:<key>"). */
const cursorOf = (id: number, key: number | undefined) => Buffer.from(`${cursorPrefix}${id}${key === undefined ? '' : `:${key}`}`).toString('base64url');

function placeOfCursor(cursor: string, argument: string, order: JobOrder): { id: number; key?: number } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [idText, keyText, extra] = text.startsWith(cursorPrefix) ? text.slice(cursorPrefix.length).split(':') : [];
  const id = idText === undefined ? undefined : parseId(idText);
  const key = keyText === undefined ? undefined : Number(keyText);
  const keyed = order.field !== 'createdAt';
  if (id === undefined || extra !== undefined || keyed !== (key !== undefined) || (key !== undefined && !Number.isSafeInteger(key))) {
    throw new GraphQLError(`${argument} is not a cursor this API gave out for this order.`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return { id, key };
}

function pageSize(value: number | null | undefined, argument: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > jobsPage.maxSize) {
    throw new GraphQLError(`${argument} must be an integer from 0 to ${jobsPage.maxSize}.`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return value;
}

/** One page in `order`: one statement for the page (one more row tells whether another follows). */
async function jobsPageOf(
  context: { queue: { reads: JobReads; now(): Date } },
  filter: JobFilter,
  order: JobOrder,
  args: { first?: number | null; after?: string | null; last?: number | null; before?: string | null },
) {
  const now = context.queue.now();
  const first = pageSize(args.first, 'first');
  const last = pageSize(args.last, 'last');
  const backward = first === undefined && last !== undefined;
  const size = backward ? last! : (first ?? jobsPage.defaultSize);
  const after = args.after ? placeOfCursor(args.after, 'after', order) : undefined;
  const before = args.before ? placeOfCursor(args.before, 'before', order) : undefined;
  const afterId = after?.id;
  const beforeId = before?.id;
  const rows = await context.queue.reads.page({
    filter,
    now,
    order,
    limit: size + 1,
    backward,
    ...(backward ? { beforeId, beforeKey: before?.key } : { afterId, afterKey: after?.key }),
  });
  const more = rows.length > size;
  const page = rows.slice(0, size);
  if (backward) page.reverse();
  const edges = page.map((job) => ({ cursor: cursorOf(job.id, orderKeyOf(job, order.field)), node: job }));
  return {
    filter,
    now,
    edges,
    pageInfo: {
      hasNextPage: backward ? beforeId !== undefined : more,
      hasPreviousPage: backward ? more : afterId !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
