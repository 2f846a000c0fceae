/**
 * Attempts over the chosen range (the jobs toolbar's `?range=`, one hour by default), per bucket:
 * succeeded, failed and retried, failed for good or DEAD; from the server's history, so it shows
 * what finished before the page was opened; read again as the live metrics move (at most once a
 * second). It counts attempts, not jobs, and says so. A bar opens the jobs that finished in its
 * span. Drawn with uPlot, times in UTC like the rest of the dashboard.
 */
import { useEffect, useMemo, useRef } from 'react';
import { useQuery, useSubscription } from 'urql';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { jobsUrl, timeRanges, type TimeRange } from '../filters';
import { graphql } from '../graphql';
import { useRefetchOnReconnect } from '../hooks';
import { linkProps, navigate } from '../router';
import { exactTime } from '../time';

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

/** Reads again at most this often while the live metrics move (the header's figures move at once). */
const refreshMs = 1_000;

interface Bucket {
  start: string;
  all: { succeeded: number; retried: number; failed: number; dead: number; meanDurationMs: number | null };
}

const cssColor = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

const pad = (value: number) => String(value).padStart(2, '0');
/** An axis tick in UTC: the time of day; at midnight, the date instead. */
const tick = (seconds: number) => {
  const date = new Date(seconds * 1000);
  if (date.getUTCHours() === 0 && date.getUTCMinutes() === 0) return `${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
};
/** A stacked height of zero draws no bar (uPlot draws a zero as a line along the axis). */
const orNull = (value: number) => (value === 0 ? null : value);

export function HistoryChart({ range = '1h' }: { range?: TimeRange }) {
  const { bucket, label } = timeRanges[range];
  const [{ data }, refetch] = useQuery({ query: HistoryQuery, variables: { range, bucket } });
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

  const history = data?.metricsHistory.__typename === 'MetricsHistory' ? (data.metricsHistory as { buckets: Bucket[]; bucketSeconds: number }) : undefined;
  const buckets = useMemo(() => history?.buckets ?? [], [history]);
  const bucketSeconds = useRef(60);
  bucketSeconds.current = history?.bucketSeconds ?? 60;
  const sum = (key: 'succeeded' | 'retried' | 'failed' | 'dead') => buckets.reduce((total, bucket) => total + bucket.all[key], 0);
  const totals = { succeeded: sum('succeeded'), retried: sum('retried'), failed: sum('failed'), dead: sum('dead') };

  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const raw = useRef<number[][]>([]);
  const plotRange = useRef<TimeRange | undefined>(undefined);
  useEffect(() => {
    const element = box.current;
    if (!element || !buckets.length) return;
    // Stacked: each series drawn as its own count plus those below it, painted tallest first.
    const failed = buckets.map((bucket) => bucket.all.failed + bucket.all.dead);
    const retried = buckets.map((bucket, index) => bucket.all.retried + failed[index]!);
    const series: uPlot.AlignedData = [
      buckets.map((bucket) => Date.parse(bucket.start) / 1000),
      buckets.map((bucket, index) => orNull(bucket.all.succeeded + retried[index]!)),
      retried.map(orNull),
      failed.map(orNull),
    ];
    raw.current = [buckets.map((bucket) => bucket.all.succeeded), buckets.map((bucket) => bucket.all.retried), failed];
    if (plot.current && plotRange.current === range) {
      plot.current.setData(series);
      return;
    }
    // Another range: other ticks, so a new plot.
    plot.current?.destroy();
    plotRange.current = range;
    const bars = uPlot.paths.bars!({ size: [0.8, 12] });
    const axis = { stroke: cssColor('--muted'), grid: { stroke: cssColor('--line'), width: 1 }, ticks: { stroke: cssColor('--line') } };
    plot.current = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 150,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        // Counts from zero (empty buckets are nulls, which would let the axis start at the smallest bar).
        scales: { x: { time: true }, y: { range: (_plot, _min, max) => [0, Math.max(1, max ?? 0)] } },
        axes: [
          { ...axis, space: 56, values: (_plot, splits) => splits.map(tick) },
          { ...axis, size: 40 },
        ],
        series: [
          { label: 'from (UTC)', value: (_plot: uPlot, value: number | null) => (value === null ? '—' : exactTime(new Date(value * 1000).toISOString())) },
          ...(['succeeded', 'failed, retried', 'failed for good or DEAD'] as const).map((label, index) => ({
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
    // A bar opens the jobs that finished in its span.
    const opened = plot.current;
    opened.over.addEventListener('click', () => {
      const at = opened.cursor.idx;
      if (at === null || at === undefined) return;
      const start = (opened.data[0][at] ?? 0) * 1000;
      navigate(jobsUrl({ finishedAfter: new Date(start).toISOString(), finishedBefore: new Date(start + bucketSeconds.current * 1000).toISOString() }));
    });
  }, [buckets, range]);
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

  const summary = `Attempts in the last ${label}: ${totals.succeeded} succeeded, ${totals.retried} failed and retried, ${totals.failed} failed for good, ${totals.dead} ended DEAD`;
  const from = buckets[0]?.start;
  return (
    <figure className="panel history" aria-labelledby="history-caption">
      <figcaption id="history-caption" data-testid="history-summary">
        {summary}{' '}
        {from && (
          <a className="drill" {...linkProps(jobsUrl({ finishedAfter: from }))}>
            the jobs that finished then
          </a>
        )}
      </figcaption>
      <div ref={box} className="history-plot" aria-hidden="true" title="A bar opens the jobs that finished in its span" />
    </figure>
  );
}
