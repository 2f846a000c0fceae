/** Who acted on the job through the API, and how it went, oldest first. */
import { exactTime } from '../../time';
import type { JobDetailData } from './operations';

export function AuditTable({ events }: { events: JobDetailData['auditEvents'] }) {
  return (
    <>
      <h2>Operator actions</h2>
      {events.length === 0 ? (
        <p>None: nobody has acted on this job through the API.</p>
      ) : (
        <table className="audit plain" aria-label="Operator actions, oldest first">
          <thead>
            <tr>
              <th>when</th>
              <th>who</th>
              <th>action</th>
              <th>outcome</th>
              <th>detail</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id} data-audit-action={event.action}>
                <td data-label="when">{exactTime(event.at)}</td>
                <td data-label="who">
                  {event.actor}
                  {event.role ? ` (${event.role})` : ''}
                </td>
                <td data-label="action">{event.action}</td>
                <td data-label="outcome">{event.outcome}</td>
                <td data-label="detail" title={event.requestId ? `request ${event.requestId}` : undefined}>
                  {event.detail ?? ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
