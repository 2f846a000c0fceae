/** The actions the job's state allows (a cancel asks first), and what came of the last one. */
import { useState } from 'react';
import { useMutation } from 'urql';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { navigate } from '../../router';
import { CancelMutation, ReplayMutation, RetryMutation, type JobDetailData } from './operations';

export function JobActions({ job, canAct }: { job: JobDetailData; canAct: boolean }) {
  const [confirmingCancel, setConfirmingCancel] = useState(false);
  const [retryState, retry] = useMutation(RetryMutation);
  const [cancelState, cancel] = useMutation(CancelMutation);
  const [replayState, replay] = useMutation(ReplayMutation);
  const [message, setMessage] = useState<{ kind: 'error' | 'ok'; text: string } | undefined>();
  const [attemptId, setAttemptId] = useState<string>('');
  const failedAttempts = job.attempts.filter((attempt) => !attempt.success);
  const busy = retryState.fetching || cancelState.fetching || replayState.fetching;

  const report = (result: { __typename: string; message?: string } | undefined, ok: string) => {
    if (!result) return setMessage({ kind: 'error', text: 'The request failed; try again.' });
    if ('message' in result && result.message) setMessage({ kind: 'error', text: result.message });
    else setMessage({ kind: 'ok', text: ok });
  };

  return (
    <>
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
    </>
  );
}
