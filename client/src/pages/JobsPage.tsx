/**
 * The jobs table: a page of the `jobs` connection for the filter in the URL, kept live by the
 * `jobUpdated` stream. Graphcache patches rows in place; the page refetches only when a job
 * enters or leaves the filtered list (a new job, a status change out of the filter). Rows can be
 * selected (or every job matching the filter) for bulk actions; `/` searches, `j`/`k` move
 * between rows and `Enter` opens one.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useQuery, useSubscription } from 'urql';
import { BulkActions, type BulkMessage } from '../components/BulkActions';
import { StatusBadge } from '../components/StatusBadge';
import { errorTypes, filterFromParams, hasConditions, jobTypes, jobsUrl, localInputValue, matches, phases, statuses, withParams, type JobFilter } from '../filters';
import { graphql, readFragment, type FragmentOf } from '../graphql';
import { useMembershipRefetch, useRefetchOnReconnect } from '../hooks';
import { linkProps, navigate } from '../router';

export const JobRow = graphql(`
  fragment JobRow on Job {
    id
    jobType
    entityId
    status
    phase
    priority
    attemptCount
    maxRetries
    createdAt
    updatedAt
    nextRunAt
    lastErrorType
    correlationId
    isReplay
  }
`);

const JobsQuery = graphql(
  `
    query JobsPage($first: Int, $after: String, $last: Int, $before: String, $filter: JobFilter) {
      jobs(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
        totalCount
        pageInfo {
          hasNextPage
          hasPreviousPage
          startCursor
          endCursor
        }
        edges {
          cursor
          node {
            ...JobRow
          }
        }
      }
    }
  `,
  [JobRow],
);

const JobsLive = graphql(
  `
    subscription JobsLive($jobType: JobType) {
      jobUpdated(jobType: $jobType) {
        ...JobRow
      }
    }
  `,
  [JobRow],
);

const pageSize = 25;
const time = (iso: string) => new Date(iso).toLocaleString(undefined, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const fromLocalInput = (value: FormDataEntryValue | null) => {
  const text = typeof value === 'string' ? value : '';
  return text ? new Date(text).toISOString() : undefined;
};

/** A from–to pair of local date-times, named `<name>After` and `<name>Before`. */
function TimeRange({ legend, name, from, to }: { legend: string; name: string; from?: string; to?: string }) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      <label>
        from <input type="datetime-local" name={`${name}After`} defaultValue={localInputValue(from)} />
      </label>
      <label>
        to <input type="datetime-local" name={`${name}Before`} defaultValue={localInputValue(to)} />
      </label>
    </fieldset>
  );
}

/** Keys for moving through the table without a mouse (not while typing in a field). */
function useTableKeys(rowCount: number, searchRef: React.RefObject<HTMLInputElement | null>, tableRef: React.RefObject<HTMLTableElement | null>) {
  const [current, setCurrent] = useState(-1);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (event.metaKey || event.ctrlKey || event.altKey || target.closest('input, select, textarea, dialog')) return;
      if (event.key === '/') {
        event.preventDefault();
        searchRef.current?.focus();
      } else if (event.key === 'j' || event.key === 'k') {
        event.preventDefault();
        setCurrent((index) => {
          const next = Math.max(0, Math.min(rowCount - 1, index + (event.key === 'j' ? 1 : -1)));
          tableRef.current?.querySelectorAll<HTMLAnchorElement>('tbody tr a.row-link')[next]?.focus();
          return next;
        });
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [rowCount, searchRef, tableRef]);
  return current;
}

