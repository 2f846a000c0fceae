/**
 * Processes: every SyncBridge process sharing the database (API, worker or both) with its host,
 * version, concurrency, jobs held and last heartbeat, read again at every beat; one that stops
 * beating drops out after three (the server's rule, src/queue/maintenance/heartbeat.ts).
 */
import { useEffect } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../graphql';
import { useRefetchOnReconnect } from '../hooks';
import { requestProblem } from '../outcome';
import { RelativeTime } from '../time';

const ProcessesQuery = graphql(`
  query ProcessesPage {
    processes {
      id
      host
      pid
      roles
      version
      concurrency
      running
      startedAt
      lastHeartbeatAt
    }
  }
`);

/** Read again this often: the heartbeat's own default period. */
const refreshMs = 5_000;

export function ProcessesPage() {
  const [{ data, error }, refetch] = useQuery({ query: ProcessesQuery, requestPolicy: 'cache-and-network' });
  useRefetchOnReconnect(refetch);
  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), refreshMs);
    return () => clearInterval(timer);
  }, [refetch]);
  const processes = data?.processes ?? [];
  const workers = processes.filter((process) => process.roles.includes('WORKER'));
  return (
    <section aria-labelledby="processes-heading" className="panel wide">
      <h1 id="processes-heading">Processes</h1>
      <p className="muted" data-testid="processes-summary">
        {data
          ? `${processes.length} process${processes.length === 1 ? '' : 'es'}: ${workers.length} with a worker, running ${workers.reduce((sum, process) => sum + process.running, 0)} of at most ${workers.reduce((sum, process) => sum + (process.concurrency ?? 0), 0)} jobs at once.`
          : 'Loading…'}
      </p>
      {error && (
        <p className="message error" role="alert">
          {requestProblem(error)}
        </p>
      )}
      <div className="table-scroll">
        <table className="plain" aria-label="Processes">
          <thead>
            <tr>
              <th scope="col">Process</th>
              <th scope="col">Host</th>
              <th scope="col">Roles</th>
              <th scope="col">Version</th>
              <th scope="col">Running</th>
              <th scope="col">Started</th>
              <th scope="col">Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {processes.map((process) => (
              <tr key={process.id} data-process={process.id}>
                <td data-label="Process">
                  <code>{process.id}</code>
                </td>
                <td data-label="Host">
                  {process.host} <span className="muted">pid {process.pid}</span>
                </td>
                <td data-label="Roles">{process.roles.map((role) => role.toLowerCase()).join(' + ')}</td>
                <td data-label="Version">{process.version}</td>
                <td data-label="Running">{process.concurrency === null ? '—' : `${process.running} / ${process.concurrency}`}</td>
                <td data-label="Started">
                  <RelativeTime iso={process.startedAt} />
                </td>
                <td data-label="Last heartbeat">
                  <RelativeTime iso={process.lastHeartbeatAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
