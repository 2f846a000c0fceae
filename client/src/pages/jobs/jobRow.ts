/** The fields a row of the jobs table shows (the page query and the live stream both select them). */
import { graphql, type ResultOf } from '../../graphql';

export const JobRow = graphql(`
  fragment JobRow on Job {
    id
    jobType
    entityId
    groupKey
    status
    phase
    priority
    attemptCount
    maxRetries
    createdAt
    updatedAt
    nextRunAt
    lastFinishedAt
    lastDurationMs
    lastErrorType
    correlationId
    isReplay
  }
`);

export type JobRowData = ResultOf<typeof JobRow>;
