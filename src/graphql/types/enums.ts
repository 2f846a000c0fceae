import { ifActivePolicies, jobPhases, jobStatuses } from '../../domain/index.js';
import { builder } from '../builder.js';
import { demoJobTypes } from '../../demo/jobTypes.js';
import { graphqlJobTypeName, jobTypeEnumDescription } from '../jobTypeEnum.js';

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

/**
 * The registered job types, named upper-cased (CONTACT_SYNC), valued as registered (contact_sync).
 * Built here with the demo's types, which is what schema.graphql shows; each process serves its
 * own registry's (src/graphql/schema.ts, schemaFor).
 */
export const JobTypeEnum = builder.enumType('JobType', {
  description: jobTypeEnumDescription,
  values: Object.fromEntries(demoJobTypes.map((type) => [graphqlJobTypeName(type.name), { value: type.name, description: type.description }])) as Record<string, { value: string }>,
});

export const JobPhaseEnum = builder.enumType('JobPhase', {
  description: 'The operator view of where a job is, finer than its status.',
  values: {
    QUEUED: { description: 'PENDING and due now: the next free worker takes it.' },
    SCHEDULED: { description: 'PENDING, not yet attempted, due at scheduledAt.' },
    RETRY_SCHEDULED: { description: 'PENDING after a failed attempt, waiting out its backoff until nextRunAt.' },
    BLOCKED: { description: "PENDING as its pair's follow-up: it runs once the pair's RUNNING job finishes, however that ends (ifActive COALESCE)." },
    UPSTREAM_OPEN: {
      description: 'PENDING, waiting for an upstream it needs whose circuit breaker is open: not run, not charged an attempt, until a probe finds the upstream back.',
    },
    RUNNING: { description: 'RUNNING under a live lease.' },
    LEASE_EXPIRED: { description: 'RUNNING but its lease expired: its worker is presumed dead and the job is about to be recovered.' },
    FINISHED: { description: 'SUCCEEDED, FAILED, DEAD or CANCELED.' },
  } satisfies Record<(typeof jobPhases)[number], unknown>,
});

export const IfActiveEnum = builder.enumType('IfActive', {
  description: 'What an enqueue does when its (jobType, entityId) already has a PENDING or RUNNING job.',
  values: {
    REJECT: { description: 'Refuse it: DuplicateActiveJobError naming the active job.' },
    COALESCE: {
      description:
        "No change is lost: the PENDING job takes it (its payload replaced when one is given, last writer wins; with the type's debounce its start moves, up to its maximum delay); behind a RUNNING job, one follow-up job waits (phase BLOCKED) and takes the later ones.",
    },
  } satisfies Record<(typeof ifActivePolicies)[number], unknown>,
});
