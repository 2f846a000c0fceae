/** The actions the job's state allows (a cancel asks first), and what came of the last one. */
import { useState } from 'react';
import { useMutation } from 'urql';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { navigate } from '../../router';
import { outcomeOf, type Outcome } from '../../outcome';
import { CancelMutation, ReplayMutation, RetryMutation, RunNowMutation, type JobDetailData } from './operations';

export function JobActions({ job, canAct }: { job: JobDetailData; canAct: boolean }) {
  const [confirmingCancel, setConfirmingCancel] = useState(false);
  const [retryState, retry] = useMutation(RetryMutation);
  const [cancelState, cancel] = useMutation(CancelMutation);
  const [replayState, replay] = useMutation(ReplayMutation);
  const [runNowState, runNow] = useMutation(RunNowMutation);
  const [message, setMessage] = useState<Outcome | undefined>();
  const [attemptId, setAttemptId] = useState<string>('');
  const failedAttempts = job.attempts.filter((attempt) => !attempt.success);
  const busy = retryState.fetching || cancelState.fetching || replayState.fetching || runNowState.fetching;
  // Waiting for its time (scheduled, a retry's backoff, a debounce), not behind a running job of its entity.
  const waitingForTime = job.status === 'PENDING' && (job.phase === 'SCHEDULED' || job.phase === 'RETRY_SCHEDULED');
  const active = job.status === 'PENDING' || job.status === 'RUNNING';
  // Replay makes a new job of the same pair: while this one is active that is refused (or, for a
  // coalescing type, folded into this very job), so it is offered only once the job has ended.
  const replayable = !active && failedAttempts.length > 0;

  return (
    <>
      {canAct && (
        <div className="actions" role="group" aria-label="Actions">
          {job.status === 'FAILED' && (
            <button
              type="button"
              disabled={busy}
              onClick={async () => {
                const { data, error } = await retry({ id: job.id });
                setMessage(outcomeOf(data?.retryJob, error, 'RetryJobSuccess', 'Queued again.'));
              }}
            >
              Retry
            </button>
          )}
          {waitingForTime && (
            <button
              type="button"
              disabled={busy}
              onClick={async () => {
                const { data, error } = await runNow({ id: job.id });
                setMessage(outcomeOf(data?.runJobNow, error, 'RunJobNowSuccess', 'Due now: the next free worker runs it.'));
              }}
            >
              Run now
            </button>
          )}
          {active && (
            <button type="button" className="danger" disabled={busy} onClick={() => setConfirmingCancel(true)}>
              Cancel…
            </button>
          )}
          {replayable && (
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
                  const { data, error } = await replay({ id: job.id, attemptId: attemptId || undefined });
                  const result = data?.replayJob;
                  if (result?.__typename === 'ReplayJobSuccess' && 'job' in result) navigate(`/jobs/${result.job.id}`);
                  else setMessage(outcomeOf(result, error, 'ReplayJobSuccess', ''));
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
          confirmLabel={`Cancel job ${job.id}`}
          dismissLabel="Keep it"
          danger
          busy={busy}
          onClose={() => setConfirmingCancel(false)}
          onConfirm={async () => {
            const { data, error } = await cancel({ id: job.id });
            setMessage(outcomeOf(data?.cancelJob, error, 'CancelJobSuccess', 'Canceled.'));
            setConfirmingCancel(false);
          }}
        >
          <p>
            {job.entityType} {job.entityId} will not be synced by this job{job.status === 'RUNNING' ? '; its running attempt is told to stop' : ''}.{' '}
            {failedAttempts.length > 0
              ? 'Its failed attempts can still be replayed once it has ended.'
              : 'To sync it later, enqueue it again: a job with no failed attempt has nothing to replay.'}
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
