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
        <table className="audit" aria-label="Operator actions, oldest first">
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
                <td>{exactTime(event.at)}</td>
                <td>
                  {event.actor}
                  {event.role ? ` (${event.role})` : ''}
                </td>
                <td>{event.action}</td>
                <td>{event.outcome}</td>
                <td title={event.requestId ? `request ${event.requestId}` : undefined}>{event.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
