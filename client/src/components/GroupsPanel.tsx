/**
 * The groups (tenants, accounts) with the largest backlogs, of every job type, live: pending and
 * running per group (against its limit), each a link to its jobs, with Pause/Resume for operators.
 * Shown only while some group has work. Graphcache keys a group by type and key, so the stream
 * and the mutations' answers update the same row.
 */
import { useState } from 'react';
import { useMutation, useSubscription, type CombinedError } from 'urql';
import { graphql } from '../graphql';
import { outcomeOf, type Answer } from '../outcome';
import { linkProps } from '../router';
import { exactTime } from '../time';

const GroupsLive = graphql(`
  subscription GroupsLive {
    groupsUpdated {
      jobType
      groupKey
      pending
      running
      concurrency
      paused
      oldestPendingAt
    }
  }
`);

const PauseGroup = graphql(`
  mutation PauseGroupFromDashboard($jobType: JobType!, $groupKey: String!) {
    pauseGroup(jobType: $jobType, groupKey: $groupKey) {
      __typename
      ... on JobGroup {
        jobType
        groupKey
        paused
      }
      ... on Error {
        message
      }
    }
  }
`);
const ResumeGroup = graphql(`
  mutation ResumeGroupFromDashboard($jobType: JobType!, $groupKey: String!) {
    resumeGroup(jobType: $jobType, groupKey: $groupKey) {
      __typename
      ... on JobGroup {
        jobType
        groupKey
        paused
      }
      ... on Error {
        message
      }
    }
  }
`);

/** Rows shown; the stream carries the 50 largest. */
const shown = 10;

export function GroupsPanel({ canAct }: { canAct: boolean }) {
  const [{ data }] = useSubscription({ query: GroupsLive });
  const [, pause] = useMutation(PauseGroup);
  const [, resume] = useMutation(ResumeGroup);
  const [problem, setProblem] = useState<string | undefined>();
  const groups = data?.groupsUpdated ?? [];
  if (!groups.length) return null;
  /** Each answers one field: the group, or a typed refusal in words. */
  const report = ({ data: answer, error }: { data?: Record<string, Answer>; error?: CombinedError }) => {
    const outcome = outcomeOf(answer && Object.values(answer)[0], error, 'JobGroup', '');
    setProblem(outcome.kind === 'error' ? outcome.text : undefined);
  };
  return (
    <section className="panel groups" aria-labelledby="groups-heading">
      <h2 id="groups-heading">Groups</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">Pending</th>
            <th scope="col">Running</th>
            {canAct && <th scope="col" aria-label="Actions" />}
          </tr>
        </thead>
        <tbody>
          {groups.slice(0, shown).map((group) => (
            <tr key={`${group.jobType}:${group.groupKey}`} data-group={group.groupKey}>
              <th scope="row">
                <a {...linkProps(`/?type=${group.jobType}&group=${encodeURIComponent(group.groupKey)}`)}>{group.groupKey}</a>
                <span className="job-type">{group.jobType.toLowerCase()}</span>
              </th>
              <td title={group.oldestPendingAt ? `The oldest waiting since ${exactTime(group.oldestPendingAt)}` : undefined}>{group.pending}</td>
              <td>
                {group.running}
                {group.concurrency !== null && <span className="muted"> / {group.concurrency}</span>}
                {group.paused && <span className="muted"> · paused</span>}
              </td>
              {canAct && (
                <td>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`${group.paused ? 'Resume' : 'Pause'} group ${group.groupKey} of ${group.jobType.toLowerCase()}`}
                    onClick={async () => {
                      const variables = { jobType: group.jobType, groupKey: group.groupKey };
                      report(group.paused ? await resume(variables) : await pause(variables));
                    }}
                  >
                    {group.paused ? 'Resume' : 'Pause'}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {groups.length > shown && (
        <p className="muted">
          The {shown} largest backlogs of {groups.length}
          {groups.length >= 50 ? ' or more' : ''} groups with work.
        </p>
      )}
      {problem && (
        <p className="message error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
