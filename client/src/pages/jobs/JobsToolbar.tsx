/** The page's title, its quick filters, and a button that copies the link to what is shown. */
import { useState } from 'react';
import { hasConditions, timeRangeOf, timeRanges, withParams, type JobFilter, type TimeRange } from '../../filters';
import { linkProps } from '../../router';

export function JobsToolbar({ filter, params }: { filter: JobFilter; params: URLSearchParams }) {
  const range = timeRangeOf(params);
  const [copied, setCopied] = useState(false);
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
  const quick = (href: string, label: string, isCurrent: boolean) => (
    <a {...linkProps(href)} aria-current={isCurrent ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <div className="toolbar">
      <h1 id="jobs-heading">Jobs</h1>
      <nav className="quick" aria-label="Quick filters">
        {quick('/', 'All', !hasConditions(filter))}
        {quick('/?status=DEAD', 'Dead letters', statusValue === 'DEAD' && Object.keys(filter).filter((key) => filter[key as keyof JobFilter]).length === 1)}
        {quick('/?status=FAILED', 'Failed', statusValue === 'FAILED' && !filter.jobType)}
        {quick('/?phase=RETRY_SCHEDULED', 'Retry scheduled', filter.phase === 'RETRY_SCHEDULED')}
        {quick('/?status=RUNNING', 'Running', statusValue === 'RUNNING')}
      </nav>
      <nav className="quick ranges" aria-label="Created in the last (the chart follows)">
        <span className="muted">Created in the last</span>
        {(Object.keys(timeRanges) as TimeRange[]).map((key) => (
          <a
            key={key}
            {...linkProps(withParams(params, { range: key, createdAfter: undefined, after: undefined, before: undefined }))}
            aria-current={range === key ? 'page' : undefined}
          >
            {timeRanges[key].label}
          </a>
        ))}
        <a {...linkProps(withParams(params, { range: undefined, after: undefined, before: undefined }))} aria-current={range ? undefined : 'page'}>
          any time
        </a>
      </nav>
      <button type="button" className="secondary" onClick={() => void copyLink()} aria-live="polite">
        {copied ? 'Link copied' : 'Copy link'}
      </button>
    </div>
  );
}
