import { jobPhases, jobStatuses } from '../../domain/index.js';
import { builder } from '../builder.js';

export const JobStatusEnum = builder.enumType('JobStatus', {
  description: 'Where a job is in its lifecycle.',
  values: {
    PENDING: { description: 'Waiting to run: due now, scheduled, or a retry waiting out its backoff.' },
    RUNNING: { description: 'Leased by a worker and running.' },
    SUCCEEDED: { description: 'Finished successfully.' },
    FAILED: { description: 'Failed with a non-retryable error; retryJob puts it back in the queue.' },
    DEAD: { description: 'Dead-lettered: every allowed attempt failed with a retryable error.' },
    CANCELED: { description: 'Canceled by an operator.' },
  } satisfies Record<(typeof jobStatuses)[number], unknown>,
});

export const JobPriorityEnum = builder.enumType('JobPriority', {
  description: 'Claim order: HIGH jobs are claimed before NORMAL, NORMAL before LOW.',
  values: { LOW: { value: 'LOW' }, NORMAL: { value: 'NORMAL' }, HIGH: { value: 'HIGH' } } as const,
});

export const JobTypeEnum = builder.enumType('JobType', {
  description: 'What a job does.',
  values: {
    CUSTOMER_SYNC: { value: 'customer_sync', description: 'Copy a CRM customer into Billing.' },
    INVOICE_SYNC: { value: 'invoice_sync', description: 'Copy a CRM invoice into Billing.' },
  } as const,
});

export const JobPhaseEnum = builder.enumType('JobPhase', {
  description: 'The operator view of where a job is, finer than its status.',
  values: {
    QUEUED: { description: 'PENDING and due now: the next free worker takes it.' },
    SCHEDULED: { description: 'PENDING, not yet attempted, due at scheduledAt.' },
    RETRY_SCHEDULED: { description: 'PENDING after a failed attempt, waiting out its backoff until nextRunAt.' },
    RUNNING: { description: 'RUNNING under a live lease.' },
    LEASE_EXPIRED: { description: 'RUNNING but its lease expired: its worker is presumed dead and the job is about to be recovered.' },
    FINISHED: { description: 'SUCCEEDED, FAILED, DEAD or CANCELED.' },
  } satisfies Record<(typeof jobPhases)[number], unknown>,
});
