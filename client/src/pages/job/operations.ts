/** The job page's GraphQL: the job with everything the page shows, its live updates, and the actions. */
import { graphql, type ResultOf } from '../../graphql';

export const JobDetail = graphql(`
  fragment JobDetail on Job {
    id
    jobType
    entityType
    groupKey
    entityId
    sourceSystem
    targetSystem
    status
    phase
    priority
    scheduledAt
    maxRetries
    attemptCount
    payloadVersion
    payload
    correlationId
    leaseOwner
    leaseAcquiredAt
    leaseExpiresAt
    createdAt
    updatedAt
    nextRunAt
    lastStartedAt
    lastFinishedAt
    lastError
    lastErrorType
    lastDurationMs
    canceledAt
    deadAt
    deadError
    deadErrorType
    isReplay
    webhookDeliveries {
      outcome
      delivery {
        id
        source
        deliveryId
        eventType
        receivedAt
      }
    }
    replayOf {
      id
      status
    }
    replayOfAttempt {
      id
      attemptNumber
      errorType
    }
    replays {
      id
      status
      createdAt
    }
    attempts {
      id
      attemptNumber
      startedAt
      finishedAt
      success
      errorType
      errorSummary
      durationMs
      traceId
      errorStack
      upstreamCalls {
        method
        url
        status
        startedAt
        durationMs
        requestBody
        responseBody
        error
      }
    }
    auditEvents {
      id
      at
      actor
      role
      action
      outcome
      detail
      requestId
    }
  }
`);

export const JobQuery = graphql(
  `
    query JobDetailPage($id: ID!) {
      job(id: $id) {
        ...JobDetail
      }
      operatorLinks {
        logSearch
        trace
      }
    }
  `,
  [JobDetail],
);
export const JobLive = graphql(
  `
    subscription JobDetailLive($id: ID!) {
      jobUpdated(id: $id) {
        ...JobDetail
      }
    }
  `,
  [JobDetail],
);

export const RetryMutation = graphql(`
  mutation RetryFromDashboard($id: ID!) {
    retryJob(id: $id) {
      __typename
      ... on RetryJobSuccess {
        job {
          id
          status
          phase
          attemptCount
          lastError
          lastErrorType
        }
      }
      ... on Error {
        message
      }
    }
  }
`);
export const CancelMutation = graphql(`
  mutation CancelFromDashboard($id: ID!) {
    cancelJob(id: $id) {
      __typename
      ... on CancelJobSuccess {
        job {
          id
          status
          phase
          canceledAt
        }
      }
      ... on Error {
        message
      }
    }
  }
`);
export const RunNowMutation = graphql(`
  mutation RunNowFromDashboard($id: ID!) {
    runJobNow(id: $id) {
      __typename
      ... on RunJobNowSuccess {
        job {
          id
          status
          phase
          nextRunAt
        }
      }
      ... on Error {
        message
      }
    }
  }
`);
export const ReplayMutation = graphql(`
  mutation ReplayFromDashboard($id: ID!, $attemptId: ID) {
    replayJob(id: $id, attemptId: $attemptId) {
      __typename
      ... on ReplayJobSuccess {
        job {
          id
        }
      }
      ... on Error {
        message
      }
    }
  }
`);

export type JobDetailData = ResultOf<typeof JobDetail>;

/** A link template with its placeholder filled, or undefined when the server has none. */
export const fill = (template: string | null | undefined, placeholder: string, value: string | null | undefined) =>
  template && value ? template.replace(placeholder, encodeURIComponent(value)) : undefined;
