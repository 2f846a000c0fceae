/** Job types: pause and resume, a concurrency limit, what each has pending and running, live. */
import { InputError } from '../../queue/errors.js';
import { jobTypeSetConcurrency, maxJobTypeConcurrency } from '../../queue/services/jobTypeConcurrency.js';
import { jobTypeSetPaused } from '../../queue/services/jobTypePause.js';
import { jobTypesRead, type JobTypeStatus } from '../../queue/reads/jobTypesRead.js';
import type { LiveFieldExtension } from '../../events/liveField.js';
import { builder, type GraphQLContext } from '../builder.js';
import { actingCaller, resultUnionOf } from '../mutations/results.js';
import { IfActiveEnum, JobTypeEnum } from './enums.js';

const seconds = (ms: number | undefined) => (ms === undefined ? null : ms / 1000);

const JobTypeRetryRef = builder.objectRef<{ maxRetries: number; baseSeconds: number; maxSeconds: number | null; jitter: string }>('JobTypeRetry').implement({
  description: "A job type's retry policy: after the n-th failed attempt, wait min(maxSeconds, baseSeconds × 2^(n−1)), drawn at random below that with FULL jitter.",
  fields: (t) => ({
    maxRetries: t.exposeInt('maxRetries', { description: 'Retries after the first attempt (an enqueue may set its own).' }),
    backoffBaseSeconds: t.exposeFloat('baseSeconds', { description: "The first retry's delay, in seconds." }),
    backoffMaxSeconds: t.exposeFloat('maxSeconds', { nullable: true, description: 'No delay grows past this (null: 30 days).' }),
    jitter: t.exposeString('jitter', { description: 'NONE or FULL.' }),
  }),
});

/** What the catalog says of a type (absent for a retired one). */
const infoOf = (status: JobTypeStatus, context: GraphQLContext) => context.queue.jobTypes.get(status.jobType);

export const JobTypeStatusRef = builder.objectRef<JobTypeStatus>('JobTypeStatus').implement({
  description:
    'A job type: what it is (its description, payload schema, retry policy and upstreams, as its definition says), its controls (pause, concurrency limit), and its jobs waiting and running (in every process).',
  fields: (t) => ({
    jobType: t.field({ type: JobTypeEnum, description: 'The job type.', resolve: (status) => status.jobType }),
    registered: t.exposeBoolean('registered', {
      description: 'Defined in this process. False: retired (another or an earlier process defined it); its stored jobs are listed, not run or enqueued here.',
    }),
    description: t.string({ nullable: true, description: 'What it does, as defined.', resolve: (status, _args, context) => infoOf(status, context)?.description ?? null }),
    entityType: t.string({ nullable: true, description: 'What kind of record its jobs sync.', resolve: (status, _args, context) => infoOf(status, context)?.entityType ?? null }),
    sourceSystem: t.string({ nullable: true, description: 'Where it reads from.', resolve: (status, _args, context) => infoOf(status, context)?.sourceSystem ?? null }),
    targetSystem: t.string({ nullable: true, description: 'Where it writes to.', resolve: (status, _args, context) => infoOf(status, context)?.targetSystem ?? null }),
    versions: t.intList({
      description: 'The payload versions it has handlers for, ascending; an enqueue without payloadVersion takes the newest.',
      resolve: (status, _args, context) => [...(infoOf(status, context)?.versions ?? [])],
    }),
    payloadSchema: t.field({
      type: 'JSON',
      nullable: true,
      description: "The payload's JSON Schema (draft 2020-12) for a version (default: the newest); null when it takes no payload or its validator cannot describe itself.",
      args: { version: t.arg.int({ required: false, description: 'The payload version.' }) },
      resolve: (status, args, context) => {
        const info = infoOf(status, context);
        const version = args.version ?? info?.versions.at(-1);
        return (info && version !== undefined && info.payloadJsonSchema(version)) || null;
      },
    }),
    takesPayload: t.boolean({
      description: 'Whether its newest version has a payload schema (an enqueue without a payload is refused when the schema requires one).',
      resolve: (status, _args, context) => {
        const info = infoOf(status, context);
        return Boolean(info?.hasPayload(info.versions.at(-1) ?? 1));
      },
    }),
    retry: t.field({
      type: JobTypeRetryRef,
      description: 'Its retry policy, the configured defaults filled in.',
      resolve: (status, _args, context) => {
        const info = infoOf(status, context);
        const { settings } = context.queue;
        return {
          maxRetries: info?.maxRetries ?? settings.maxRetriesDefault,
          baseSeconds: info?.backoff.baseSeconds ?? settings.backoffBaseSeconds,
          maxSeconds: info?.backoff.maxSeconds ?? null,
          jitter: info?.backoff.jitter === 'full' ? 'FULL' : 'NONE',
        };
      },
    }),
    timeoutSeconds: t.float({
      description: 'A handler running longer is aborted and its attempt fails (HandlerTimeout, retryable).',
      resolve: (status, _args, context) => (infoOf(status, context)?.timeoutMs ?? context.queue.settings.handlerTimeoutMs) / 1000,
    }),
    ifActive: t.field({
      type: IfActiveEnum,
      nullable: true,
      description: 'What an enqueue does while the entity has an active job of this type, unless it says (null: retired).',
      resolve: (status, _args, context) => infoOf(status, context)?.ifActive ?? null,
    }),
    debounceSeconds: t.float({
      nullable: true,
      description: 'Coalescing: a job starts this long after its latest change (0: at once)…',
      resolve: (status, _args, context) => seconds(infoOf(status, context)?.debounceMs),
    }),
    maxDelaySeconds: t.float({
      nullable: true,
      description: '…but never later than this after its first enqueue.',
      resolve: (status, _args, context) => seconds(infoOf(status, context)?.maxDelayMs),
    }),
    upstreams: t.stringList({
      description: 'The upstreams its handlers call (as declared).',
      resolve: (status, _args, context) => [...(infoOf(status, context)?.upstreams ?? [])],
    }),
    paused: t.exposeBoolean('paused', { description: 'Paused: its jobs stay PENDING and are not claimed; running ones finish.' }),
    heldBy: t.exposeString('heldBy', { nullable: true, description: 'An upstream it needs whose circuit breaker is open: its jobs wait (phase UPSTREAM_OPEN), uncharged.' }),
    concurrency: t.exposeInt('concurrency', {
      nullable: true,
      description: 'Most of its jobs RUNNING at once across all processes (on SQLite too: one database file, one writer); null: no limit.',
    }),
    pending: t.exposeInt('pending', { description: 'Jobs PENDING (due or scheduled).' }),
    running: t.exposeInt('running', { description: 'Jobs RUNNING.' }),
  }),
});

