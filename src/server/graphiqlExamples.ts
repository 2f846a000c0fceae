/** The operations GraphiQL opens with: one tab each, ready to run against the fixture ids. */
export const graphiqlTabs = [
  {
    query: `# Enqueue a customer sync. Try c_1001 (succeeds), c_flaky (fails once, then succeeds),
# c_1002 (rate limited until DEAD) or c_missing (FAILED, NotFound).
mutation Enqueue($entityId: String!) {
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
    query: `# Watch one job live: its current state first, then every change.
subscription Watch($id: ID!) {
  jobUpdated(id: $id) {
    id status phase attemptCount nextRunAt lastErrorType
    attempts { attemptNumber success errorType durationMs }
  }
}`,
    variables: JSON.stringify({ id: '1' }, null, 2),
  },
  {
    query: `# The dead-letter queue, newest first.
query DeadJobs($after: String) {
  jobs(status: [DEAD], first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id jobType entityId deadAt deadErrorType deadError attemptCount } }
  }
}`,
  },
  {
    query: `# Replay a dead or failed job: a new linked job; the original stays as it was.
mutation Replay($id: ID!) {
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
