/** The jobs table: one row per job of the page, selectable for bulk actions, the current row (j/k) marked. */
import type { RefObject } from 'react';
import { StatusBadge } from '../../components/StatusBadge';
import { linkProps } from '../../router';
import type { JobRowData } from './jobRow';

const time = (iso: string) => new Date(iso).toLocaleString(undefined, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

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
}: {
  rows: JobRowData[];
  loaded: boolean;
  canAct: boolean;
  current: number;
  tableRef: RefObject<HTMLTableElement | null>;
  selection: Selection;
}) {
  const { selected, allMatching, pageSelected, toggle } = selection;
  return (
    <div className="table-scroll">
      <table className="jobs" ref={tableRef}>
        <thead>
          <tr>
            {canAct && (
              <th scope="col" className="select">
                <input type="checkbox" aria-label="Select every job on this page" checked={pageSelected || allMatching} onChange={selection.togglePage} />
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
          {loaded && !rows.length && (
            <tr>
              <td colSpan={canAct ? 9 : 8} className="empty">
                No jobs match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
