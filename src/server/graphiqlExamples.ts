/**
 * The operations GraphiQL opens with: one tab each, ready to run against the fixture ids. Each
 * starts with its operation (comments inside it): GraphiQL shows its welcome text instead of a
 * default tab whose text starts with a comment.
 */
export const graphiqlTabs = [
  {
    query: `mutation Enqueue($entityId: String!) {
  # Enqueue a customer sync. Try c_1001 (succeeds), c_flaky (fails once, then succeeds),
  # c_1002 (rate limited until DEAD) or c_missing (FAILED, NotFound).
  enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: $entityId }) {
    __typename
    ... on EnqueueJobSuccess { job { id status phase correlationId } }
    ... on DuplicateActiveJobError { message existingJobId }
    ... on InputError { message field }
  }
}`,
    variables: JSON.stringify({ entityId: 'c_1001' }, null, 2),
  },
  {
    query: `subscription Watch($id: ID!) {
  # Watch one job live: its current state first, then every change.
  jobUpdated(id: $id) {
    id status phase attemptCount nextRunAt lastErrorType
    attempts { attemptNumber success errorType durationMs }
  }
}`,
    variables: JSON.stringify({ id: '1' }, null, 2),
  },
  {
    query: `query DeadJobs($after: String) {
  # The dead-letter queue, newest first.
  jobs(status: [DEAD], first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id jobType entityId deadAt deadErrorType deadError attemptCount } }
  }
}`,
  },
  {
    query: `mutation Replay($id: ID!) {
  # Replay a dead or failed job: a new linked job; the original stays as it was.
  replayJob(id: $id) {
    __typename
    ... on ReplayJobSuccess { job { id status replayOf { id } replayOfAttempt { attemptNumber errorType } } }
    ... on Error { message }
  }
}`,
    variables: JSON.stringify({ id: '1' }, null, 2),
  },
  {
    query: `query Metrics {
  metrics { totalJobs finishedJobs successRate retryCount avgExecutionMs pending running succeeded failed dead canceled }
}`,
  },
];
