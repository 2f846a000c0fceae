/**
 * Job types, live: paused or not (or waiting for an upstream whose circuit is open), the concurrency limit, pending and running (in every process),
 * with pause/resume and the limit for operators. Graphcache keys each type by its name, so the
 * `jobTypesUpdated` stream and the mutations' answers update the same rows.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useSubscription, type CombinedError } from 'urql';
import { graphql } from '../graphql';
import { useRefetchOnReconnect } from '../hooks';
import { linkProps } from '../router';
import { outcomeOf, type Answer } from '../outcome';

const JobTypeFields = graphql(`
  fragment JobTypeFields on JobTypeStatus {
    jobType
    paused
    heldBy
    concurrency
    pending
    running
  }
`);
const JobTypesQuery = graphql(
  `
    query JobTypesPanel {
      jobTypes {
        ...JobTypeFields
      }
    }
  `,
  [JobTypeFields],
);
const JobTypesLive = graphql(
  `
    subscription JobTypesLive {
      jobTypesUpdated {
        ...JobTypeFields
      }
    }
  `,
  [JobTypeFields],
);
const PauseJobType = graphql(
  `
    mutation PauseFromDashboard($jobType: JobType!) {
      pauseJobType(jobType: $jobType) {
        __typename
        ... on JobTypeStatus {
          ...JobTypeFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
  [JobTypeFields],
);
const ResumeJobType = graphql(
  `
    mutation ResumeFromDashboard($jobType: JobType!) {
      resumeJobType(jobType: $jobType) {
        __typename
        ... on JobTypeStatus {
          ...JobTypeFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
  [JobTypeFields],
);
const SetConcurrency = graphql(
  `
    mutation ConcurrencyFromDashboard($jobType: JobType!, $concurrency: Int) {
      setJobTypeConcurrency(jobType: $jobType, concurrency: $concurrency) {
        __typename
        ... on JobTypeStatus {
          ...JobTypeFields
        }
        ... on Error {
          message
        }
      }
    }
  `,
  [JobTypeFields],
);

interface JobTypeRow {
  jobType: 'CUSTOMER_SYNC' | 'INVOICE_SYNC';
  paused: boolean;
  /** An upstream whose circuit is open: the type's jobs wait for it. */
  heldBy: string | null;
  concurrency: number | null;
  pending: number;
  running: number;
}

export function JobTypesPanel({ canAct }: { canAct: boolean }) {
  const [{ data }, refetch] = useQuery({ query: JobTypesQuery });
  useSubscription({ query: JobTypesLive });
  useRefetchOnReconnect(refetch);
  const [, pause] = useMutation(PauseJobType);
  const [, resume] = useMutation(ResumeJobType);
  const [, setConcurrency] = useMutation(SetConcurrency);
  const [problem, setProblem] = useState<string | undefined>();
  const rows = (data?.jobTypes ?? []) as unknown as JobTypeRow[];

  /** Each of these mutations answers one field: JobTypeStatus, or a typed refusal. */
  const report = ({ data, error }: { data?: Record<string, Answer>; error?: CombinedError }) => {
    const outcome = outcomeOf(data && Object.values(data)[0], error, 'JobTypeStatus', '');
    setProblem(outcome.kind === 'error' ? outcome.text : undefined);
  };

  const onLimit = async (event: FormEvent<HTMLFormElement>, jobType: JobTypeRow['jobType']) => {
    event.preventDefault();
    const raw = String(new FormData(event.currentTarget).get('concurrency') ?? '').trim();
    report(await setConcurrency({ jobType, concurrency: raw === '' ? null : Number(raw) }));
  };

  return (
    <section className="panel job-types" aria-labelledby="job-types-heading">
      <h2 id="job-types-heading">Job types</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">State</th>
            <th scope="col">Pending</th>
            <th scope="col">Running</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.jobType} data-job-type={row.jobType}>
              <th scope="row">
                <a {...linkProps(`/?type=${row.jobType}`)}>{row.jobType.toLowerCase()}</a>
              </th>
              <td data-testid="job-type-state">
                {row.paused ? (
                  'paused'
                ) : row.heldBy ? (
                  <span title={`The circuit breaker of ${row.heldBy} is open: its jobs wait, uncharged, until a probe finds it back.`}>waits for {row.heldBy}</span>
                ) : (
                  'active'
                )}
              </td>
              <td>{row.pending}</td>
              <td>
                {row.running}
                {row.concurrency !== null && <span className="muted"> / {row.concurrency}</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {canAct &&
        rows.map((row) => (
          <div className="job-type-controls" key={row.jobType} role="group" aria-label={`${row.jobType.toLowerCase()} controls`}>
            <button
              type="button"
              className={row.paused ? undefined : 'secondary'}
              onClick={async () => report(row.paused ? await resume({ jobType: row.jobType }) : await pause({ jobType: row.jobType }))}
            >
              {row.paused ? 'Resume' : 'Pause'} {row.jobType.toLowerCase()}
            </button>
            <form onSubmit={(event) => void onLimit(event, row.jobType)} key={`${row.jobType}:${row.concurrency}`}>
              <label>
                Limit{' '}
                <input
                  name="concurrency"
                  type="number"
                  min={1}
                  max={10000}
                  defaultValue={row.concurrency ?? ''}
                  placeholder="none"
                  aria-label={`Concurrency limit of ${row.jobType.toLowerCase()}`}
                />
              </label>
              <button type="submit" className="secondary">
                Set
              </button>
            </form>
          </div>
        ))}
      {problem && (
        <p className="message error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
