/** Job groups (a tenant, an account): which of a type's groups have work, and how much. */
import { groupsRead, groupsReadLimits, type JobGroupStatus } from '../../queue/reads/groupsRead.js';
import { builder, type GraphQLContext } from '../builder.js';
import { InputError } from '../../queue/errors.js';
import { groupSetConcurrency, groupSetPaused } from '../../queue/services/groupControls.js';
import { maxJobTypeConcurrency } from '../../queue/services/jobTypeConcurrency.js';
import { actingCaller, resultUnionOf } from '../mutations/results.js';
import type { LiveFieldExtension } from '../../events/liveField.js';
import { JobTypeEnum } from './enums.js';

const JobGroupRef = builder.objectRef<JobGroupStatus>('JobGroup').implement({
  description: "A group of a job type with PENDING or RUNNING jobs (EnqueueJobInput.groupKey, or derived by the type's group function).",
  fields: (t) => ({
    jobType: t.field({ type: JobTypeEnum, description: 'The job type.', resolve: (group) => group.jobType }),
    groupKey: t.exposeString('groupKey', { description: 'The group.' }),
    pending: t.exposeInt('pending', { description: 'Its jobs PENDING (due, scheduled, waiting out a retry, or blocked behind their pair).' }),
    running: t.exposeInt('running', { description: 'Its jobs RUNNING.' }),
    concurrency: t.exposeInt('concurrency', {
      nullable: true,
      description: "Most of its jobs RUNNING at once across all processes: its own limit (setGroupConcurrency), else its type's groupConcurrency; null: none.",
    }),
    paused: t.exposeBoolean('paused', { description: 'Paused (pauseGroup): none of its jobs start; the other groups go on.' }),
    oldestPendingAt: t.expose('oldestPendingAt', { type: 'DateTime', nullable: true, description: 'When its longest-waiting PENDING job was enqueued.' }),
  }),
});

builder.queryField('groups', (t) =>
  t.field({
    type: [JobGroupRef],
    description: "A job type's groups with active work, the largest backlog first.",
    args: {
      jobType: t.arg({ type: JobTypeEnum, required: true, description: 'The job type.' }),
      first: t.arg.int({
        required: false,
        defaultValue: groupsReadLimits.defaultFirst,
        description: `At most this many groups, 1–${groupsReadLimits.maxFirst} (default ${groupsReadLimits.defaultFirst}).`,
      }),
    },
    resolve: (_root, args, context) => groupsRead(context.queue, args.jobType, args.first ?? groupsReadLimits.defaultFirst),
  }),
);

const groupsUpdatedLive: LiveFieldExtension<JobGroupStatus[]> = {
  snapshot: (_args, context) => (context as GraphQLContext).live.groups.latest(),
  key: () => 'groups',
};

builder.subscriptionField('groupsUpdated', (t) =>
  t.field({
    type: [JobGroupRef],
    description:
      'The 50 groups with the largest backlogs, of every job type: at once, then again when they change, at most once per second ' +
      "(another process's claims show within about a second).",
    extensions: { live: groupsUpdatedLive },
    subscribe: (_root, _args, context) => context.live.groups.subscribe(),
    resolve: (groups) => groups,
  }),
);

const groupArgs = builder.args((t) => ({
  jobType: t.field({ type: JobTypeEnum, required: true, description: 'The job type.' }),
  groupKey: t.string({ required: true, description: 'The group (the same rules as an entity id).' }),
}));

const resultUnion = (name: string) => resultUnionOf(name, [InputError]);

builder.mutationField('setGroupConcurrency', (t) =>
  t.field({
    type: JobGroupRef,
    description:
      "Limit how many jobs of one group run at once across every process, over the type's groupConcurrency, or remove the group's own limit (null). " +
      'Takes effect at the next claim anywhere; jobs already running finish. Audited.',
    errors: resultUnion('setGroupConcurrency'),
    args: { ...groupArgs, concurrency: t.arg.int({ required: false, description: `1 to ${maxJobTypeConcurrency}; null or absent: the type's limit.` }) },
    resolve: async (_root, args, context) => groupSetConcurrency(context.queue, args.jobType, args.groupKey, args.concurrency ?? null, await actingCaller(context)),
  }),
);

builder.mutationField('pauseGroup', (t) =>
  t.field({
    type: JobGroupRef,
    description: "Stop starting one group's jobs in every process (an account under maintenance): they stay PENDING; the other groups go on; running ones finish. Audited.",
    errors: resultUnion('pauseGroup'),
    args: groupArgs,
    resolve: async (_root, args, context) => groupSetPaused(context.queue, args.jobType, args.groupKey, true, await actingCaller(context)),
  }),
);

builder.mutationField('resumeGroup', (t) =>
  t.field({
    type: JobGroupRef,
    description: "Start one group's jobs again in every process (woken at once). Audited.",
    errors: resultUnion('resumeGroup'),
    args: groupArgs,
    resolve: async (_root, args, context) => groupSetPaused(context.queue, args.jobType, args.groupKey, false, await actingCaller(context)),
  }),
);
