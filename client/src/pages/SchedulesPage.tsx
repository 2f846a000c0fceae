/**
 * Schedules: every cron schedule with its next run and last tick, read again every few seconds;
 * operators pause or resume one, or run it now (its job enqueued at once, its cron unchanged).
 */
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../graphql';
import { useRefetchOnReconnect } from '../hooks';
import { outcomeOf, requestProblem, type Outcome } from '../outcome';
import { linkProps } from '../router';
import { RelativeTime } from '../time';

const SchedulesQuery = graphql(`
  query SchedulesPage {
    schedules {
      id
      name
      cron
      timezone
      jobType
      entityId
      catchUp
      paused
      nextRunAt
      lastTickAt
    }
  }
`);
const PauseSchedule = graphql(`
  mutation PauseScheduleFromDashboard($name: String!, $paused: Boolean) {
    pauseSchedule(name: $name, paused: $paused) {
      __typename
      ... on Schedule {
        id
        paused
        nextRunAt
        lastTickAt
      }
      ... on Error {
        message
      }
    }
  }
`);
const RunScheduleNow = graphql(`
  mutation RunScheduleNowFromDashboard($name: String!) {
    runScheduleNow(name: $name) {
      __typename
      ... on RunScheduleNowSuccess {
        coalesced
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

const refreshMs = 5_000;

export function SchedulesPage({ canAct }: { canAct: boolean }) {
  const [{ data, error }, refetch] = useQuery({ query: SchedulesQuery, requestPolicy: 'cache-and-network' });
  useRefetchOnReconnect(refetch);
  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), refreshMs);
    return () => clearInterval(timer);
  }, [refetch]);
  const [, pause] = useMutation(PauseSchedule);
  const [, runNow] = useMutation(RunScheduleNow);
  const [message, setMessage] = useState<(Outcome & { jobId?: string }) | undefined>();
  const schedules = data?.schedules ?? [];

  return (
    <section aria-labelledby="schedules-heading" className="panel wide">
      <h1 id="schedules-heading">Schedules</h1>
      <p className="muted">
        {data
          ? `${schedules.length} schedule${schedules.length === 1 ? '' : 's'}; times in UTC on hover. Create them with the API or the CLI (syncbridge schedules create).`
          : 'Loading…'}
      </p>
      {error && (
        <p className="message error" role="alert">
          {requestProblem(error)}
        </p>
      )}
      {message && (
        <p className={`message ${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'}>
          {message.text} {message.jobId && <a {...linkProps(`/jobs/${message.jobId}`)}>Open job {message.jobId}</a>}
        </p>
      )}
      <div className="table-scroll">
        <table className="plain" aria-label="Schedules">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">When</th>
              <th scope="col">Job</th>
              <th scope="col">Next run</th>
              <th scope="col">Last tick</th>
              <th scope="col">State</th>
              {canAct && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {schedules.map((schedule) => (
              <tr key={schedule.id} data-schedule={schedule.name}>
                <td data-label="Name">{schedule.name}</td>
                <td data-label="When">
                  <code>{schedule.cron}</code> <span className="muted">{schedule.timezone}</span>
                  <span className="muted"> · missed ticks: {schedule.catchUp === 'ONCE' ? 'one makes up' : 'skipped'}</span>
                </td>
                <td data-label="Job">
                  {schedule.jobType.toLowerCase()} {schedule.entityId}
                </td>
                <td data-label="Next run">{schedule.paused ? <span className="muted">paused</span> : <RelativeTime iso={schedule.nextRunAt} />}</td>
                <td data-label="Last tick">
                  <RelativeTime iso={schedule.lastTickAt} />
                </td>
                <td data-label="State">{schedule.paused ? 'paused' : 'active'}</td>
                {canAct && (
                  <td data-label="Actions">
                    <div className="row-actions">
                      <button
                        type="button"
                        onClick={async () => {
                          const { data: answer, error: failed } = await pause({ name: schedule.name, paused: !schedule.paused });
                          setMessage(
                            outcomeOf(
                              answer?.pauseSchedule,
                              failed,
                              'Schedule',
                              schedule.paused ? `${schedule.name} resumed: it ticks from its next time.` : `${schedule.name} paused.`,
                            ),
                          );
                        }}
                      >
                        {schedule.paused ? 'Resume' : 'Pause'}
                      </button>
                      <button
                        type="button"
                        onClick={async () => {
                          const { data: answer, error: failed } = await runNow({ name: schedule.name });
                          const result = answer?.runScheduleNow;
                          const jobId = result?.__typename === 'RunScheduleNowSuccess' ? result.job.id : undefined;
                          const words = result?.__typename === 'RunScheduleNowSuccess' && result.coalesced ? `folded into waiting job ${jobId}` : `enqueued as job ${jobId}`;
                          setMessage({ ...outcomeOf(result, failed, 'RunScheduleNowSuccess', `${schedule.name}: ${words}.`), jobId });
                        }}
                      >
                        Run now
                      </button>
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
