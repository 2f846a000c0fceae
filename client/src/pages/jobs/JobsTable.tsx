/**
 * The jobs table: one row per job of the page, selectable for bulk actions, the current row (j/k)
 * marked. Its columns have fixed widths (a live badge or a longer error wraps inside its cell,
 * it never widens a column or pushes one out of view); times are relative, exact on hover.
 */
import type { RefObject } from 'react';
import { StatusBadge } from '../../components/StatusBadge';
import { usePausedTypes } from '../../jobTypes';
import { linkProps } from '../../router';
import { RelativeTime, duration } from '../../time';
import type { Sort, SortColumn } from '../../filters';
import type { JobRowData } from './jobRow';

/** Widths in rem, except the two text columns, which share what is left (measured to fit 1024 px). */
const columns = [
  ['#', 'id', '3.75rem'],
  ['Entity · type', 'entity', undefined],
  ['Status', 'status', '10rem'],
  ['Attempts', 'attempts', '5.5rem'],
  ['Last error', 'error', undefined],
  ['Created', 'created', '6rem'],
  ['Finished', 'finished', '6rem'],
  ['Took', 'took', '4.75rem'],
  ['Next run', 'next', '5.5rem'],
] as const;
const sortable = new Set<string>(['created', 'finished', 'took']);

/** A sortable column's header: a button that sorts by it, newest or largest first, then the other way. */
function SortHeader({ label, column, sort, onSort }: { label: string; column: SortColumn; sort: Sort; onSort(sort: Sort): void }) {
  const active = sort.column === column;
  return (
    <th scope="col" aria-sort={active ? (sort.direction === 'ASC' ? 'ascending' : 'descending') : undefined}>
      <button type="button" className="sort" onClick={() => onSort({ column, direction: active && sort.direction === 'DESC' ? 'ASC' : 'DESC' })}>
        {label}
        <span aria-hidden="true">{active ? (sort.direction === 'ASC' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

/** An error type may break between its words (UpstreamRateLimited → Upstream|Rate|Limited), never inside one. */
function ErrorType({ name }: { name: string }) {
  const words = name.split(/(?=[A-Z])/);
  return (
    <span title={name}>
      {words.map((word, index) => (
        <span key={index}>
          {index > 0 && <wbr />}
          {word}
        </span>
      ))}
    </span>
  );
}

export interface Selection {
  selected: ReadonlySet<string>;
  allMatching: boolean;
  pageSelected: boolean;
  toggle(id: string): void;
  togglePage(): void;
}

export function JobsTable({
  rows,
  loaded,
  canAct,
  current,
  tableRef,
  selection,
  sort,
  onSort,
}: {
  sort: Sort;
  onSort(sort: Sort): void;
  rows: JobRowData[];
  loaded: boolean;
  canAct: boolean;
  current: number;
  tableRef: RefObject<HTMLTableElement | null>;
  selection: Selection;
}) {
  const { selected, allMatching, pageSelected, toggle } = selection;
  const paused = usePausedTypes();
  return (
    <div className="table-scroll">
      <table className="jobs" ref={tableRef}>
        <colgroup>
          {canAct && <col className="select" style={{ width: '2.5rem' }} />}
          {columns.map(([, name, width]) => (
            <col key={name} className={`column-${name}`} style={width ? { width } : undefined} />
          ))}
        </colgroup>
        <thead>
          <tr>
            {canAct && (
              <th scope="col" className="select">
                <input type="checkbox" aria-label="Select every job on this page" checked={pageSelected || allMatching} onChange={selection.togglePage} />
              </th>
            )}
            {columns.map(([label, name]) =>
              sortable.has(name) ? (
                <SortHeader key={label} label={label} column={name as SortColumn} sort={sort} onSort={onSort} />
              ) : (
                <th key={label} scope="col">
                  {label}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((job, index) => (
            <tr key={job.id} data-job-id={job.id} data-entity={job.entityId} className={index === current ? 'current' : undefined}>
              {canAct && (
                <td className="select" data-label="Select">
                  <input type="checkbox" aria-label={`Select job ${job.id}`} checked={allMatching || selected.has(job.id)} disabled={allMatching} onChange={() => toggle(job.id)} />
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
              <td data-label="Entity · type">
                <a {...linkProps(`/jobs/${job.id}`)} tabIndex={-1}>
                  {job.entityId}
                </a>
                <span className="job-type">
                  {job.jobType.toLowerCase()}
                  {job.groupKey && <span title="its group"> · {job.groupKey}</span>}
                </span>
              </td>
              <td data-label="Status">
                <StatusBadge status={job.status} phase={job.phase} paused={paused.has(job.jobType)} />
              </td>
              <td data-label="Attempts">
                {job.attemptCount} / {job.maxRetries + 1}
              </td>
              <td data-label="Last error">{job.lastErrorType ? <ErrorType name={job.lastErrorType} /> : ''}</td>
              <td data-label="Created">
                <RelativeTime iso={job.createdAt} />
              </td>
              <td data-label="Finished">{job.lastFinishedAt && job.status !== 'PENDING' && job.status !== 'RUNNING' ? <RelativeTime iso={job.lastFinishedAt} /> : ''}</td>
              <td data-label="Took">{job.lastDurationMs === null ? '' : duration(job.lastDurationMs)}</td>
              <td data-label="Next run">{job.status === 'PENDING' ? <RelativeTime iso={job.nextRunAt} dueNow /> : ''}</td>
            </tr>
          ))}
          {loaded && !rows.length && (
            <tr>
              <td colSpan={columns.length + (canAct ? 1 : 0)} className="empty">
                No jobs match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
