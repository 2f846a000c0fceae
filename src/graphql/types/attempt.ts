import { builder } from '../builder.js';
import { firstArgDescription, relationComplexity, relationTake, replaysList } from '../listBounds.js';

builder.prismaObject('Attempt', {
  description: 'One execution of a job. Never overwritten: the audit trail.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The attempt record number.' }),
    job: t.relation('job', { description: 'The job this attempt belongs to.' }),
    attemptNumber: t.exposeInt('attemptNumber', { description: '1 for the first attempt, then 2, 3, …' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When the worker started it.' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true, description: 'When it ended.' }),
    success: t.exposeBoolean('success', { description: 'Whether it succeeded.' }),
    errorSummary: t.exposeString('errorSummary', { nullable: true, description: 'What went wrong (at most 1024 characters).' }),
    errorType: t.exposeString('errorType', { nullable: true, description: 'UpstreamTimeout, UpstreamRateLimited, NotFound, ValidationError, LeaseExpired, WorkerShutdown, Canceled.' }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: 'How long the handler ran.' }),
    replays: t.relation('replays', {
      description: 'Jobs created to replay this attempt, newest first.',
      args: { first: t.arg.int({ required: false, description: firstArgDescription(replaysList) }) },
      query: (args) => ({ orderBy: { id: 'desc' }, take: relationTake(replaysList, args.first) }),
      complexity: relationComplexity(replaysList),
    }),
  }),
});
