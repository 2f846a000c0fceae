import { builder } from '../builder.js';
import { JobRef } from './job.js';
import { firstArgDescription, relationComplexity, relationTake, replaysList } from '../listBounds.js';

export const AttemptRef = builder.prismaObject('Attempt', {
  description: 'One execution of a job. Never overwritten: the audit trail.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The attempt record number.' }),
    attemptNumber: t.exposeInt('attemptNumber', { description: '1 for the first attempt, then 2, 3, …' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When the worker started it.' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true, description: 'When it ended.' }),
    success: t.exposeBoolean('success', { description: 'Whether it succeeded.' }),
    errorSummary: t.exposeString('errorSummary', { nullable: true, description: 'What went wrong (at most 1024 characters).' }),
    errorType: t.exposeString('errorType', {
      nullable: true,
      description: 'UpstreamTimeout, UpstreamRateLimited, NotFound, ValidationError, LeaseExpired, LeaseLost, WorkerShutdown, HandlerTimeout, Canceled.',
    }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: 'How long the handler ran.' }),
  }),
});

// Its relations, once both types exist (they refer to each other).
builder.objectFields(AttemptRef, (t) => ({
    job: t.field({
      type: JobRef,
      description: 'The job this attempt belongs to.',
      // Attempts always have their job (a foreign key); a job pruned meanwhile would be an error here.
      resolve: async (attempt, _args, context) => (await context.loaders.jobs.load(attempt.jobId))!,
    }),
    replays: t.field({
      type: [JobRef],
      description: 'Jobs created to replay this attempt, newest first.',
      args: { first: t.arg.int({ required: false, description: firstArgDescription(replaysList) }) },
      complexity: relationComplexity(replaysList),
      resolve: (attempt, args, context) => context.loaders.replaysOf('replayOfAttemptId', attempt.id, relationTake(replaysList, args.first)),
    }),
}));
