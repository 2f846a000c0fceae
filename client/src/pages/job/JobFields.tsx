/** Every field of the job, as label and value. */
import { Breakable } from '../../components/Breakable';
import { linkProps } from '../../router';
import { ExactTime, duration, exactTime } from '../../time';
import type { JobDetailData } from './operations';

export function JobFields({ job, logSearch }: { job: JobDetailData; logSearch: string | undefined }) {
  const fields: [string, React.ReactNode][] = [
    ['Type', job.jobType.toLowerCase()],
    ['Entity', `${job.entityType} ${job.entityId}`],
    ...(job.groupKey
      ? ([
          [
            'Group',
            <span key="g">
              {job.groupKey} <a {...linkProps(`/?group=${encodeURIComponent(job.groupKey)}`)}>jobs of this group</a>
            </span>,
          ],
        ] as [string, React.ReactNode][])
      : []),
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
    ...webhookFields(job),
    ['Created', <ExactTime key="createdAt" iso={job.createdAt} />],
    ['Updated', <ExactTime key="updatedAt" iso={job.updatedAt} />],
    ['Scheduled at', <ExactTime key="scheduledAt" iso={job.scheduledAt} />],
    ['Next run', job.status === 'PENDING' ? <ExactTime key="nextRunAt" iso={job.nextRunAt} /> : '—'],
    ['Last started', <ExactTime key="lastStartedAt" iso={job.lastStartedAt} />],
    ['Last finished', <ExactTime key="lastFinishedAt" iso={job.lastFinishedAt} />],
    ['Last duration', duration(job.lastDurationMs)],
    ['Lease', job.leaseOwner ? `${job.leaseOwner} until ${exactTime(job.leaseExpiresAt)}` : '—'],
    ['Last error', job.lastError ? <Breakable key="e" text={`${job.lastErrorType}: ${job.lastError}`} /> : '—'],
    ['Canceled', <ExactTime key="canceledAt" iso={job.canceledAt} />],
    ['Dead', job.deadAt ? <Breakable key="d" text={`${exactTime(job.deadAt)} — ${job.deadErrorType}: ${job.deadError}`} /> : '—'],
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

/** The webhook deliveries that started the job or changed it (none: no row). */
function webhookFields(job: JobDetailData): [string, React.ReactNode][] {
  const started = job.webhookDeliveries.find((link) => link.outcome === 'CREATED');
  const changed = job.webhookDeliveries.filter((link) => link.outcome === 'COALESCED');
  const named = (link: JobDetailData['webhookDeliveries'][number]) => (
    <span key={link.delivery.id} className="webhook-delivery">
      delivery <code>{link.delivery.deliveryId}</code> from {link.delivery.source}
      {link.delivery.eventType ? ` (${link.delivery.eventType})` : ''} at <ExactTime iso={link.delivery.receivedAt} />
    </span>
  );
  const fields: [string, React.ReactNode][] = [];
  if (started) fields.push(['Started by', named(started)]);
  if (changed.length)
    fields.push([
      'Changed by',
      <ul key="c" className="webhook-deliveries">
        {changed.map((link) => (
          <li key={link.delivery.id}>{named(link)}</li>
        ))}
      </ul>,
    ]);
  return fields;
}
