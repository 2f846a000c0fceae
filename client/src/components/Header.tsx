import { useEffect, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { useConnectionState, useReconnectGeneration } from '../connection';
import { graphql, type ResultOf } from '../graphql';
import { linkProps } from '../router';
import type { Me } from '../App';
import { signOut } from './TokenGate';

export const MetricsFields = graphql(`
  fragment MetricsFields on Metrics {
    totalJobs finishedJobs successRate retryCount avgExecutionMs pending running succeeded failed dead canceled
  }
`);

const MetricsQuery = graphql(`query HeaderMetrics { metrics { ...MetricsFields } }`, [MetricsFields]);
const MetricsSubscription = graphql(`subscription HeaderMetricsLive { metricsUpdated { ...MetricsFields } }`, [MetricsFields]);
const FinishedSubscription = graphql(`
  subscription HeaderThroughput { jobUpdated(status: [SUCCEEDED, FAILED, DEAD]) { id status } }
`);

type Metrics = ResultOf<typeof MetricsFields>;

const bucketMs = 10_000;
const buckets = 30; // five minutes

/** Finished jobs per 10 s over the last five minutes, from the live stream. */
function useThroughput(): number[] {
  const [counts, setCounts] = useState<number[]>(() => new Array(buckets).fill(0));
  const [{ data }] = useSubscription({ query: FinishedSubscription });
  useEffect(() => {
    if (data) setCounts((current) => [...current.slice(0, -1), (current.at(-1) ?? 0) + 1]);
  }, [data]);
  useEffect(() => {
    const timer = setInterval(() => setCounts((current) => [...current.slice(1), 0]), bucketMs);
    return () => clearInterval(timer);
  }, []);
  return counts;
}

function Chart({ counts }: { counts: number[] }) {
  const max = Math.max(1, ...counts);
  const width = 180;
  const height = 36;
  const bar = width / counts.length;
  const total = counts.reduce((sum, count) => sum + count, 0);
  return (
    <figure className="chart" aria-label={`${total} jobs finished in the last 5 minutes`}>
      <svg width={width} height={height} role="img" aria-hidden="true">
        {counts.map((count, index) => (
          <rect key={index} x={index * bar + 1} y={height - (count / max) * height} width={bar - 2} height={(count / max) * height} />
        ))}
      </svg>
      <figcaption>{total} finished · last 5 min</figcaption>
    </figure>
  );
}

const percent = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`);

export function Header({ me }: { me: Me }) {
  const generation = useReconnectGeneration();
  const [{ data: snapshot }, refetch] = useQuery({ query: MetricsQuery });
  const [{ data: live }] = useSubscription({ query: MetricsSubscription });
  useEffect(() => {
    if (generation) refetch({ requestPolicy: 'network-only' });
  }, [generation, refetch]);
  const metrics: Metrics | undefined = (live?.metricsUpdated ?? snapshot?.metrics) as Metrics | undefined;
  const state = useConnectionState();
  const counts = useThroughput();
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
      <Chart counts={counts} />
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
  );
}
