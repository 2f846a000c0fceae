/** Job types: pause and resume, and what each has pending and running. */
import { InputError } from '../../queue/errors.js';
import { jobTypeSetPaused, jobTypesRead, type JobTypeStatus } from '../../queue/jobTypePause.js';
import { builder } from '../builder.js';
import { actingCaller } from '../mutations/results.js';
import { JobTypeEnum } from './enums.js';

const JobTypeStatusRef = builder.objectRef<JobTypeStatus>('JobTypeStatus').implement({
  description: 'A job type: whether it is paused, and its jobs waiting and running (in every process).',
  fields: (t) => ({
    jobType: t.field({ type: JobTypeEnum, description: 'The job type.', resolve: (status) => status.jobType }),
    paused: t.exposeBoolean('paused', { description: 'Paused: its jobs stay PENDING and are not claimed; running ones finish.' }),
    pending: t.exposeInt('pending', { description: 'Jobs PENDING (due or scheduled).' }),
    running: t.exposeInt('running', { description: 'Jobs RUNNING.' }),
  }),
});

builder.queryField('jobTypes', (t) =>
  t.field({
    type: [JobTypeStatusRef],
    description: 'Every job type with its pause state and counts.',
    resolve: (_root, _args, context) => jobTypesRead(context.queue),
  }),
);

function pauseField(name: 'pauseJobType' | 'resumeJobType', paused: boolean, description: string) {
  builder.mutationField(name, (t) =>
    t.field({
      type: JobTypeStatusRef,
      description,
      errors: { types: [InputError], directResult: true, union: { name: `${name[0]!.toUpperCase()}${name.slice(1)}Result`, description: `The outcome of ${name}.` } },
      args: { jobType: t.arg({ type: JobTypeEnum, required: true, description: 'The job type.' }) },
      resolve: async (_root, args, context) => jobTypeSetPaused(context.queue, args.jobType, paused, await actingCaller(context)),
    }),
  );
}

pauseField('pauseJobType', true, 'Stop claiming this type in every process (for example while its upstream is down): its jobs stay PENDING, jobs claimed ahead go back unstarted within a second, running ones finish. Audited.');
pauseField('resumeJobType', false, 'Claim this type again in every process (woken at once). Audited.');
