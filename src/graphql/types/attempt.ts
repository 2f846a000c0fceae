import type { AttemptDetails, UpstreamExchange } from '../../integrations/exchanges.js';
import { builder, type GraphQLContext } from '../builder.js';
import { roleAtLeast } from '../../auth/tokens.js';
import { JobRef } from './job.js';
import { firstArgDescription, relationComplexity, relationTake, replaysList } from '../listBounds.js';

const UpstreamCallRef = builder.objectRef<UpstreamExchange>('UpstreamCall').implement({
  description:
    'One request an attempt made to an upstream. Bodies are cut to 1,000 characters, with secrets redacted (secret-looking fields in JSON, form and text bodies, credentials by their shape; see the README).',
  fields: (t) => ({
    method: t.exposeString('method', { description: 'GET, POST, PUT, PATCH or DELETE.' }),
    url: t.exposeString('url', { description: 'Where it went (secret-looking query values redacted).' }),
    status: t.exposeInt('status', { nullable: true, description: 'The HTTP status; null when no answer came (timeout, refused connection).' }),
    startedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it was sent; null for calls recorded before this was kept.',
      resolve: (call) => (call.startedAt ? new Date(call.startedAt) : null),
    }),
    durationMs: t.exposeInt('durationMs', { description: 'From sending to the whole answer (or giving up).' }),
    requestBody: t.exposeString('requestBody', {
      nullable: true,
      description: 'The start of what was sent, redacted; null for callers below SYNCBRIDGE_FORENSICS_ROLE (default operator).',
    }),
    responseBody: t.exposeString('responseBody', {
      nullable: true,
      description: 'The start of what came back, redacted; null for callers below SYNCBRIDGE_FORENSICS_ROLE (default operator).',
    }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed, when it did.' }),
    idempotencyKey: t.string({
      nullable: true,
      description: "The Idempotency-Key the request carried: every write through a job type's upstream has one, the same on each attempt of the job.",
      resolve: (call) => call.idempotencyKey ?? null,
    }),
  }),
});

/** Whether this caller may read bodies and stacks (SYNCBRIDGE_FORENSICS_ROLE; without tokens everyone is admin). */
function seesBodies(context: GraphQLContext): boolean {
  return roleAtLeast(context.principal.role, context.forensicsRole);
}

/** An attempt's stored forensics (null when it made no calls and had no unexpected error). */
function detailsOf(attempt: { details: string | null }): AttemptDetails | null {
  return attempt.details === null ? null : (JSON.parse(attempt.details) as AttemptDetails);
}

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
    upstreamCalls: t.field({
      type: [UpstreamCallRef],
      description: 'The requests it made to CRM and Billing, in order (at most 20), with what came back.',
      select: { details: true },
      resolve: (attempt, _args, context) => {
        const calls = detailsOf(attempt)?.calls ?? [];
        return seesBodies(context) ? calls : calls.map((call) => ({ ...call, requestBody: null, responseBody: null }));
      },
    }),
    traceId: t.string({
      nullable: true,
      description: 'The OpenTelemetry trace of this attempt (SYNCBRIDGE_TRACING on); operatorLinks.trace makes it a link.',
      select: { details: true },
      resolve: (attempt) => detailsOf(attempt)?.traceId ?? null,
    }),
    errorStack: t.string({
      nullable: true,
      description:
        'For an unexpected error (a bug, not an upstream answer): where it was thrown (at most 4,000 characters, redacted); null for callers below SYNCBRIDGE_FORENSICS_ROLE.',
      select: { details: true },
      resolve: (attempt, _args, context) => (seesBodies(context) ? (detailsOf(attempt)?.stack ?? null) : null),
    }),
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
