/**
 * One job: every field, the attempt timeline, replay lineage both ways, and the actions its state
 * allows. Kept live by `jobUpdated(id)`, whose payload Graphcache merges into this view.
 */
import { useEffect, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { StatusBadge } from '../components/StatusBadge';
import { useReconnectGeneration } from '../connection';
import { graphql, readFragment } from '../graphql';
import { linkProps, navigate } from '../router';

const JobDetail = graphql(`
  fragment JobDetail on Job {
    id jobType entityType entityId sourceSystem targetSystem status phase priority scheduledAt maxRetries attemptCount
    payloadVersion correlationId leaseOwner leaseAcquiredAt leaseExpiresAt createdAt updatedAt nextRunAt lastStartedAt
    lastFinishedAt lastError lastErrorType lastDurationMs canceledAt deadAt deadError deadErrorType isReplay
    replayOf { id status }
    replayOfAttempt { id attemptNumber errorType }
    replays { id status createdAt }
    attempts { id attemptNumber startedAt finishedAt success errorType errorSummary durationMs }
    auditEvents { id at actor role action outcome detail requestId }
  }
`);

const JobQuery = graphql(`query JobDetailPage($id: ID!) { job(id: $id) { ...JobDetail } }`, [JobDetail]);
const JobLive = graphql(`subscription JobDetailLive($id: ID!) { jobUpdated(id: $id) { ...JobDetail } }`, [JobDetail]);

const RetryMutation = graphql(`
  mutation RetryFromDashboard($id: ID!) {
    retryJob(id: $id) { __typename ... on RetryJobSuccess { job { id status phase attemptCount lastError lastErrorType } } ... on Error { message } }
  }
`);
const CancelMutation = graphql(`
  mutation CancelFromDashboard($id: ID!) {
    cancelJob(id: $id) { __typename ... on CancelJobSuccess { job { id status phase canceledAt } } ... on Error { message } }
  }
`);
const ReplayMutation = graphql(`
  mutation ReplayFromDashboard($id: ID!, $attemptId: ID) {
    replayJob(id: $id, attemptId: $attemptId) { __typename ... on ReplayJobSuccess { job { id } } ... on Error { message } }
  }
`);

const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { hour12: false }) : '—');

