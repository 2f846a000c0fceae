/**
 * One job: every field, the attempt timeline with each attempt's upstream calls (what was sent,
 * what came back) and, for a bug, its stack; replay lineage both ways; the actions its state
 * allows (a cancel asks first). Kept live by `jobUpdated(id)`, whose payload Graphcache merges
 * into this view.
 */
import { useState } from 'react';
import { Breakable } from '../components/Breakable';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useMutation, useQuery, useSubscription } from 'urql';
import { StatusBadge } from '../components/StatusBadge';
import { useRefetchOnReconnect } from '../hooks';
import { graphql, readFragment } from '../graphql';
import { linkProps, navigate } from '../router';

const JobDetail = graphql(`
  fragment JobDetail on Job {
    id
    jobType
    entityType
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

const JobQuery = graphql(
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
const JobLive = graphql(
  `
    subscription JobDetailLive($id: ID!) {
      jobUpdated(id: $id) {
        ...JobDetail
      }
    }
  `,
  [JobDetail],
);

const RetryMutation = graphql(`
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
const CancelMutation = graphql(`
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
const ReplayMutation = graphql(`
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

const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { hour12: false }) : '—');

/** A link template with its placeholder filled, or undefined when the server has none. */
const fill = (template: string | null | undefined, placeholder: string, value: string | null | undefined) =>
  template && value ? template.replace(placeholder, encodeURIComponent(value)) : undefined;

