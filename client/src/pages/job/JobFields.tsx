/** Every field of the job, as label and value. */
import { Breakable } from '../../components/Breakable';
import { linkProps } from '../../router';
import { time, type JobDetailData } from './operations';

export function JobFields({ job, logSearch }: { job: JobDetailData; logSearch: string | undefined }) {
  const fields: [string, React.ReactNode][] = [
    ['Type', job.jobType.toLowerCase()],
    ['Entity', `${job.entityType} ${job.entityId}`],
    ['Systems', `${job.sourceSystem} → ${job.targetSystem}`],
    ['Priority', job.priority],
    ['Attempts', `${job.attemptCount} of at most ${job.maxRetries + 1}`],
    ['Payload version', job.payloadVersion],
    [
      'Payload',
      job.payload === null || job.payload === undefined ? (
        '—'
      ) : (
        <pre key="p" className="payload-value">
          {JSON.stringify(job.payload, null, 2)}
        </pre>
      ),
    ],
    [
      'Correlation id',
      <span key="c">
        <code>{job.correlationId}</code> <a {...linkProps(`/?correlation=${encodeURIComponent(job.correlationId)}`)}>jobs with it</a>
        {logSearch && (
          <>
            {' · '}
            <a href={logSearch} target="_blank" rel="noreferrer">
              its log lines
            </a>
          </>
        )}
      </span>,
    ],
    ['Created', time(job.createdAt)],
    ['Updated', time(job.updatedAt)],
    ['Scheduled at', time(job.scheduledAt)],
    ['Next run', job.status === 'PENDING' ? time(job.nextRunAt) : '—'],
    ['Last started', time(job.lastStartedAt)],
    ['Last finished', time(job.lastFinishedAt)],
    ['Last duration', job.lastDurationMs === null ? '—' : `${job.lastDurationMs} ms`],
    ['Lease', job.leaseOwner ? `${job.leaseOwner} until ${time(job.leaseExpiresAt)}` : '—'],
    ['Last error', job.lastError ? <Breakable key="e" text={`${job.lastErrorType}: ${job.lastError}`} /> : '—'],
    ['Canceled', time(job.canceledAt)],
    ['Dead', job.deadAt ? <Breakable key="d" text={`${time(job.deadAt)} — ${job.deadErrorType}: ${job.deadError}`} /> : '—'],
  ];
  return (
    <dl className="fields">
      {fields.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