export function JobDetailPage({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: JobQuery, variables: { id } });
  useSubscription({ query: JobLive, variables: { id } });
  const generation = useReconnectGeneration();
  useEffect(() => {
    if (generation) refetch({ requestPolicy: 'network-only' });
  }, [generation, refetch]);

  const [retryState, retry] = useMutation(RetryMutation);
  const [cancelState, cancel] = useMutation(CancelMutation);
  const [replayState, replay] = useMutation(ReplayMutation);
  const [message, setMessage] = useState<{ kind: 'error' | 'ok'; text: string } | undefined>();
  const [attemptId, setAttemptId] = useState<string>('');

  if (error) return <p className="message error" role="alert">Could not load job {id}: {error.message}</p>;
  if (!data) return <p>{fetching ? 'Loading…' : ''}</p>;
  if (!data.job) return <p className="message error" role="alert">Job {id} does not exist.</p>;
  const job = readFragment(JobDetail, data.job);
  const failedAttempts = job.attempts.filter((attempt) => !attempt.success);
  const busy = retryState.fetching || cancelState.fetching || replayState.fetching;

  const report = (result: { __typename: string; message?: string } | undefined, ok: string) => {
    if (!result) return setMessage({ kind: 'error', text: 'The request failed; try again.' });
    if ('message' in result && result.message) setMessage({ kind: 'error', text: result.message });
    else setMessage({ kind: 'ok', text: ok });
  };

  const fields: [string, React.ReactNode][] = [
    ['Type', job.jobType.toLowerCase()],
    ['Entity', `${job.entityType} ${job.entityId}`],
    ['Systems', `${job.sourceSystem} → ${job.targetSystem}`],
    ['Priority', job.priority],
    ['Attempts', `${job.attemptCount} of at most ${job.maxRetries + 1}`],
    ['Payload version', job.payloadVersion],
    ['Correlation id', <code key="c">{job.correlationId}</code>],
    ['Created', time(job.createdAt)],
    ['Updated', time(job.updatedAt)],
    ['Scheduled at', time(job.scheduledAt)],
    ['Next run', job.status === 'PENDING' ? time(job.nextRunAt) : '—'],
    ['Last started', time(job.lastStartedAt)],
    ['Last finished', time(job.lastFinishedAt)],
    ['Last duration', job.lastDurationMs === null ? '—' : `${job.lastDurationMs} ms`],
    ['Lease', job.leaseOwner ? `${job.leaseOwner} until ${time(job.leaseExpiresAt)}` : '—'],
    ['Last error', job.lastError ? `${job.lastErrorType}: ${job.lastError}` : '—'],
    ['Canceled', time(job.canceledAt)],
    ['Dead', job.deadAt ? `${time(job.deadAt)} — ${job.deadErrorType}: ${job.deadError}` : '—'],
  ];

  return (
    <section aria-labelledby="job-heading" data-job-id={job.id}>
      <p><a {...linkProps('/')}>← All jobs</a></p>
      <h1 id="job-heading">
        Job {job.id} <StatusBadge status={job.status} phase={job.phase} />
      </h1>
      {job.isReplay && job.replayOf && (
        <p className="lineage">
          Replay of <a {...linkProps(`/jobs/${job.replayOf.id}`)}>job {job.replayOf.id}</a>
          {job.replayOfAttempt && <> (attempt {job.replayOfAttempt.attemptNumber}, {job.replayOfAttempt.errorType})</>}
        </p>
      )}
      {job.replays.length > 0 && (
        <p className="lineage">
          Replayed by{' '}
          {job.replays.map((replayJob, index) => (
            <span key={replayJob.id}>
              {index > 0 && ', '}
              <a {...linkProps(`/jobs/${replayJob.id}`)}>job {replayJob.id}</a> ({replayJob.status})
            </span>
          ))}
        </p>
      )}

      <div className="actions" role="group" aria-label="Actions">
        {job.status === 'FAILED' && (
          <button type="button" disabled={busy} onClick={async () => report((await retry({ id: job.id })).data?.retryJob, 'Queued again.')}>
            Retry
          </button>
        )}
        {(job.status === 'PENDING' || job.status === 'RUNNING') && (
          <button type="button" className="danger" disabled={busy} onClick={async () => report((await cancel({ id: job.id })).data?.cancelJob, 'Canceled.')}>
            Cancel
          </button>
        )}
        {failedAttempts.length > 0 && (
          <span className="replay">
            <label>
              Replay attempt{' '}
              <select value={attemptId} onChange={(event) => setAttemptId(event.target.value)} aria-label="Attempt to replay">
                <option value="">latest</option>
                {failedAttempts.map((attempt) => (
                  <option key={attempt.id} value={attempt.id}>
                    #{attempt.attemptNumber} {attempt.errorType}
                  </option>
                ))}
              </select>
            </label>{' '}
            <button
              type="button"
              disabled={busy}
              onClick={async () => {
                const result = (await replay({ id: job.id, attemptId: attemptId || undefined })).data?.replayJob;
                if (result?.__typename === 'ReplayJobSuccess' && 'job' in result) navigate(`/jobs/${result.job.id}`);
                else report(result, '');
              }}
            >
              Replay
            </button>
          </span>
        )}
      </div>
      {message && (
        <p className={`message ${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}

      <dl className="fields">
        {fields.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>

      <h2>Attempts</h2>
      {job.attempts.length === 0 ? (
        <p>No attempt yet.</p>
      ) : (
        <ol className="timeline" aria-label="Attempts, newest first" reversed>
          {job.attempts.map((attempt) => (
            <li key={attempt.id} className={attempt.success ? 'ok' : 'failed'} data-attempt={attempt.attemptNumber}>
              <strong>#{attempt.attemptNumber}</strong> {attempt.success ? '✓ succeeded' : `✕ ${attempt.errorType ?? 'failed'}`}
              <span className="muted"> · {time(attempt.startedAt)} · {attempt.durationMs ?? '—'} ms</span>
              {attempt.errorSummary && <div className="summary">{attempt.errorSummary}</div>}
            </li>
          ))}
        </ol>
      )}

      <h2>Operator actions</h2>
      {job.auditEvents.length === 0 ? (
        <p>None: nobody has acted on this job through the API.</p>
      ) : (
        <table className="audit" aria-label="Operator actions, oldest first">
          <thead>
            <tr>
              <th>when</th>
              <th>who</th>
              <th>action</th>
              <th>outcome</th>
              <th>detail</th>
            </tr>
          </thead>
          <tbody>
            {job.auditEvents.map((event) => (
              <tr key={event.id} data-audit-action={event.action}>
                <td>{time(event.at)}</td>
                <td>
                  {event.actor}
                  {event.role ? ` (${event.role})` : ''}
                </td>
                <td>{event.action}</td>
                <td>{event.outcome}</td>
                <td title={event.requestId ? `request ${event.requestId}` : undefined}>{event.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