builder.queryField('jobTypes', (t) =>
  t.field({
    type: [JobTypeStatusRef],
    description: 'Every job type with its controls and counts.',
    resolve: (_root, _args, context) => jobTypesRead(context.queue),
  }),
);

const resultUnion = (name: string) => resultUnionOf(name, [InputError]);

function pauseField(name: 'pauseJobType' | 'resumeJobType', paused: boolean, description: string) {
  builder.mutationField(name, (t) =>
    t.field({
      type: JobTypeStatusRef,
      description,
      errors: resultUnion(name),
      args: { jobType: t.arg({ type: JobTypeEnum, required: true, description: 'The job type.' }) },
      resolve: async (_root, args, context) => jobTypeSetPaused(context.queue, args.jobType, paused, await actingCaller(context)),
    }),
  );
}

pauseField(
  'pauseJobType',
  true,
  'Stop claiming this type in every process (for example while its upstream is down): its jobs stay PENDING, jobs claimed ahead go back unstarted within a second, running ones finish. Audited.',
);
pauseField('resumeJobType', false, 'Claim this type again in every process (woken at once). Audited.');

builder.mutationField('setJobTypeConcurrency', (t) =>
  t.field({
    type: JobTypeStatusRef,
    description:
      'Limit how many jobs of this type run at once across every process, or remove the limit (null). Takes effect at the next claim anywhere: ' +
      'jobs already running above a lowered limit finish, and no more start until fewer run. Audited.',
    errors: resultUnion('setJobTypeConcurrency'),
    args: {
      jobType: t.arg({ type: JobTypeEnum, required: true, description: 'The job type.' }),
      concurrency: t.arg.int({ required: false, description: `1 to ${maxJobTypeConcurrency}; null or absent: no limit.` }),
    },
    resolve: async (_root, args, context) => jobTypeSetConcurrency(context.queue, args.jobType, args.concurrency ?? null, await actingCaller(context)),
  }),
);

const jobTypesUpdatedLive: LiveFieldExtension<JobTypeStatus[]> = {
  snapshot: (_args, context) => (context as GraphQLContext).live.jobTypes.latest(),
  key: () => 'jobTypes',
};

builder.subscriptionField('jobTypesUpdated', (t) =>
  t.field({
    type: [JobTypeStatusRef],
    description:
      'Every job type with its controls and counts: at once, then again when they change, at most once per second ' +
      '(a pause or limit set in another process shows within about a second).',
    extensions: { live: jobTypesUpdatedLive },
    subscribe: (_root, _args, context) => context.live.jobTypes.subscribe(),
    resolve: (statuses) => statuses,
  }),
);
