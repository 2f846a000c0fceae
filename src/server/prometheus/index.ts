/**
 * Prometheus exposition at GET /metrics (prom-client). Counters and histograms follow the events
 * this process publishes (attempts, lease recoveries, delivery lag); gauges are read at scrape
 * time (jobs by status and type, backlog, subscriptions). Labels are bounded: statuses, job
 * types, error types, operation types; never entity or job ids.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { EventBus } from '../../live/bus.js';
import { systemErrorTypes } from '../../domain.js';
import type { QueueStats } from '../../queue/queueStatsRead.js';
import type { UpstreamPaceStatus } from '../../integrations/pace.js';
import type { RouteHandler } from '../http.js';
import { BatchHistogram } from './batchHistogram.js';

export interface PrometheusSources {
  bus: EventBus;
  readQueueStats(): Promise<QueueStats>;
  subscriptions(): number;
  webSockets(): number;
  readUpstreams(): Promise<UpstreamPaceStatus[]>;
}

const outcomeByKind: Record<string, string> = {
  succeeded: 'succeeded',
  retry_scheduled: 'retry_scheduled',
  dead: 'dead',
  failed: 'failed',
  lease_expired: 'lease_expired',
  released: 'released',
  attempt_finished: 'canceled',
};

export function createPrometheus(sources: PrometheusSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'syncbridge_process_' });

  const jobs = new Gauge({ name: 'syncbridge_jobs', help: 'Jobs by status and job type.', labelNames: ['status', 'job_type'] as const, registers: [registry] });
  const due = new Gauge({ name: 'syncbridge_queue_due_jobs', help: 'PENDING jobs that are due now (queue depth).', registers: [registry] });
  const oldest = new Gauge({ name: 'syncbridge_queue_oldest_due_age_seconds', help: 'How long the longest-waiting due job has waited.', registers: [registry] });
  const subscriptions = new Gauge({ name: 'syncbridge_subscriptions', help: 'Active subscriptions in this process (WebSocket and SSE).', registers: [registry], collect() { this.set(sources.subscriptions()); } });
  const sockets = new Gauge({ name: 'syncbridge_websocket_connections', help: 'Open WebSocket connections in this process.', registers: [registry], collect() { this.set(sources.webSockets()); } });
  void subscriptions;
  void sockets;
  const upstream = { labelNames: ['target'] as const, registers: [registry] };
  const upstreamLimit = new Gauge({ name: 'syncbridge_upstream_rate_limit_per_second', help: 'Requests per second an upstream may get from all processes (paced upstreams only).', ...upstream });
  const upstreamPaused = new Gauge({ name: 'syncbridge_upstream_paused_seconds', help: 'Seconds left of a pause an upstream asked for with Retry-After (0: not paused).', ...upstream });
  const upstreamWaiting = new Gauge({ name: 'syncbridge_upstream_waiting_calls', help: 'Calls of this process waiting for their upstream slot.', ...upstream });
  const upstreamWaits = new Counter({ name: 'syncbridge_upstream_waits_total', help: 'Calls of this process that waited for their upstream slot.', ...upstream });
  const upstreamWaitSeconds = new Counter({ name: 'syncbridge_upstream_wait_seconds_total', help: 'Time calls of this process waited for upstream slots.', ...upstream });
  /** The pacer's running totals as last exported: the counters grow by the difference. */
  const upstreamExported = new Map<string, { waited: number; waitedMs: number }>();
  const attempts = new Counter({ name: 'syncbridge_attempts_total', help: 'Attempts finished in this process, by outcome and error type.', labelNames: ['job_type', 'outcome', 'error_type'] as const, registers: [registry] });
  const duration = new BatchHistogram('syncbridge_attempt_duration_seconds', 'Handler run time of finished attempts.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registry);
  const recoveries = new Counter({ name: 'syncbridge_lease_recoveries_total', help: 'Jobs recovered from an expired lease (their worker died).', registers: [registry] });
  const transitions = new Counter({ name: 'syncbridge_transitions_total', help: 'Job state transitions published by this process.', labelNames: ['kind'] as const, registers: [registry] });
  const lag = new BatchHistogram(
    'syncbridge_event_delivery_lag_seconds',
    'Commit-to-dispatch delay of transitions reaching this process (local and from other processes).',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registry,
  );
  const operations = new Counter({ name: 'syncbridge_graphql_operations_total', help: 'GraphQL operations executed, by type and result.', labelNames: ['operation', 'result'] as const, registers: [registry] });
  const operationDuration = new Histogram({
    name: 'syncbridge_graphql_operation_duration_seconds',
    help: 'GraphQL query and mutation execution time.',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  // Label sets are few (job types × outcomes × error types): keep each one's child metric.
  const attemptCounters = new Map<string, ReturnType<typeof attempts.labels>>();
  const transitionCounters = new Map<string, ReturnType<typeof transitions.labels>>();
  const cached = <T>(map: Map<string, T>, key: string, make: () => T) => {
    let value = map.get(key);
    if (value === undefined) map.set(key, (value = make()));
    return value;
  };
  const localLabels = () => ({ origin: 'local' });
  const remoteLabels = () => ({ origin: 'remote' });

  const off = sources.bus.on('job:transitions', (batch) => {
    const now = Date.now();
    // Counted per batch: one increment per label set, not per transition.
    const counts = new Map<ReturnType<typeof transitions.labels> | ReturnType<typeof attempts.labels>, number>();
    const count = (child: ReturnType<typeof transitions.labels>) => counts.set(child, (counts.get(child) ?? 0) + 1);
    for (const transition of batch) {
      const lagSeconds = Math.max(0, now - transition.at.getTime()) / 1000;
      if (transition.remote) lag.observe('remote', remoteLabels, lagSeconds);
      else lag.observe('local', localLabels, lagSeconds);
      if (transition.remote) continue; // counted by the process that made it
      count(cached(transitionCounters, transition.kind, () => transitions.labels({ kind: transition.kind })));
      if (transition.kind === 'lease_expired') recoveries.inc();
      const attempt = transition.attempt;
      if (!attempt) continue;
      if (transition.kind === 'dead' && attempt.errorType === systemErrorTypes.leaseExpired) recoveries.inc();
      const outcome = outcomeByKind[transition.kind] ?? transition.kind;
      const jobType = transition.job.jobType;
      const errorType = attempt.errorType ?? 'none';
      count(cached(attemptCounters, `${jobType}|${outcome}|${errorType}`, () => attempts.labels({ job_type: jobType, outcome, error_type: errorType })));
      duration.observe(`${jobType}|${outcome}`, () => ({ job_type: jobType, outcome }), attempt.durationMs / 1000);
    }
    for (const [child, n] of counts) child.inc(n);
  });

  /** Counts GraphQL operations; the operation type is the only label (names are client-chosen). */
  const graphqlPlugin: Plugin = {
    onExecute: ({ args }) => {
      const definitions = (args.document as DocumentNode).definitions;
      const definition = definitions.find((node): node is OperationDefinitionNode => node.kind === 'OperationDefinition');
      const operation = definition?.operation ?? 'unknown';
      const started = performance.now();
      return {
        onExecuteDone: ({ result }) => {
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          operations.inc({ operation, result: failed ? 'error' : 'ok' });
          if (operation !== 'subscription') operationDuration.observe({ operation }, (performance.now() - started) / 1000);
        },
      };
    },
  };

  const route: RouteHandler = async (req, res, path) => {
    if (path !== '/metrics' || req.method !== 'GET') return false;
    const stats = await sources.readQueueStats();
    jobs.reset();
    for (const row of stats.byStatusAndType) jobs.set({ status: row.status, job_type: row.jobType }, row.count);
    due.set(stats.dueCount);
    oldest.set(stats.oldestDueAgeSeconds);
    const now = Date.now();
    for (const pace of await sources.readUpstreams()) {
      const target = { target: pace.target };
      if (pace.limitPerSecond !== null) upstreamLimit.set(target, pace.limitPerSecond);
      upstreamPaused.set(target, pace.pausedUntil ? Math.max(0, (pace.pausedUntil.getTime() - now) / 1000) : 0);
      upstreamWaiting.set(target, pace.waiting);
      const exported = upstreamExported.get(pace.target) ?? { waited: 0, waitedMs: 0 };
      upstreamWaits.inc(target, pace.waited - exported.waited);
      upstreamWaitSeconds.inc(target, (pace.waitedMs - exported.waitedMs) / 1000);
      upstreamExported.set(pace.target, { waited: pace.waited, waitedMs: pace.waitedMs });
    }
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(await registry.metrics());
    return true;
  };

  return { registry, route, graphqlPlugin, close: off };
}
