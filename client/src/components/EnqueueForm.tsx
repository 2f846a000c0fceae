import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../graphql';
import { asJobType, useJobTypes } from '../jobTypes';
import { requestProblem } from '../outcome';
import { fromUtcInput } from '../time';
import { linkProps } from '../router';
import { PayloadFields, payloadFromForm } from './PayloadFields';

const EnqueueMutation = graphql(`
  mutation EnqueueFromDashboard($input: EnqueueJobInput!) {
    enqueueJob(input: $input) {
      __typename
      ... on EnqueueJobSuccess {
        coalesced
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

/** The demo's records (its built-in mock CRM), offered for the demo's two types. */
const demoFixtures: Record<string, readonly (readonly [string, string])[]> = {
  CUSTOMER_SYNC: [
    ['c_1001', 'succeeds'],
    ['c_flaky', 'fails once, then succeeds'],
    ['c_1002', 'rate limited until DEAD'],
    ['c_missing', 'FAILED, NotFound'],
  ],
  INVOICE_SYNC: [
    ['i_2001', 'invoice, succeeds'],
    ['i_flaky', 'invoice, fails once'],
    ['i_2002', 'invoice, rate limited'],
  ],
};

type Result = { kind: 'ok' | 'error'; text: string; jobId?: string; field?: string };

/** The type whose demo record `entityId` is, when that is not `jobType`: such a job could only fail NotFound. */
function fixtureTypeOf(entityId: string, jobType: string | undefined): string | undefined {
  return Object.keys(demoFixtures).find((other) => other !== jobType && demoFixtures[other]!.some(([id]) => id === entityId.trim()));
}

export function EnqueueForm() {
  const [{ fetching }, enqueue] = useMutation(EnqueueMutation);
  const { types } = useJobTypes();
  const registered = types.filter((type) => type.registered);
  const [chosen, setChosen] = useState<string | undefined>();
  const [result, setResult] = useState<Result | undefined>();
  const type = registered.find((candidate) => candidate.jobType === chosen) ?? registered[0];
  const fixtures = (type && demoFixtures[type.jobType]) ?? [];

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!type) return;
    const element = event.currentTarget;
    const form = new FormData(element);
    const scheduled = (form.get('scheduledAt') as string) || '';
    const maxRetries = (form.get('maxRetries') as string) || '';
    const otherType = fixtureTypeOf((form.get('entityId') as string) ?? '', type.jobType);
    if (otherType && registered.some((candidate) => candidate.jobType === otherType)) {
      return setResult({
        kind: 'error',
        text: `${String(form.get('entityId')).trim()} is one of ${otherType.toLowerCase()}'s demo records: as a ${type.jobType.toLowerCase()} it could only fail NotFound. Choose ${otherType.toLowerCase()}, or another id.`,
        field: 'entityId',
      });
    }
    let payload: unknown;
    try {
      payload = payloadFromForm(form, type.payloadSchema);
    } catch (problem) {
      return setResult({ kind: 'error', text: (problem as Error).message, field: 'payload' });
    }
    const { data, error } = await enqueue({
      input: {
        jobType: asJobType(type.jobType),
        entityId: (form.get('entityId') as string) ?? '',
        priority: form.get('priority') as 'LOW' | 'NORMAL' | 'HIGH',
        maxRetries: maxRetries === '' ? undefined : Number(maxRetries),
        scheduledAt: fromUtcInput(scheduled),
        payload,
      },
    });
    const outcome = data?.enqueueJob;
    if (!outcome) return setResult({ kind: 'error', text: requestProblem(error) });
    if (outcome.__typename === 'EnqueueJobSuccess') {
      const text = outcome.coalesced
        ? `Coalesced into job ${outcome.job.id} (${outcome.job.entityId}), which was already waiting: no new job.`
        : `Enqueued job ${outcome.job.id} (${outcome.job.entityId}).`;
      setResult({ kind: 'ok', text, jobId: outcome.job.id });
      // Ready for the next one; a refused enqueue keeps what was typed, to correct it.
      element.reset();
    } else if (outcome.__typename === 'DuplicateActiveJobError') setResult({ kind: 'error', text: outcome.message, jobId: outcome.existingJobId });
    else if (outcome.__typename === 'InputError') setResult({ kind: 'error', text: outcome.message, field: outcome.field ?? undefined });
    else setResult({ kind: 'error', text: outcome.message });
  };
  const payloadError = result?.field?.startsWith('payload') ? { field: result.field, message: result.text } : undefined;

  return (
    <form className="enqueue" onSubmit={onSubmit} aria-labelledby="enqueue-heading">
      <h2 id="enqueue-heading">Enqueue a job</h2>
      <label>
        Type
        <select
          name="jobType"
          value={type?.jobType ?? ''}
          onChange={(event) => {
            setChosen(event.target.value);
            setResult(undefined);
          }}
        >
          {registered.map((candidate) => (
            <option key={candidate.jobType} value={candidate.jobType} title={candidate.description ?? undefined}>
              {candidate.jobType.toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <label>
        Entity id
        <input
          name="entityId"
          required
          list="fixture-ids"
          placeholder={fixtures[0]?.[0] ?? 'the source record id'}
          autoComplete="off"
          aria-invalid={result?.field === 'entityId' || undefined}
          onChange={(event) => {
            // A demo record of the other type (picked from the hint, or typed): that type is meant.
            const otherType = fixtureTypeOf(event.target.value, type?.jobType);
            if (!otherType || !registered.some((candidate) => candidate.jobType === otherType)) return;
            setChosen(otherType);
            setResult({ kind: 'ok', text: `${event.target.value.trim()} is one of ${otherType.toLowerCase()}'s demo records: the type is now ${otherType.toLowerCase()}.` });
          }}
        />
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
        Not before (UTC)
        <input name="scheduledAt" type="datetime-local" />
      </label>
      {type && <PayloadFields key={type.jobType} schema={type.payloadSchema} takesPayload={type.takesPayload} error={payloadError} />}
      <button type="submit" disabled={fetching || !type}>
        Enqueue
      </button>
      {result && !payloadError && (
        <p className={`message ${result.kind}`} role={result.kind === 'error' ? 'alert' : 'status'}>
          {result.text} {result.jobId && <a {...linkProps(`/jobs/${result.jobId}`)}>Open job {result.jobId}</a>}
        </p>
      )}
      {type?.paused && (
        <p className="hint paused-note" role="note">
          ‖ {type.jobType.toLowerCase()} is paused: a job enqueued now waits until the type is resumed.
        </p>
      )}
      {type?.description && <p className="hint">{type.description}</p>}
      {fixtures.length > 0 && <p className="hint">Try: {fixtures.map(([id, what]) => `${id} (${what})`).join(' · ')}</p>}
    </form>
  );
}