export function JobDetailPage({ id, canAct }: { id: string; canAct: boolean }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: JobQuery, variables: { id } });
  useSubscription({ query: JobLive, variables: { id } });
  useRefetchOnReconnect(refetch);
  const [confirmingCancel, setConfirmingCancel] = useState(false);

  const [retryState, retry] = useMutation(RetryMutation);
  const [cancelState, cancel] = useMutation(CancelMutation);
  const [replayState, replay] = useMutation(ReplayMutation);
  const [message, setMessage] = useState<{ kind: 'error' | 'ok'; text: string } | undefined>();
  const [attemptId, setAttemptId] = useState<string>('');

  if (error)
    return (
      <p className="message error" role="alert">
        Could not load job {id}: {error.message}
      </p>
    );
  if (!data) return <p>{fetching ? 'Loading…' : ''}</p>;
  if (!data.job)
    return (
      <p className="message error" role="alert">
        Job {id} does not exist.
      </p>
    );
  const job = readFragment(JobDetail, data.job);
  const logSearch = fill(data.operatorLinks.logSearch, '{correlationId}', job.correlationId);
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
    [
      'Correlation id',
      <span key="c">
        <code>{job.correlationId}</code> <a {...linkProps(`/?correlation=${encodeURIComponent(job.correlationId)}`)}>jobs with it</a>
        {logSearch && (
          <>
            {' · '}
            <a href={logSearch} target="_blank" rel="noreferrer">
              its log lines
            </a>
          </>
        )}
      </span>,
    ],
    ['Created', time(job.createdAt)],
    ['Updated', time(job.updatedAt)],
    ['Scheduled at', time(job.scheduledAt)],
    ['Next run', job.status === 'PENDING' ? time(job.nextRunAt) : '—'],
    ['Last started', time(job.lastStartedAt)],
    ['Last finished', time(job.lastFinishedAt)],
    ['Last duration', job.lastDurationMs === null ? '—' : `${job.lastDurationMs} ms`],
    ['Lease', job.leaseOwner ? `${job.leaseOwner} until ${time(job.leaseExpiresAt)}` : '—'],
    ['Last error', job.lastError ? <Breakable key="e" text={`${job.lastErrorType}: ${job.lastError}`} /> : '—'],
    ['Canceled', time(job.canceledAt)],
    ['Dead', job.deadAt ? <Breakable key="d" text={`${time(job.deadAt)} — ${job.deadErrorType}: ${job.deadError}`} /> : '—'],
  ];

  return (
    <section aria-labelledby="job-heading" data-job-id={job.id}>
      <p>
        <a {...linkProps('/')}>← All jobs</a>
      </p>
      <h1 id="job-heading">
        Job {job.id} <StatusBadge status={job.status} phase={job.phase} />
      </h1>
      {job.isReplay && job.replayOf && (
        <p className="lineage">
          Replay of <a {...linkProps(`/jobs/${job.replayOf.id}`)}>job {job.replayOf.id}</a>
          {job.replayOfAttempt && (
            <>
              {' '}
              (attempt {job.replayOfAttempt.attemptNumber}, {job.replayOfAttempt.errorType})
            </>
          )}
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

      {canAct && (
        <div className="actions" role="group" aria-label="Actions">
          {job.status === 'FAILED' && (
            <button type="button" disabled={busy} onClick={async () => report((await retry({ id: job.id })).data?.retryJob, 'Queued again.')}>
              Retry
            </button>
          )}
          {(job.status === 'PENDING' || job.status === 'RUNNING') && (
            <button type="button" className="danger" disabled={busy} onClick={() => setConfirmingCancel(true)}>
              Cancel…
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
      )}
      {confirmingCancel && (
        <ConfirmDialog
          title={`Cancel job ${job.id}?`}
          confirmLabel="Cancel the job"
          danger
          busy={busy}
          onClose={() => setConfirmingCancel(false)}
          onConfirm={async () => {
            report((await cancel({ id: job.id })).data?.cancelJob, 'Canceled.');
            setConfirmingCancel(false);
          }}
        >
          <p>
            {job.entityType} {job.entityId} will not be synced by this job{job.status === 'RUNNING' ? '; its running attempt is told to stop' : ''}. A canceled job can be replayed
            later.
          </p>
        </ConfirmDialog>
      )}
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
              <span className="muted">
                {' '}
                · {time(attempt.startedAt)} · {attempt.durationMs ?? '—'} ms
              </span>
              {attempt.errorSummary && (
                <div className="summary">
                  <Breakable text={attempt.errorSummary} />
                </div>
              )}
              {attempt.traceId && (
                <div className="muted">
                  trace <code>{attempt.traceId}</code>
                  {data.operatorLinks.trace && (
                    <>
                      {' '}
                      <a href={fill(data.operatorLinks.trace, '{traceId}', attempt.traceId)} target="_blank" rel="noreferrer">
                        open
                      </a>
                    </>
                  )}
                </div>
              )}
              {attempt.upstreamCalls.length > 0 && (
                <table className="calls" aria-label={`Upstream calls of attempt ${attempt.attemptNumber}`}>
                  <thead>
                    <tr>
                      <th scope="col">call</th>
                      <th scope="col">status</th>
                      <th scope="col">time</th>
                      <th scope="col">sent and received</th>
                    </tr>
                  </thead>
                  <tbody>
                    {attempt.upstreamCalls.map((call, index) => (
                      <tr key={index} data-call-status={call.status ?? 'none'}>
                        <td>
                          <code>{call.method}</code>{' '}
                          <span className="url">
                            <Breakable text={call.url} />
                          </span>
                        </td>
                        <td>{call.status ?? 'no answer'}</td>
                        <td>{call.durationMs} ms</td>
                        <td>
                          {call.requestBody && (
                            <details>
                              <summary>sent</summary>
                              <pre>{call.requestBody}</pre>
                            </details>
                          )}
                          {call.responseBody && (
                            <details open={call.status === null || call.status >= 400}>
                              <summary>received</summary>
                              <pre data-testid="response-body">{call.responseBody}</pre>
                            </details>
                          )}
                          {call.error && !call.responseBody && <span className="muted">{call.error}</span>}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {attempt.errorStack && (
                <details className="stack">
                  <summary>stack</summary>
                  <pre>{attempt.errorStack}</pre>
                </details>
              )}
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
