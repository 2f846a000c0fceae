/**
 * The jobs table: a page of the `jobs` connection for the filters in the URL, kept live by the
 * `jobUpdated` stream. Graphcache patches rows in place; the page refetches only when a job
 * enters or leaves the filtered list (a new job, a status change out of the filter).
 */
import { useEffect, useMemo, useRef, type FormEvent } from 'react';
import { useQuery, useSubscription } from 'urql';
import { StatusBadge } from '../components/StatusBadge';
import { useReconnectGeneration } from '../connection';
import { graphql, readFragment, type FragmentOf } from '../graphql';
import { linkProps, navigate } from '../router';

export const JobRow = graphql(`
  fragment JobRow on Job {
    id jobType entityId status phase priority attemptCount maxRetries createdAt updatedAt nextRunAt lastErrorType isReplay
  }
`);

const JobsQuery = graphql(
  `query JobsPage($first: Int, $after: String, $last: Int, $before: String, $status: [JobStatus!], $phase: JobPhase, $jobType: JobType, $entityId: String) {
    jobs(first: $first, after: $after, last: $last, before: $before, status: $status, phase: $phase, jobType: $jobType, entityId: $entityId) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { ...JobRow } }
    }
  }`,
  [JobRow],
);

const JobsLive = graphql(
  `subscription JobsLive($jobType: JobType) { jobUpdated(jobType: $jobType) { ...JobRow } }`,
  [JobRow],
);

const statuses = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELED'] as const;
const phases = ['QUEUED', 'SCHEDULED', 'RETRY_SCHEDULED', 'RUNNING', 'LEASE_EXPIRED', 'FINISHED'] as const;
const pageSize = 25;

type Status = (typeof statuses)[number];
type Phase = (typeof phases)[number];

function withParams(params: URLSearchParams, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    if (value) next.set(key, value);
    else next.delete(key);
  }
  const query = next.toString();
  return query ? `/?${query}` : '/';
}

const time = (iso: string) => new Date(iso).toLocaleString(undefined, { hour12: false });

