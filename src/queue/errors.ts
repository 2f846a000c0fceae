/**
 * Expected outcomes of the queue services, as classes. The GraphQL layer maps each to its typed
 * result (DuplicateActiveJobError, NotFoundError, InvalidStateError, InputError); messages say
 * what to do next.
 */
import type { JobStatus } from '../events/events.js';

export class QueueError extends Error {}

export class DuplicateActiveJobError extends QueueError {
  override name = 'DuplicateActiveJobError';
  constructor(
    readonly existingJobId: number,
    readonly jobType: string,
    readonly entityId: string,
  ) {
    super(`A ${jobType} job for entity "${entityId}" is already pending or running (job ${existingJobId}); ` + 'watch or cancel that job instead of enqueueing another.');
  }
}

export class NotFoundError extends QueueError {
  override name = 'NotFoundError';
  constructor(
    readonly entity: 'Job' | 'Attempt' | 'Schedule' | 'AlertRule',
    readonly id: string | number,
    detail?: string,
  ) {
    super(detail ?? `${entity} ${id} does not exist.`);
  }
}

export class InvalidStateError extends QueueError {
  override name = 'InvalidStateError';
  constructor(
    readonly jobId: number,
    readonly currentStatus: JobStatus,
    action: string,
    allowed: string,
    /** The action's past participle, where adding "ed" would not make it ("run now"). */
    done = action === 'retry' ? 'retried' : `${action}ed`,
  ) {
    super(`Cannot ${action} job ${jobId}: it is ${currentStatus}; only ${allowed} jobs can be ${done}.`);
  }
}

export class InputError extends QueueError {
  override name = 'InputError';
  constructor(
    message: string,
    /** The input field at fault (e.g. "entityId"), when one is. */
    readonly field?: string,
  ) {
    super(message);
  }
}
