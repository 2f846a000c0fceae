/** Job types: pause and resume, a concurrency limit, what each has pending and running, live. */
import { InputError } from '../../queue/errors.js';
import { jobTypeSetConcurrency, maxJobTypeConcurrency } from '../../queue/services/jobTypeConcurrency.js';
import { jobTypeSetPaused } from '../../queue/services/jobTypePause.js';
import { jobTypesRead, type JobTypeStatus } from '../../queue/reads/jobTypesRead.js';
import type { LiveFieldExtension } from '../../events/liveField.js';
import { builder, type GraphQLContext } from '../builder.js';
import { actingCaller } from '../mutations/results.js';
import { JobTypeEnum } from './enums.js';

export const JobTypeStatusRef = builder.objectRef<JobTypeStatus>('JobTypeStatus').implement({
  description: 'A job type: its controls (pause, concurrency limit), and its jobs waiting and running (in every process).',
  fields: (t) => ({
    jobType: t.field({ type: JobTypeEnum, description: 'The job type.', resolve: (status) => status.jobType }),
    paused: t.exposeBoolean('paused', { description: 'Paused: its jobs stay PENDING and are not claimed; running ones finish.' }),
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

const resultUnion = (name: string) => ({
  types: [InputError],
  directResult: true,
  union: { name: `${name[0]!.toUpperCase()}${name.slice(1)}Result`, description: `The outcome of ${name}.` },
});

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
