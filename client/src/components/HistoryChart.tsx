/**
 * The last hour of attempts per minute (succeeded, retried, failed or dead), from the server's
 * history, so it shows what finished before the page was opened; read again as the live metrics
 * move (at most every few seconds). Drawn with uPlot.
 */
import { useEffect, useMemo, useRef } from 'react';
import { useQuery, useSubscription } from 'urql';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { graphql } from '../graphql';
import { useRefetchOnReconnect } from '../hooks';

const HistoryQuery = graphql(`
  query HistoryChart($range: String, $bucket: String) {
    metricsHistory(range: $range, bucket: $bucket) {
      __typename
      ... on MetricsHistory {
        bucketSeconds
        buckets {
          start
          all {
            succeeded
            retried
            failed
            dead
            meanDurationMs
          }
        }
      }
      ... on Error {
        message
      }
    }
  }
`);
const MetricsMoved = graphql(`
  subscription HistoryChartLive {
    metricsUpdated {
      finishedJobs
      attemptCount
    }
  }
`);

/** Reads again at most this often while the live metrics move. */
const refreshMs = 3_000;

interface Bucket {
  start: string;
  all: { succeeded: number; retried: number; failed: number; dead: number; meanDurationMs: number | null };
}

const cssColor = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

export function HistoryChart() {
  const [{ data }, refetch] = useQuery({ query: HistoryQuery, variables: { range: '1h', bucket: '1m' } });
  useRefetchOnReconnect(refetch);
  const [{ data: moved }] = useSubscription({ query: MetricsMoved });
  const lastRefresh = useRef(0);
  useEffect(() => {
    if (!moved) return;
    const wait = Math.max(0, lastRefresh.current + refreshMs - Date.now());
    const timer = setTimeout(() => {
      lastRefresh.current = Date.now();
      refetch({ requestPolicy: 'network-only' });
    }, wait);
    return () => clearTimeout(timer);
  }, [moved, refetch]);

  const buckets = useMemo(() => (data?.metricsHistory.__typename === 'MetricsHistory' ? (data.metricsHistory as { buckets: Bucket[] }).buckets : []), [data]);
  const sum = (key: 'succeeded' | 'retried' | 'failed' | 'dead') => buckets.reduce((total, bucket) => total + bucket.all[key], 0);
  const totals = { succeeded: sum('succeeded'), retried: sum('retried'), failed: sum('failed'), dead: sum('dead') };

  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const raw = useRef<number[][]>([]);
  useEffect(() => {
    const element = box.current;
    if (!element || !buckets.length) return;
    // Stacked: each series drawn as its own count plus those below it, painted tallest first.
    const failed = buckets.map((bucket) => bucket.all.failed + bucket.all.dead);
    const retried = buckets.map((bucket, index) => bucket.all.retried + failed[index]!);
    const series: uPlot.AlignedData = [
      buckets.map((bucket) => Date.parse(bucket.start) / 1000),
      buckets.map((bucket, index) => bucket.all.succeeded + retried[index]!),
      retried,
      failed,
    ];
    raw.current = [buckets.map((bucket) => bucket.all.succeeded), buckets.map((bucket) => bucket.all.retried), failed];
    if (plot.current) {
      plot.current.setData(series);
      return;
    }
    const bars = uPlot.paths.bars!({ size: [0.8, 12] });
    const axis = { stroke: cssColor('--muted'), grid: { stroke: cssColor('--line'), width: 1 }, ticks: { stroke: cssColor('--line') } };
    plot.current = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 150,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [axis, { ...axis, size: 40 }],
        series: [
          {},
          ...(['succeeded', 'retried', 'failed or dead'] as const).map((label, index) => ({
            label,
            stroke: cssColor(['--ok', '--warn', '--bad'][index]!),
            fill: cssColor(['--ok', '--warn', '--bad'][index]!),
            paths: bars,
            points: { show: false },
            // The legend shows the series' own count, not the stacked height.
            value: (_plot: uPlot, _value: number, _series: number, at: number | null) => (at === null ? '—' : String(raw.current[index]?.[at] ?? 0)),
          })),
        ],
      },
      series,
      element,
    );
  }, [buckets]);
  useEffect(() => {
    const element = box.current!;
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(280, element.clientWidth), height: 150 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, []);

  const summary = `Last hour: ${totals.succeeded} succeeded, ${totals.retried} retried, ${totals.failed} failed, ${totals.dead} dead`;
  return (
    <figure className="panel history" aria-labelledby="history-caption">
      <figcaption id="history-caption" data-testid="history-summary">
        {summary}
      </figcaption>
      <div ref={box} className="history-plot" aria-hidden="true" />
    </figure>
  );
}
