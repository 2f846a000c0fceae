/**
 * Alerts: the firing ones, live (alertsUpdated), then the rules and the history (read again every
 * few seconds). Rules are made by admins over GraphQL or the CLI; a channel's URL shows whole to
 * admins only.
 */
import { useEffect } from 'react';
import { useQuery, useSubscription } from 'urql';
import { graphql, readFragment, type ResultOf } from '../graphql';
import { useRefetchOnReconnect } from '../hooks';
import { requestProblem } from '../outcome';
import { ExactTime, RelativeTime } from '../time';

const AlertFields = graphql(`
  fragment AlertFields on Alert {
    id
    state
    startedAt
    resolvedAt
    value
    peak
    summary
    notifications
    rule {
      id
      name
      kind
    }
  }
`);
const AlertsPageQuery = graphql(
  `
    query AlertsPage {
      alertRules {
        id
        name
        kind
        jobType
        threshold
        windowSeconds
        cooldownSeconds
        enabled
        channel {
          kind
          url
          to
          hasSecret
        }
      }
      alerts(first: 50) {
        edges {
          node {
            ...AlertFields
          }
        }
      }
    }
  `,
  [AlertFields],
);
export const FiringAlerts = graphql(
  `
    subscription FiringAlerts {
      alertsUpdated {
        ...AlertFields
      }
    }
  `,
  [AlertFields],
);

type AlertRow = ResultOf<typeof AlertFields>;
const refreshMs = 5_000;

const thresholdWords = (rule: { kind: string; threshold: number; windowSeconds: number }) => {
  if (rule.kind === 'JOB_DEAD') return `≥ ${rule.threshold} dead in ${rule.windowSeconds} s`;
  if (rule.kind === 'FAILURE_RATE') return `≥ ${Math.round(rule.threshold * 100)}% failed in ${rule.windowSeconds} s`;
  if (rule.kind === 'QUEUE_AGE') return `oldest due job > ${rule.threshold} s`;
  return 'any circuit open';
};

function AlertItem({ alert }: { alert: AlertRow }) {
  return (
    <li className={`alert alert-${alert.state.toLowerCase()}`} data-alert={alert.id}>
      <strong>{alert.rule?.name ?? 'a deleted rule'}</strong> <span className="muted">{alert.rule?.kind}</span>
      <div>{alert.summary}</div>
      <div className="muted">
        since <RelativeTime iso={alert.startedAt} /> · worst {alert.peak} · {alert.notifications} notification{alert.notifications === 1 ? '' : 's'}
      </div>
    </li>
  );
}

export function AlertsPage() {
  const [{ data, error }, refetch] = useQuery({ query: AlertsPageQuery, requestPolicy: 'cache-and-network' });
  const [{ data: live }] = useSubscription({ query: FiringAlerts });
  useRefetchOnReconnect(refetch);
  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), refreshMs);
    return () => clearInterval(timer);
  }, [refetch]);
  // An alert fired or resolved: the history has a new line or a new state at once.
  const firingIds = live?.alertsUpdated.map((alert) => readFragment(AlertFields, alert).id).join(',');
  useEffect(() => {
    if (firingIds !== undefined) refetch({ requestPolicy: 'network-only' });
  }, [firingIds, refetch]);
  const history = data?.alerts.edges.map((edge) => readFragment(AlertFields, edge.node)) ?? [];
  const firing = live ? live.alertsUpdated.map((alert) => readFragment(AlertFields, alert)) : history.filter((alert) => alert.state === 'FIRING');
  const rules = data?.alertRules ?? [];

  return (
    <section aria-labelledby="alerts-heading" className="panel wide">
      <h1 id="alerts-heading">Alerts</h1>
      {error && (
        <p className="message error" role="alert">
          {requestProblem(error)}
        </p>
      )}
      <h2>Firing now</h2>
      {firing.length === 0 ? (
        <p className="muted" data-testid="no-firing">
          None: every rule&apos;s condition is clear.
        </p>
      ) : (
        <ul className="alerts" aria-label="Firing alerts">
          {firing.map((alert) => (
            <AlertItem key={alert.id} alert={alert} />
          ))}
        </ul>
      )}
      <h2>Rules</h2>
      {rules.length === 0 ? (
        <p className="muted">No rules yet: admins create them with createAlertRule (GraphQL).</p>
      ) : (
        <div className="table-scroll">
          <table className="plain" aria-label="Alert rules">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Condition</th>
                <th scope="col">Channel</th>
                <th scope="col">Repeats</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {rules.map((rule) => (
                <tr key={rule.id} data-rule={rule.name}>
                  <td data-label="Name">{rule.name}</td>
                  <td data-label="Condition">
                    {rule.kind} {rule.jobType && <span className="muted">{rule.jobType}</span>} · {thresholdWords(rule)}
                  </td>
                  <td data-label="Channel" className="breakable">
                    {rule.channel.kind} {rule.channel.url ?? rule.channel.to}
                    {rule.channel.hasSecret && <span className="muted"> · signed</span>}
                  </td>
                  <td data-label="Repeats">every {rule.cooldownSeconds} s while firing</td>
                  <td data-label="State">{rule.enabled ? 'enabled' : 'disabled'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>History</h2>
      {history.length === 0 ? (
        <p className="muted">No alert has fired.</p>
      ) : (
        <div className="table-scroll">
          <table className="plain" aria-label="Alert history, newest first">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">State</th>
                <th scope="col">Fired</th>
                <th scope="col">Resolved</th>
                <th scope="col">What</th>
              </tr>
            </thead>
            <tbody>
              {history.map((alert) => (
                <tr key={alert.id} data-alert-history={alert.id}>
                  <td data-label="Rule">{alert.rule?.name ?? '—'}</td>
                  <td data-label="State">{alert.state}</td>
                  <td data-label="Fired">
                    <ExactTime iso={alert.startedAt} />
                  </td>
                  <td data-label="Resolved">
                    <ExactTime iso={alert.resolvedAt} />
                  </td>
                  <td data-label="What" className="breakable">
                    {alert.summary} <span className="muted">(worst {alert.peak})</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
