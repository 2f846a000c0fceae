/** A job's attempts, newest first: outcome, timing, the error, its trace, each upstream call with what was sent and received, and a bug's stack. */
import { Breakable } from '../../components/Breakable';
import { duration, exactTime } from '../../time';
import { AttemptAxis } from './AttemptAxis';
import { fill, type JobDetailData } from './operations';

export function AttemptTimeline({ attempts, createdAt, traceLink }: { attempts: JobDetailData['attempts']; createdAt: string; traceLink: string | null | undefined }) {
  return (
    <>
      <h2>Attempts</h2>
      <AttemptAxis createdAt={createdAt} attempts={attempts} />
      {attempts.length === 0 ? (
        <p>No attempt yet.</p>
      ) : (
        <ol className="timeline" aria-label="Attempts, newest first" reversed>
          {attempts.map((attempt) => (
            <li key={attempt.id} className={attempt.success ? 'ok' : 'failed'} data-attempt={attempt.attemptNumber}>
              <strong>#{attempt.attemptNumber}</strong> {attempt.success ? '✓ succeeded' : `✕ ${attempt.errorType ?? 'failed'}`}
              <span className="muted">
                {' '}
                · {exactTime(attempt.startedAt)} · {duration(attempt.durationMs)}
              </span>
              {attempt.errorSummary && (
                <div className="summary">
                  <Breakable text={attempt.errorSummary} />
                </div>
              )}
              {attempt.traceId && (
                <div className="muted">
                  trace <code>{attempt.traceId}</code>
                  {traceLink && (
                    <>
                      {' '}
                      <a href={fill(traceLink, '{traceId}', attempt.traceId)} target="_blank" rel="noreferrer">
                        open
                      </a>
                    </>
                  )}
                </div>
              )}
              {attempt.upstreamCalls.length > 0 && (
                <table className="calls" aria-label={`Upstream calls of attempt ${attempt.attemptNumber}`}>
                  <colgroup>
                    <col className="call" />
                    <col className="status" />
                    <col className="took" />
                    <col />
                  </colgroup>
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
                        <td>{duration(call.durationMs)}</td>
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
    </>
  );
}