export function JobsPage({ params }: { params: URLSearchParams }) {
  const status = (params.get('status')?.split(',').filter((s): s is Status => (statuses as readonly string[]).includes(s)) ?? []);
  const phase = (phases as readonly string[]).includes(params.get('phase') ?? '') ? (params.get('phase') as Phase) : undefined;
  const jobType = params.get('type') === 'INVOICE_SYNC' || params.get('type') === 'CUSTOMER_SYNC' ? (params.get('type') as 'INVOICE_SYNC') : undefined;
  const entityId = params.get('entity') ?? undefined;
  const after = params.get('after') ?? undefined;
  const before = params.get('before') ?? undefined;

  const variables = useMemo(
    () => ({
      status: status.length ? status : undefined,
      phase,
      jobType,
      entityId: entityId || undefined,
      ...(before ? { last: pageSize, before } : { first: pageSize, after }),
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [params.toString()],
  );
  const [{ data, fetching, error }, refetch] = useQuery({ query: JobsQuery, variables });
  const generation = useReconnectGeneration();
  useEffect(() => {
    if (generation) refetch({ requestPolicy: 'network-only' });
  }, [generation, refetch]);

  const rows = data?.jobs.edges.map((edge) => readFragment(JobRow, edge.node)) ?? [];
  const shownIds = useRef(new Set<string>());
  shownIds.current = new Set(rows.map((row) => row.id));

  // Membership changes: refetch, at most every 300 ms, only on the first page (later pages are
  // a stable window the operator is reading).
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const [{ data: live }] = useSubscription({ query: JobsLive, variables: { jobType } });
  useEffect(() => {
    if (!live) return;
    const job = readFragment(JobRow, live.jobUpdated as FragmentOf<typeof JobRow>);
    const matches =
      (!status.length || status.includes(job.status as Status)) &&
      (!phase || job.phase === phase) &&
      (!entityId || job.entityId === entityId);
    const shown = shownIds.current.has(job.id);
    if (matches !== shown && !after && !before && !refetchTimer.current) {
      refetchTimer.current = setTimeout(() => {
        refetchTimer.current = undefined;
        refetch({ requestPolicy: 'network-only' });
      }, 300);
    }
  }, [live]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => () => clearTimeout(refetchTimer.current), []);

  const onFilter = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    navigate(
      withParams(new URLSearchParams(), {
        status: (form.get('status') as string) || undefined,
        phase: (form.get('phase') as string) || undefined,
        type: (form.get('type') as string) || undefined,
        entity: ((form.get('entity') as string) || '').trim() || undefined,
      }),
    );
  };

  const pageInfo = data?.jobs.pageInfo;
  return (
    <section aria-labelledby="jobs-heading">
      <div className="toolbar">
        <h1 id="jobs-heading">Jobs</h1>
        <nav className="quick" aria-label="Quick filters">
          <a {...linkProps('/')} aria-current={!params.toString() ? 'page' : undefined}>All</a>
          <a {...linkProps('/?status=DEAD')} aria-current={params.get('status') === 'DEAD' ? 'page' : undefined}>Dead letters</a>
          <a {...linkProps('/?status=FAILED')}>Failed</a>
          <a {...linkProps('/?phase=RETRY_SCHEDULED')}>Retry scheduled</a>
          <a {...linkProps('/?status=RUNNING')}>Running</a>
        </nav>
      </div>
      <form className="filters" onSubmit={onFilter} key={params.toString()} aria-label="Filter jobs">
        <label>
          Status
          <select name="status" defaultValue={status.join(',')}>
            <option value="">any</option>
            {statuses.map((value) => (
              <option key={value} value={value}>{value}</option>
            ))}
          </select>
        </label>
        <label>
          Phase
          <select name="phase" defaultValue={phase ?? ''}>
            <option value="">any</option>
            {phases.map((value) => (
              <option key={value} value={value}>{value}</option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select name="type" defaultValue={jobType ?? ''}>
            <option value="">any</option>
            <option value="CUSTOMER_SYNC">customer_sync</option>
            <option value="INVOICE_SYNC">invoice_sync</option>
          </select>
        </label>
        <label>
          Entity
          <input name="entity" defaultValue={entityId ?? ''} placeholder="e.g. c_1001" />
        </label>
        <button type="submit">Apply</button>
      </form>
      {error && <p className="message error" role="alert">Could not load jobs: {error.message}</p>}
      <p className="count" aria-live="polite">
        {data ? `${data.jobs.totalCount} job${data.jobs.totalCount === 1 ? '' : 's'}` : fetching ? 'Loading…' : ''}
      </p>
      <table className="jobs">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Type</th>
            <th scope="col">Entity</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error</th>
            <th scope="col">Created</th>
            <th scope="col">Next run</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((job) => (
            <tr key={job.id} data-job-id={job.id} data-entity={job.entityId}>
              <td><a {...linkProps(`/jobs/${job.id}`)}>{job.id}</a>{job.isReplay && <span className="tag" title="replay">↺</span>}</td>
              <td>{job.jobType.toLowerCase()}</td>
              <td><a {...linkProps(`/jobs/${job.id}`)}>{job.entityId}</a></td>
              <td><StatusBadge status={job.status} phase={job.phase} /></td>
              <td>{job.attemptCount} / {job.maxRetries + 1}</td>
              <td>{job.lastErrorType ?? ''}</td>
              <td>{time(job.createdAt)}</td>
              <td>{job.status === 'PENDING' ? time(job.nextRunAt) : ''}</td>
            </tr>
          ))}
          {data && !rows.length && (
            <tr>
              <td colSpan={8} className="empty">No jobs match.</td>
            </tr>
          )}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={!pageInfo?.hasPreviousPage && !after} onClick={() => navigate(withParams(params, { before: pageInfo?.startCursor ?? undefined, after: undefined }))}>
          ← Newer
        </button>
        <button type="button" disabled={!pageInfo?.hasNextPage && !before} onClick={() => navigate(withParams(params, { after: pageInfo?.endCursor ?? undefined, before: undefined }))}>
          Older →
        </button>
      </nav>
    </section>
  );
}