export function JobsPage({ params, canAct }: { params: URLSearchParams; canAct: boolean }) {
  const filter = useMemo(() => filterFromParams(params), [params.toString()]); // eslint-disable-line react-hooks/exhaustive-deps
  const after = params.get('after') ?? undefined;
  const before = params.get('before') ?? undefined;
  const variables = useMemo(() => ({ filter, ...(before ? { last: pageSize, before } : { first: pageSize, after }) }), [filter, after, before]);
  const [{ data, fetching, error }, refetch] = useQuery({ query: JobsQuery, variables });
  useRefetchOnReconnect(refetch);

  const rows = data?.jobs.edges.map((edge) => readFragment(JobRow, edge.node)) ?? [];
  const shownIds = useRef(new Set<string>());
  shownIds.current = new Set(rows.map((row) => row.id));

  // Membership changes only on the first page: later pages are a stable window the operator is reading.
  const [{ data: live }] = useSubscription({ query: JobsLive, variables: { jobType: filter.jobType?.length === 1 ? filter.jobType[0] : undefined } });
  useMembershipRefetch(
    live,
    (update) => {
      const job = readFragment(JobRow, update.jobUpdated as FragmentOf<typeof JobRow>);
      return !after && !before && matches(filter, job) !== shownIds.current.has(job.id);
    },
    refetch,
  );

  // Selection: rows by id, or every job the filter matches.
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [bulkMessage, setBulkMessage] = useState<BulkMessage | undefined>();
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
    setBulkMessage(undefined);
  }, [params.toString()]); // eslint-disable-line react-hooks/exhaustive-deps
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const pageSelected = rows.length > 0 && rows.every((row) => selected.has(row.id));
  const total = data?.jobs.totalCount ?? 0;
  const bulkFilter: JobFilter | undefined = allMatching ? (hasConditions(filter) ? filter : undefined) : selected.size ? { ids: [...selected] } : undefined;

  const searchRef = useRef<HTMLInputElement>(null);
  const tableRef = useRef<HTMLTableElement>(null);
  const current = useTableKeys(rows.length, searchRef, tableRef);
  const [copied, setCopied] = useState(false);

  const onFilter = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => ((form.get(name) as string | null) ?? '').trim() || undefined;
    navigate(
      jobsUrl({
        status: text('status'),
        phase: text('phase'),
        type: text('type'),
        entity: text('entity'),
        correlation: text('correlation'),
        error: text('error'),
        createdAfter: fromLocalInput(form.get('createdAfter')),
        createdBefore: fromLocalInput(form.get('createdBefore')),
        finishedAfter: fromLocalInput(form.get('finishedAfter')),
        finishedBefore: fromLocalInput(form.get('finishedBefore')),
      }),
    );
  };

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(location.href);
    } catch {
      // No clipboard access (an insecure origin): the address bar holds the same link.
      window.prompt('Copy this link', location.href);
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2_000);
  };

  const statusValue = filter.status?.join(',') ?? '';
  const entityValue = filter.entityIdPrefix !== undefined ? `${filter.entityIdPrefix}*` : (filter.entityId ?? '');
  const pageInfo = data?.jobs.pageInfo;
  const quick = (href: string, label: string, isCurrent: boolean) => (
    <a {...linkProps(href)} aria-current={isCurrent ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <section aria-labelledby="jobs-heading" className="jobs-view">
      <div className="toolbar">
        <h1 id="jobs-heading">Jobs</h1>
        <nav className="quick" aria-label="Quick filters">
          {quick('/', 'All', !hasConditions(filter))}
          {quick('/?status=DEAD', 'Dead letters', statusValue === 'DEAD' && Object.keys(filter).filter((key) => filter[key as keyof JobFilter]).length === 1)}
          {quick('/?status=FAILED', 'Failed', statusValue === 'FAILED' && !filter.jobType)}
          {quick('/?phase=RETRY_SCHEDULED', 'Retry scheduled', filter.phase === 'RETRY_SCHEDULED')}
          {quick('/?status=RUNNING', 'Running', statusValue === 'RUNNING')}
        </nav>
        <button type="button" className="secondary" onClick={() => void copyLink()} aria-live="polite">
          {copied ? 'Link copied' : 'Copy link'}
        </button>
      </div>
      <form className="filters" onSubmit={onFilter} key={params.toString()} aria-label="Filter jobs" role="search">
        <label>
          <span>
            Entity id (<kbd>/</kbd>; <code>c_10*</code> for a prefix)
          </span>
          <input name="entity" ref={searchRef} defaultValue={entityValue} placeholder="c_1001" autoComplete="off" />
        </label>
        <label>
          Correlation id
          <input name="correlation" defaultValue={filter.correlationId ?? ''} placeholder="uuid" autoComplete="off" />
        </label>
        <label>
          Status
          <select name="status" defaultValue={statusValue}>
            <option value="">any</option>
            {statusValue.includes(',') && <option value={statusValue}>{statusValue}</option>}
            {statuses.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          Phase
          <select name="phase" defaultValue={filter.phase ?? ''}>
            <option value="">any</option>
            {phases.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select name="type" defaultValue={filter.jobType?.[0] ?? ''}>
            <option value="">any</option>
            {jobTypes.map((value) => (
              <option key={value} value={value}>
                {value.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <label>
          Error type
          <select name="error" defaultValue={filter.errorType ?? ''}>
            <option value="">any</option>
            {filter.errorType && !(errorTypes as readonly string[]).includes(filter.errorType) && <option value={filter.errorType}>{filter.errorType}</option>}
            {errorTypes.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <TimeRange legend="Created" name="created" from={filter.createdAfter} to={filter.createdBefore} />
        <TimeRange legend="Finished" name="finished" from={filter.finishedAfter} to={filter.finishedBefore} />
        <div className="filter-buttons">
          <button type="submit">Search</button>
          <button type="button" className="secondary" onClick={() => navigate('/')}>
            Clear
          </button>
        </div>
      </form>
      {error && (
        <p className="message error" role="alert">
          Could not load jobs: {error.message}
        </p>
      )}
      <div className="count-line">
        <p className="count" aria-live="polite" data-testid="job-count">
          {data ? `${total} job${total === 1 ? '' : 's'}` : fetching ? 'Loading…' : ''}
        </p>
        {canAct && pageSelected && !allMatching && total > rows.length && hasConditions(filter) && (
          <button type="button" className="link" onClick={() => setAllMatching(true)}>
            Select all {total} matching this filter
          </button>
        )}
        {allMatching && (
          <button type="button" className="link" onClick={() => (setAllMatching(false), setSelected(new Set()))}>
            Clear the selection
          </button>
        )}
      </div>
      {canAct && bulkFilter && (
        <BulkActions
          filter={bulkFilter}
          description={allMatching ? `all ${total} jobs matching this filter` : `${selected.size} selected job${selected.size === 1 ? '' : 's'}`}
          onDone={(message) => {
            setBulkMessage(message);
            if (message.kind === 'ok') {
              setSelected(new Set());
              setAllMatching(false);
            }
          }}
        />
      )}
      {bulkMessage && (
        <p className={`message ${bulkMessage.kind}`} role={bulkMessage.kind === 'error' ? 'alert' : 'status'} data-testid="bulk-result">
          {bulkMessage.text}
        </p>
      )}
      <div className="table-scroll">
        <table className="jobs" ref={tableRef}>
          <thead>
            <tr>
              {canAct && (
                <th scope="col" className="select">
                  <input
                    type="checkbox"
                    aria-label="Select every job on this page"
                    checked={pageSelected || allMatching}
                    onChange={() => {
                      setAllMatching(false);
                      setSelected(pageSelected ? new Set() : new Set(rows.map((row) => row.id)));
                    }}
                  />
                </th>
              )}
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
            {rows.map((job, index) => (
              <tr key={job.id} data-job-id={job.id} data-entity={job.entityId} className={index === current ? 'current' : undefined}>
                {canAct && (
                  <td className="select" data-label="Select">
                    <input
                      type="checkbox"
                      aria-label={`Select job ${job.id}`}
                      checked={allMatching || selected.has(job.id)}
                      disabled={allMatching}
                      onChange={() => toggle(job.id)}
                    />
                  </td>
                )}
                <td data-label="#">
                  <a className="row-link" {...linkProps(`/jobs/${job.id}`)}>
                    {job.id}
                  </a>
                  {job.isReplay && (
                    <span className="tag" title="replay" aria-label="replay">
                      ↺
                    </span>
                  )}
                </td>
                <td data-label="Type">{job.jobType.toLowerCase()}</td>
                <td data-label="Entity">
                  <a {...linkProps(`/jobs/${job.id}`)} tabIndex={-1}>
                    {job.entityId}
                  </a>
                </td>
                <td data-label="Status">
                  <StatusBadge status={job.status} phase={job.phase} />
                </td>
                <td data-label="Attempts">
                  {job.attemptCount} / {job.maxRetries + 1}
                </td>
                <td data-label="Last error">{job.lastErrorType ?? ''}</td>
                <td data-label="Created">{time(job.createdAt)}</td>
                <td data-label="Next run">{job.status === 'PENDING' ? time(job.nextRunAt) : ''}</td>
              </tr>
            ))}
            {data && !rows.length && (
              <tr>
                <td colSpan={canAct ? 9 : 8} className="empty">
                  No jobs match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          disabled={!pageInfo?.hasPreviousPage && !after}
          onClick={() => navigate(withParams(params, { before: pageInfo?.startCursor ?? undefined, after: undefined }))}
        >
          ← Newer
        </button>
        <button
          type="button"
          disabled={!pageInfo?.hasNextPage && !before}
          onClick={() => navigate(withParams(params, { after: pageInfo?.endCursor ?? undefined, before: undefined }))}
        >
          Older →
        </button>
        <span className="muted keys">
          <kbd>/</kbd> search · <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Enter</kbd> open
        </span>
      </nav>
    </section>
  );
}
