/**
 * What GraphiQL opens with: one document holding an example of each kind of operation, ready to
 * run (the run button asks which one): against the demo's fixture ids, or, with job types of
 * one's own, the first of them with a payload shaped by its schema. One document, not a tab each:
 * the GraphiQL build Yoga ships shows its welcome text in every tab but the one it opened with.
 */
import type { JobTypeCatalog, JobTypeInfo } from '../queue/jobTypes.js';

const demoEnqueue = `# 1. Enqueue a customer sync. c_1002 is refused by Billing (429) at every attempt until it is
# DEAD: the one to watch and replay. Also try c_1001 (succeeds), c_flaky (fails once, then
# succeeds) or c_missing (FAILED, NotFound).
mutation Enqueue($entityId: String!) {
  enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: $entityId }) {
    __typename
    ... on EnqueueJobSuccess { job { id status phase correlationId } }
    ... on DuplicateActiveJobError { message existingJobId }
    ... on InputError { message field }
  }
}`;

function enqueueOf(type: JobTypeInfo): string {
  const payload = type.hasPayload(type.versions.at(-1)!);
  return `# Enqueue a ${type.name} job${type.description ? ` (${type.description})` : ''}.${payload ? ' Its payload is checked by the type’s schema (jobTypes → payloadSchema).' : ''}
mutation Enqueue($entityId: String!${payload ? ', $payload: JSON' : ''}) {
  enqueueJob(input: { jobType: ${type.name.toUpperCase()}, entityId: $entityId${payload ? ', payload: $payload' : ''} }) {
    __typename
    ... on EnqueueJobSuccess { job { id status phase correlationId payload } }
    ... on DuplicateActiveJobError { message existingJobId }
    ... on InputError { message field }
  }
}`;
}

/** A payload with each property of an object schema filled with a placeholder of its kind. */
function samplePayload(schema: Record<string, unknown> | undefined): unknown {
  const properties = schema?.type === 'object' ? (schema.properties as Record<string, { type?: string; enum?: unknown[]; format?: string }> | undefined) : undefined;
  if (!properties) return {};
  const sample = (property: { type?: string; enum?: unknown[]; format?: string }) => {
    if (property.enum?.length) return property.enum[0];
    if (property.type === 'string') return property.format === 'email' ? 'someone@example.com' : '';
    if (property.type === 'number' || property.type === 'integer') return 0;
    if (property.type === 'boolean') return false;
    return property.type === 'array' ? [] : null;
  };
  return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, sample(property)]));
}

const rest = [
  `# 2. Watch one job live: its current state first, then every change, each attempt as it ends.
# Put the id Enqueue answered in the variables' "watchId". A subscription stays open after the
# job finishes (a FAILED job can still be retried): stop it with the run button.
subscription Watch($watchId: ID!) {
  jobUpdated(id: $watchId) {
    id status phase attemptCount nextRunAt lastErrorType
    attempts { attemptNumber success errorType durationMs upstreamCalls { method url status } }
  }
}`,
  `# The dead-letter queue, newest first.
query DeadJobs($after: String) {
  jobs(status: [DEAD], first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id jobType entityId deadAt deadErrorType deadError attemptCount } }
  }
}`,
  `# 3. Replay a DEAD or FAILED job (its latest attempt failed): a new linked job; the original
# stays as it was. "replayId" starts as the newest such job, when there is one.
mutation Replay($replayId: ID!) {
  replayJob(id: $replayId) {
    __typename
    ... on ReplayJobSuccess { job { id status replayOf { id } replayOfAttempt { attemptNumber errorType } } }
    ... on Error { message }
  }
}`,
  `# The queue's figures, and its last hour per minute.
query Metrics {
  metrics { totalJobs finishedJobs successRate retryCount avgExecutionMs pending running succeeded failed dead canceled }
  metricsHistory(range: "1h", bucket: "5m") { ... on MetricsHistory { buckets { start all { succeeded retried failed dead } } } }
}`,
];

/**
 * `jobs`: the newest job still active (to watch) and the newest DEAD or FAILED one (to replay),
 * when the page may show them (a server without tokens); otherwise the ids are left to fill in.
 */
export function graphiqlExamples(catalog: JobTypeCatalog, jobs: { watchId?: number; replayId?: number } = {}): { query: string; variables: string } {
  const demo = catalog.get('customer_sync');
  const type = demo ?? catalog.list()[0]!;
  const payload = !demo && type.hasPayload(type.versions.at(-1)!) ? { payload: samplePayload(type.payloadJsonSchema(type.versions.at(-1)!)) } : {};
  return {
    query: [demo ? demoEnqueue : enqueueOf(type), ...rest].join('\n\n'),
    variables: JSON.stringify(
      { entityId: demo ? 'c_1002' : 'e_1', ...payload, watchId: String(jobs.watchId ?? 'the id Enqueue answered'), replayId: String(jobs.replayId ?? 'a DEAD or FAILED job') },
      null,
      2,
    ),
  };
}
