import { useQuery, useSubscription } from 'urql';
import { useConnectionState } from '../connection';
import { useRefetchOnReconnect } from '../hooks';
import { graphql, type ResultOf } from '../graphql';
import { linkProps, useLocation } from '../router';
import { FiringAlerts } from '../pages/AlertsPage';
import type { Me } from '../App';
import { signOut } from './TokenGate';

export const MetricsFields = graphql(`
  fragment MetricsFields on Metrics {
    totalJobs
    finishedJobs
    successRate
    retryCount
    avgExecutionMs
    pending
    running
    succeeded
    failed
    dead
    canceled
  }
`);

const MetricsQuery = graphql(
  `
    query HeaderMetrics {
      metrics {
        ...MetricsFields
      }
    }
  `,
  [MetricsFields],
);
const MetricsSubscription = graphql(
  `
    subscription HeaderMetricsLive {
      metricsUpdated {
        ...MetricsFields
      }
    }
  `,
  [MetricsFields],
);
type Metrics = ResultOf<typeof MetricsFields>;

const percent = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`);

/** The dashboard's pages: the jobs (home), the processes sharing the database, the schedules, the alerts. */
const pages = [
  ['/', 'Jobs'],
  ['/processes', 'Processes'],
  ['/schedules', 'Schedules'],
  ['/alerts', 'Alerts'],
] as const;

export function Header({ me }: { me: Me }) {
  const { path } = useLocation();
  const [{ data: snapshot }, refetch] = useQuery({ query: MetricsQuery });
  const [{ data: live }] = useSubscription({ query: MetricsSubscription });
  const [{ data: alerts }] = useSubscription({ query: FiringAlerts });
  const firing = alerts?.alertsUpdated.length ?? 0;
  useRefetchOnReconnect(refetch);
  const metrics: Metrics | undefined = (live?.metricsUpdated ?? snapshot?.metrics) as Metrics | undefined;
  const state = useConnectionState();
  const figures: [string, string | number, string?][] = metrics
    ? [
        ['Jobs', metrics.totalJobs],
        ['Success', percent(metrics.successRate)],
        ['Retries', metrics.retryCount],
        ['Avg attempt', metrics.avgExecutionMs === null ? '—' : `${Math.round(metrics.avgExecutionMs)} ms`],
        ['Pending', metrics.pending, '/?status=PENDING'],
        ['Running', metrics.running, '/?status=RUNNING'],
        ['Succeeded', metrics.succeeded, '/?status=SUCCEEDED'],
        ['Failed', metrics.failed, '/?status=FAILED'],
        ['Dead', metrics.dead, '/?status=DEAD'],
        ['Canceled', metrics.canceled, '/?status=CANCELED'],
      ]
    : [];
  return (
    <>
      <header className="header">
        <div className="brand">
          <a {...linkProps('/')}>SyncBridge</a>
          <span className={`connection connection-${state}`} role="status" aria-live="polite" data-connection={state}>
            {state === 'live' ? '● Live' : state === 'sse' ? '● Live (SSE)' : state === 'connecting' ? '○ Connecting…' : '○ Reconnecting…'}
          </span>
        </div>
        <dl className="figures" data-testid="metrics">
          {figures.map(([label, value, href]) => (
            <div key={label} className="figure">
              <dt>{href ? <a {...linkProps(href)}>{label}</a> : label}</dt>
              <dd data-figure={label}>{value}</dd>
            </div>
          ))}
        </dl>
        <div className="caller" data-testid="caller">
          {me.authenticated ? (
            <>
              <span>
                {me.name} · {me.role}
              </span>{' '}
              <button type="button" className="link" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            <span title="No API tokens are configured on this server: every caller is admin">open · {me.role}</span>
          )}
        </div>
      </header>
      <nav className="pages" aria-label="Pages">
        {pages.map(([href, label]) => (
          <a key={href} {...linkProps(href)} aria-current={(href === '/' ? path === '/' || path.startsWith('/jobs') : path.startsWith(href)) ? 'page' : undefined}>
            {label}
            {href === '/alerts' && firing > 0 && (
              <span className="badge badge-firing" data-testid="firing-count">
                {firing} firing
              </span>
            )}
          </a>
        ))}
      </nav>
    </>
  );
}
