/**
 * The jobs table: a page of the `jobs` connection for the filter in the URL, kept live by the
 * `jobUpdated` stream. Graphcache patches rows in place; the page refetches only when a job
 * enters or leaves the filtered list (a new job, a status change out of the filter). Rows can be
 * selected (or every job matching the filter) for bulk actions; `/` searches, `j`/`k` move
 * between rows and `Enter` opens one. Its parts are in ./jobs/.
 */
import { useMemo, useRef, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { BulkActions, type BulkMessage } from '../components/BulkActions';
import { filterFromParams, hasConditions, matches, sortFields, sortOf, sortParam, withParams } from '../filters';
import { navigate } from '../router';
import { useJobTypes } from '../jobTypes';
import { graphql, readFragment, type FragmentOf } from '../graphql';
import { useMembershipRefetch, useRefetchOnReconnect } from '../hooks';
import { FilterForm } from './jobs/FilterForm';
import { JobRow } from './jobs/jobRow';
import { JobsTable } from './jobs/JobsTable';
import { JobsToolbar } from './jobs/JobsToolbar';
import { Pager } from './jobs/Pager';
import { useSelection } from './jobs/useSelection';
import { useTableKeys } from './jobs/useTableKeys';

export { JobRow } from './jobs/jobRow';

const JobsQuery = graphql(
  `
    query JobsPage($first: Int, $after: String, $last: Int, $before: String, $filter: JobFilter, $orderBy: JobOrder) {
      jobs(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
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

/** "221 jobs", and past one page where this one sits: "76–100 of 221 jobs". */
function countWords(total: number, shown: number, page: number): string {
  const jobs = `${total} job${total === 1 ? '' : 's'}`;
  if (total <= pageSize && page === 1) return jobs;
  const first = (page - 1) * pageSize + 1;
  return shown ? `${first}–${first + shown - 1} of ${jobs}` : jobs;
}

export function JobsPage({ params, canAct, canDelete = false }: { params: URLSearchParams; canAct: boolean; canDelete?: boolean }) {
  const paramsKey = params.toString();
  const { types, fetching: typesFetching } = useJobTypes();
  const typeNames = useMemo(() => (types.length ? types.map((type) => type.jobType) : undefined), [types]);
  const filter = useMemo(() => filterFromParams(params, typeNames), [paramsKey, typeNames]); // eslint-disable-line react-hooks/exhaustive-deps
  const after = params.get('after') ?? undefined;
  const before = params.get('before') ?? undefined;
  const sort = sortOf(params);
  const orderBy = sort.column === 'created' && sort.direction === 'DESC' ? undefined : { field: sortFields[sort.column], direction: sort.direction };
  const variables = useMemo(
    () => ({ filter, orderBy, ...(before ? { last: pageSize, before } : { first: pageSize, after }) }),
    [filter, after, before, orderBy?.field, orderBy?.direction], // eslint-disable-line react-hooks/exhaustive-deps
  );
  // The page's place in the list: kept in the URL by the pager (a new filter or order starts at 1).
  const pageNumber = Math.max(1, Number(params.get('page')) || 1);
  // A type in the URL waits for the server's list of types (an unknown one is left out, not sent).
  const [{ data, fetching, error }, refetch] = useQuery({ query: JobsQuery, variables, pause: !typeNames && typesFetching && params.has('type') });
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

  const { selection, bulkFilter, selectAllMatching, clear } = useSelection(
    rows.map((row) => row.id),
    filter,
    paramsKey,
  );
  const [bulkMessage, setBulkMessage] = useState<BulkMessage | undefined>();
  const [messageKey, setMessageKey] = useState(paramsKey);
  if (messageKey !== paramsKey) {
    setMessageKey(paramsKey);
    setBulkMessage(undefined);
  }
  const total = data?.jobs.totalCount ?? 0;
  const searchRef = useRef<HTMLInputElement>(null);
  const tableRef = useRef<HTMLTableElement>(null);
  const current = useTableKeys(rows.length, searchRef, tableRef);

  return (
    <section aria-labelledby="jobs-heading" className="jobs-view">
      <JobsToolbar filter={filter} params={params} />
      <FilterForm filter={filter} formKey={paramsKey} searchRef={searchRef} />
      {error && (
        <p className="message error" role="alert">
          Could not load jobs: {error.message}
        </p>
      )}
      <div className="count-line">
        <p className="count" aria-live="polite" data-testid="job-count">
          {data ? countWords(total, rows.length, pageNumber) : fetching ? 'Loading…' : ''}
        </p>
        {canAct && selection.pageSelected && !selection.allMatching && total > rows.length && hasConditions(filter) && (
          <button type="button" className="link" onClick={selectAllMatching}>
            Select all {total} matching this filter
          </button>
        )}
        {selection.allMatching && (
          <button type="button" className="link" onClick={clear}>
            Clear the selection
          </button>
        )}
      </div>
      {canAct && bulkFilter && (
        <BulkActions
          filter={bulkFilter}
          description={selection.allMatching ? `all ${total} jobs matching this filter` : `${selection.selected.size} selected job${selection.selected.size === 1 ? '' : 's'}`}
          canDelete={canDelete}
          onDone={(message) => {
            setBulkMessage(message);
            if (message.kind === 'ok') clear();
            // Deleted jobs send no live update: read the page again.
            refetch({ requestPolicy: 'network-only' });
          }}
        />
      )}
      {bulkMessage && (
        <p className={`message ${bulkMessage.kind}`} role={bulkMessage.kind === 'error' ? 'alert' : 'status'} data-testid="bulk-result">
          {bulkMessage.text}
        </p>
      )}
      <JobsTable
        rows={rows}
        loaded={Boolean(data)}
        canAct={canAct}
        current={current}
        tableRef={tableRef}
        selection={selection}
        sort={sort}
        onSort={(next) => navigate(withParams(params, { sort: sortParam(next), after: undefined, before: undefined, page: undefined }))}
      />
      <Pager params={params} pageInfo={data?.jobs.pageInfo} page={pageNumber} />
    </section>
  );
}
