/**
 * The groups (tenants, accounts) with the largest backlogs, of every job type, live: pending and
 * running per group, each a link to its jobs. Shown only while some group has work.
 */
import { useSubscription } from 'urql';
import { graphql } from '../graphql';
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

/** Rows shown; the stream carries the 50 largest. */
const shown = 10;

export function GroupsPanel() {
  const [{ data }] = useSubscription({ query: GroupsLive });
  const groups = data?.groupsUpdated ?? [];
  if (!groups.length) return null;
  return (
    <section className="panel groups" aria-labelledby="groups-heading">
      <h2 id="groups-heading">Groups</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">Pending</th>
            <th scope="col">Running</th>
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
    </section>
  );
}
