/** Job groups (a tenant, an account): which of a type's groups have work, and how much. */
import { groupsRead, groupsReadLimits, type JobGroupStatus } from '../../queue/reads/groupsRead.js';
import { builder, type GraphQLContext } from '../builder.js';
import type { LiveFieldExtension } from '../../events/liveField.js';
import { JobTypeEnum } from './enums.js';

const JobGroupRef = builder.objectRef<JobGroupStatus>('JobGroup').implement({
  description: "A group of a job type with PENDING or RUNNING jobs (EnqueueJobInput.groupKey, or derived by the type's group function).",
  fields: (t) => ({
    jobType: t.field({ type: JobTypeEnum, description: 'The job type.', resolve: (group) => group.jobType }),
    groupKey: t.exposeString('groupKey', { description: 'The group.' }),
    pending: t.exposeInt('pending', { description: 'Its jobs PENDING (due, scheduled, waiting out a retry, or blocked behind their pair).' }),
    running: t.exposeInt('running', { description: 'Its jobs RUNNING.' }),
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
