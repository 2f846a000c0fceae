/**
 * What GraphiQL opens with: one document holding an example of each kind of operation, ready to
 * run against the fixture ids (the run button asks which one). One document, not a tab each:
 * the GraphiQL build Yoga ships shows its welcome text in every tab but the one it opened with.
 */
const examples = [
  `# Enqueue a customer sync. Try c_1001 (succeeds), c_flaky (fails once, then succeeds),
# c_1002 (rate limited until DEAD) or c_missing (FAILED, NotFound).
mutation Enqueue($entityId: String!) {
  enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: $entityId }) {
    __typename
    ... on EnqueueJobSuccess { job { id status phase correlationId } }
    ... on DuplicateActiveJobError { message existingJobId }
    ... on InputError { message field }
  }
}`,
  `# Watch one job live: its current state first, then every change.
subscription Watch($id: ID!) {
  jobUpdated(id: $id) {
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
  `# Replay a dead or failed job: a new linked job; the original stays as it was.
mutation Replay($id: ID!) {
  replayJob(id: $id) {
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

export const graphiqlExamples = {
  query: examples.join('\n\n'),
  variables: JSON.stringify({ entityId: 'c_1001', id: '1' }, null, 2),
};
