import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../graphql';
import { linkProps } from '../router';

const EnqueueMutation = graphql(`
  mutation EnqueueFromDashboard($input: EnqueueJobInput!) {
    enqueueJob(input: $input) {
      __typename
      ... on EnqueueJobSuccess {
        job {
          id
          entityId
          status
          phase
        }
      }
      ... on DuplicateActiveJobError {
        message
        existingJobId
      }
      ... on InputError {
        message
        field
      }
      ... on Error {
        message
      }
    }
  }
`);

const fixtures = [
  ['c_1001', 'succeeds'],
  ['c_flaky', 'fails once, then succeeds'],
  ['c_1002', 'rate limited until DEAD'],
  ['c_missing', 'FAILED, NotFound'],
  ['i_2001', 'invoice, succeeds'],
  ['i_flaky', 'invoice, fails once'],
  ['i_2002', 'invoice, rate limited'],
] as const;

export function EnqueueForm() {
  const [{ fetching }, enqueue] = useMutation(EnqueueMutation);
  const [result, setResult] = useState<{ kind: 'ok' | 'error'; text: string; jobId?: string } | undefined>();

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const scheduled = (form.get('scheduledAt') as string) || '';
    const maxRetries = (form.get('maxRetries') as string) || '';
    const { data, error } = await enqueue({
      input: {
        jobType: form.get('jobType') as 'CUSTOMER_SYNC' | 'INVOICE_SYNC',
        entityId: (form.get('entityId') as string) ?? '',
        priority: form.get('priority') as 'LOW' | 'NORMAL' | 'HIGH',
        maxRetries: maxRetries === '' ? undefined : Number(maxRetries),
        scheduledAt: scheduled ? new Date(scheduled).toISOString() : undefined,
      },
    });
    const outcome = data?.enqueueJob;
    if (!outcome) return setResult({ kind: 'error', text: error?.message ?? 'The request failed.' });
    if (outcome.__typename === 'EnqueueJobSuccess') {
      setResult({ kind: 'ok', text: `Enqueued job ${outcome.job.id} (${outcome.job.entityId}).`, jobId: outcome.job.id });
      // Ready for the next one; a refused enqueue keeps what was typed, to correct it.
      element.reset();
    } else if (outcome.__typename === 'DuplicateActiveJobError') setResult({ kind: 'error', text: outcome.message, jobId: outcome.existingJobId });
    else setResult({ kind: 'error', text: outcome.message });
  };

  return (
    <form className="enqueue" onSubmit={onSubmit} aria-labelledby="enqueue-heading">
      <h2 id="enqueue-heading">Enqueue a job</h2>
      <label>
        Type
        <select name="jobType" defaultValue="CUSTOMER_SYNC">
          <option value="CUSTOMER_SYNC">customer_sync</option>
          <option value="INVOICE_SYNC">invoice_sync</option>
        </select>
      </label>
      <label>
        Entity id
        <input name="entityId" required list="fixture-ids" placeholder="c_1001" autoComplete="off" />
        <datalist id="fixture-ids">
          {fixtures.map(([id, what]) => (
            <option key={id} value={id}>
              {what}
            </option>
          ))}
        </datalist>
      </label>
      <label>
        Priority
        <select name="priority" defaultValue="NORMAL">
          <option>LOW</option>
          <option>NORMAL</option>
          <option>HIGH</option>
        </select>
      </label>
      <label>
        Max retries
        <input name="maxRetries" type="number" min={0} max={25} placeholder="3" />
      </label>
      <label>
        Not before
        <input name="scheduledAt" type="datetime-local" />
      </label>
      <button type="submit" disabled={fetching}>
        Enqueue
      </button>
      {result && (
        <p className={`message ${result.kind}`} role={result.kind === 'error' ? 'alert' : 'status'}>
          {result.text} {result.jobId && <a {...linkProps(`/jobs/${result.jobId}`)}>Open job {result.jobId}</a>}
        </p>
      )}
      <p className="hint">Try: {fixtures.map(([id, what]) => `${id} (${what})`).join(' · ')}</p>
    </form>
  );
}
