/** The typed failures of the mutations: each queue error class as an object implementing Error. */
import { DuplicateActiveJobError, InputError, InvalidStateError, NotFoundError } from '../../queue/errors.js';
import { ForbiddenError, RateLimitedError, UnauthorizedError } from '../../auth/errors.js';
import { builder } from '../builder.js';
import { JobStatusEnum } from './enums.js';
import { JobRef } from './job.js';

/**
 * graphql-js treats any Error instance a resolver returns as a field error, so list items (the
 * results of enqueueJobs) carry their error as a plain copy branded with its class name.
 */
const itemErrorName = Symbol('itemErrorName');

export function errorAsItem<E extends Error>(error: E): E {
  // Typed as E: every field resolver reads only own data properties, which the copy keeps.
  return { ...error, message: error.message, name: error.name, [itemErrorName]: error.name } as unknown as E;
}

function isErrorOf(type: { name: string; prototype: Error }) {
  return (value: unknown) =>
    value instanceof (type as unknown as new () => Error) || (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[itemErrorName] === type.name);
}

export function itemErrorType(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? ((value as Record<symbol, unknown>)[itemErrorName] as string | undefined) : undefined;
}

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  description: 'An expected failure of a mutation. Query `message`, and the fields of the concrete type.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What happened and what to do next.' }),
  }),
});

builder.objectType(DuplicateActiveJobError, {
  name: 'DuplicateActiveJobError',
  description: 'A job for the same jobType and entityId is already PENDING or RUNNING.',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorOf(DuplicateActiveJobError),
  fields: (t) => ({
    existingJobId: t.exposeID('existingJobId', { description: 'The active job.' }),
    existingJob: t.field({
      type: JobRef,
      nullable: true,
      description: 'The active job (null if it finished meanwhile and was removed).',
      resolve: (error, _args, context) => context.loaders.jobs.load(error.existingJobId),
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'No job, attempt or schedule has that id (or name).',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorOf(NotFoundError),
  fields: (t) => ({
    entity: t.exposeString('entity', { description: 'Job, Attempt, Schedule or AlertRule.' }),
    id: t.id({ description: 'The id that was not found.', resolve: (error) => String(error.id) }),
  }),
});

builder.objectType(InvalidStateError, {
  name: 'InvalidStateError',
  description: 'The job is not in a state that allows this action.',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorOf(InvalidStateError),
  fields: (t) => ({
    currentStatus: t.field({ type: JobStatusEnum, description: 'The status the job is in.', resolve: (error) => error.currentStatus }),
    jobId: t.exposeID('jobId', { description: 'The job.' }),
  }),
});

builder.objectType(InputError, {
  name: 'InputError',
  description: 'An input value is invalid; nothing was changed.',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorOf(InputError),
  fields: (t) => ({
    field: t.exposeString('field', { nullable: true, description: 'The input field at fault, when one is.' }),
  }),
});

builder.objectType(UnauthorizedError, {
  name: 'UnauthorizedError',
  description: 'No valid API token was sent, and this server needs one: send Authorization: Bearer <token>.',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorOf(UnauthorizedError),
  fields: () => ({}),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: "The token's role does not allow this.",
  interfaces: [ErrorInterface],
  isTypeOf: isErrorOf(ForbiddenError),
  fields: (t) => ({
    requiredRole: t.exposeString('requiredRole', { description: 'The least role that may: viewer, operator or admin.' }),
    role: t.exposeString('role', { nullable: true, description: "The caller's role." }),
  }),
});

builder.objectType(RateLimitedError, {
  name: 'RateLimitedError',
  description: 'This token (or address) ran more mutations this minute than SYNCBRIDGE_MUTATIONS_PER_MINUTE allows.',
  interfaces: [ErrorInterface],
  isTypeOf: isErrorOf(RateLimitedError),
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', { description: 'When the next mutation will be accepted.' }),
  }),
});
