/**
 * Every GraphQL operation the CLI sends, in one place: the trusted-documents manifest
 * (scripts/trusted-documents.ts) hashes these, so a server with SYNCBRIDGE_PERSISTED_ONLY runs them.
 */
export const JOB_FIELDS = `id jobType entityId status phase priority attemptCount maxRetries correlationId createdAt updatedAt nextRunAt lastError lastErrorType deadAt isReplay`;
/** The typed results a mutation can answer, selected per mutation (a union admits only its members). */
const errorFields = {
  DuplicateActiveJobError: '... on DuplicateActiveJobError { existingJobId }',
  InvalidStateError: '... on InvalidStateError { currentStatus }',
  InputError: '... on InputError { field }',
  NotFoundError: '... on NotFoundError { id }',
};
/** Every mutation can also be refused for its caller (no or a weaker token, too many mutations). */
const callerRefusals = '... on ForbiddenError { requiredRole role } ... on RateLimitedError { retryAfterSeconds }';
const groupFields = '... on JobGroup { groupKey pending running concurrency paused }';
const itemResultFields = (...errors: (keyof typeof errorFields)[]) => `__typename ... on Error { message } ${errors.map((name) => errorFields[name]).join(' ')}`;
const resultFields = (...errors: (keyof typeof errorFields)[]) => `${itemResultFields(...errors)} ${callerRefusals}`;

function bulkDocument(field: 'retryJobs' | 'cancelJobs' | 'replayJobs'): string {
  return `mutation ($filter: JobFilter!, $dryRun: Boolean) { ${field}(filter: $filter, dryRun: $dryRun) { __typename ... on Error { message } ... on InputError { field } ${callerRefusals} ... on BulkActionResult { dryRun matched affected skipped skippedBy { reason count } } } }`;
}

export const cliDocuments = {
  enqueue: `mutation ($input: EnqueueJobInput!) { enqueueJob(input: $input) { ${resultFields('DuplicateActiveJobError', 'InputError')} ... on EnqueueJobSuccess { coalesced job { ${JOB_FIELDS} } } } }`,
  enqueueBatch: `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ${itemResultFields('DuplicateActiveJobError', 'InputError')} ... on EnqueueJobSuccess { coalesced job { id entityId status } } } }`,
  retry: `mutation ($id: ID!) { retryJob(id: $id) { ${resultFields('NotFoundError', 'InvalidStateError', 'DuplicateActiveJobError')} ... on RetryJobSuccess { job { ${JOB_FIELDS} } } } }`,
  cancel: `mutation ($id: ID!) { cancelJob(id: $id) { ${resultFields('NotFoundError', 'InvalidStateError')} ... on CancelJobSuccess { job { ${JOB_FIELDS} } } } }`,
  runNow: `mutation ($id: ID!) { runJobNow(id: $id) { ${resultFields('NotFoundError', 'InvalidStateError', 'InputError')} ... on RunJobNowSuccess { job { ${JOB_FIELDS} } } } }`,
  replay: `mutation ($id: ID!, $attemptId: ID) { replayJob(id: $id, attemptId: $attemptId) { ${resultFields('NotFoundError', 'InputError', 'DuplicateActiveJobError')} ... on ReplayJobSuccess { job { ${JOB_FIELDS} replayOf { id } } } } }`,
  get: `query ($id: ID!) { job(id: $id) { ${JOB_FIELDS} payloadVersion payload leaseOwner deadError deadErrorType coalescedCount
    replayOf { id status } replayOfAttempt { id attemptNumber errorType } replays { id status }
    attempts { id attemptNumber startedAt finishedAt success errorType errorSummary durationMs upstreamCalls { method url status durationMs error } } } }`,
  list: `query ($filter: JobFilter, $first: Int, $after: String) {
    jobs(filter: $filter, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${JOB_FIELDS} } } } }`,
  metrics: `{ metrics { totalJobs finishedJobs successRate retryCount avgExecutionMs attemptCount pending running succeeded failed dead canceled byJobType { jobType count } } }`,
  retryJobs: bulkDocument('retryJobs'),
  cancelJobs: bulkDocument('cancelJobs'),
  replayJobs: bulkDocument('replayJobs'),
  pause: `mutation ($jobType: JobType!) { pauseJobType(jobType: $jobType) { __typename ... on Error { message } ${callerRefusals} ... on JobTypeStatus { jobType paused concurrency pending running } } }`,
  resume: `mutation ($jobType: JobType!) { resumeJobType(jobType: $jobType) { __typename ... on Error { message } ${callerRefusals} ... on JobTypeStatus { jobType paused concurrency pending running } } }`,
  concurrency: `mutation ($jobType: JobType!, $concurrency: Int) { setJobTypeConcurrency(jobType: $jobType, concurrency: $concurrency) { __typename ... on Error { message } ... on InputError { field } ${callerRefusals} ... on JobTypeStatus { jobType paused concurrency pending running } } }`,
  jobTypes: `{ jobTypes { jobType registered description versions paused concurrency pending running } }`,
  groups: `query ($jobType: JobType!, $first: Int) { groups(jobType: $jobType, first: $first) { groupKey pending running concurrency paused oldestPendingAt } }`,
  groupPause: `mutation ($jobType: JobType!, $groupKey: String!) { pauseGroup(jobType: $jobType, groupKey: $groupKey) { __typename ... on Error { message } ... on InputError { field } ${callerRefusals} ${groupFields} } }`,
  groupResume: `mutation ($jobType: JobType!, $groupKey: String!) { resumeGroup(jobType: $jobType, groupKey: $groupKey) { __typename ... on Error { message } ... on InputError { field } ${callerRefusals} ${groupFields} } }`,
  groupConcurrency: `mutation ($jobType: JobType!, $groupKey: String!, $concurrency: Int) { setGroupConcurrency(jobType: $jobType, groupKey: $groupKey, concurrency: $concurrency) { __typename ... on Error { message } ... on InputError { field } ${callerRefusals} ${groupFields} } }`,
  schedules: `{ schedules { name cron timezone jobType entityId catchUp paused nextRunAt lastTickAt } }`,
  scheduleCreate: `mutation ($input: CreateScheduleInput!) { createSchedule(input: $input) { __typename ... on Error { message } ... on InputError { field } ${callerRefusals} ... on Schedule { name cron timezone jobType entityId catchUp paused nextRunAt } } }`,
  schedulePause: `mutation ($name: String!, $paused: Boolean) { pauseSchedule(name: $name, paused: $paused) { __typename ... on Error { message } ${callerRefusals} ... on Schedule { name paused nextRunAt } } }`,
  scheduleDelete: `mutation ($name: String!) { deleteSchedule(name: $name) { __typename ... on Error { message } ${callerRefusals} ... on DeleteScheduleSuccess { name } } }`,
  alertRules: `{ alertRules { id name kind jobType threshold windowSeconds cooldownSeconds enabled channel { kind url to hasSecret } } }`,
  alerts: `query ($state: AlertState) { alerts(first: 50, state: $state) { edges { node { id state startedAt resolvedAt value peak summary notifications rule { name } } } } }`,
  alertRuleCreate: `mutation ($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { __typename ... on Error { message } ... on InputError { field } ${callerRefusals} ... on AlertRule { id name kind } } }`,
  alertRuleDelete: `mutation ($id: ID!) { deleteAlertRule(id: $id) { __typename ... on Error { message } ${callerRefusals} ... on AlertRule { id name } } }`,
  watch: `subscription ($id: ID, $status: [JobStatus!], $jobType: JobType) { jobUpdated(id: $id, status: $status, jobType: $jobType) { ${JOB_FIELDS} } }`,
};
