/**
 * Gauges read at scrape time: jobs by status and type, the backlog, the largest groups' backlogs,
 * subscriptions and sockets, and the upstreams' pacing (its running totals exported as counters that grow by the difference).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { QueueStats } from '../../queue/reads/queueStatsRead.js';
import type { UpstreamPaceStatus } from '../../integrations/pace.js';
import { circuitStates } from '../../domain/index.js';
import type { CircuitStatus } from '../../queue/circuits.js';
import type { GroupsSummary } from '../../queue/reads/groupsRead.js';

export interface ScrapeSources {
  readQueueStats(): Promise<QueueStats>;
  subscriptions(): number;
  webSockets(): number;
  readUpstreams(): Promise<UpstreamPaceStatus[]>;
  /** The upstreams' circuit breakers, as this process last read them. */
  readCircuits(): CircuitStatus[];
  /** The groups with the largest backlogs, and the rest summed per type (SYNCBRIDGE_METRICS_TOP_GROUPS bounds the labels). */
  readGroups(): Promise<GroupsSummary>;
}

/** Registers the gauges; the returned function brings them up to date before a scrape. */
export function scrapeMetrics(registry: Registry, sources: ScrapeSources): () => Promise<void> {
  const jobs = new Gauge({ name: 'syncbridge_jobs', help: 'Jobs by status and job type.', labelNames: ['status', 'job_type'] as const, registers: [registry] });
  const due = new Gauge({ name: 'syncbridge_queue_due_jobs', help: 'PENDING jobs that are due now (queue depth).', registers: [registry] });
  const oldest = new Gauge({ name: 'syncbridge_queue_oldest_due_age_seconds', help: 'How long the longest-waiting due job has waited.', registers: [registry] });
  const subscriptions = new Gauge({
    name: 'syncbridge_subscriptions',
    help: 'Active subscriptions in this process (WebSocket and SSE).',
    registers: [registry],
    collect() {
      this.set(sources.subscriptions());
    },
  });
  const sockets = new Gauge({
    name: 'syncbridge_websocket_connections',
    help: 'Open WebSocket connections in this process.',
    registers: [registry],
    collect() {
      this.set(sources.webSockets());
    },
  });
  void subscriptions;
  void sockets;
  const upstream = { labelNames: ['target'] as const, registers: [registry] };
  const upstreamLimit = new Gauge({
    name: 'syncbridge_upstream_rate_limit_per_second',
    help: 'Requests per second an upstream may get from all processes (paced upstreams only).',
    ...upstream,
  });
  const upstreamPaused = new Gauge({
    name: 'syncbridge_upstream_paused_seconds',
    help: 'Seconds left of a pause an upstream asked for with Retry-After (0: not paused).',
    ...upstream,
  });
  const upstreamWaiting = new Gauge({ name: 'syncbridge_upstream_waiting_calls', help: 'Calls of this process waiting for their upstream slot.', ...upstream });
  const upstreamWaits = new Counter({ name: 'syncbridge_upstream_waits_total', help: 'Calls of this process that waited for their upstream slot.', ...upstream });
  const upstreamWaitSeconds = new Counter({ name: 'syncbridge_upstream_wait_seconds_total', help: 'Time calls of this process waited for upstream slots.', ...upstream });
  const circuit = new Gauge({
    name: 'syncbridge_upstream_circuit_state',
    help: "An upstream's circuit breaker: 1 for its current state (CLOSED, OPEN, HALF_OPEN), 0 for the others.",
    labelNames: ['target', 'state'] as const,
    registers: [registry],
    collect() {
      for (const status of sources.readCircuits()) for (const state of circuitStates) this.set({ target: status.upstream, state }, status.state === state ? 1 : 0);
    },
  });
  void circuit;
  const updateGroups = groupGauges(registry);
  /** The pacer's running totals as last exported: the counters grow by the difference. */
  const upstreamExported = new Map<string, { waited: number; waitedMs: number }>();

  return async () => {
    const stats = await sources.readQueueStats();
    jobs.reset();
    for (const row of stats.byStatusAndType) jobs.set({ status: row.status, job_type: row.jobType }, row.count);
    due.set(stats.dueCount);
    oldest.set(stats.oldestDueAgeSeconds);
    updateGroups(await sources.readGroups());
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
  };
}

/**
 * The groups' gauges: one series per group only for the largest backlogs
 * (SYNCBRIDGE_METRICS_TOP_GROUPS), so a tenant count in the thousands never becomes thousands of
 * series; the rest are summed per type. The returned function sets them from a summary.
 */
function groupGauges(registry: Registry): (groups: GroupsSummary) => void {
  const groupLabels = { labelNames: ['job_type', 'group'] as const, registers: [registry] };
  const groupPending = new Gauge({ name: 'syncbridge_group_pending_jobs', help: 'PENDING jobs of a group, for the groups with the largest backlogs.', ...groupLabels });
  const groupRunning = new Gauge({ name: 'syncbridge_group_running_jobs', help: 'RUNNING jobs of a group, for the groups with the largest backlogs.', ...groupLabels });
  const typeLabels = { labelNames: ['job_type'] as const, registers: [registry] };
  const groupsActive = new Gauge({ name: 'syncbridge_groups_active', help: 'Groups of a job type with PENDING or RUNNING jobs.', ...typeLabels });
  const groupsOtherPending = new Gauge({
    name: 'syncbridge_groups_other_pending_jobs',
    help: 'PENDING jobs of the groups not exported one by one (outside the largest backlogs), per job type.',
    ...typeLabels,
  });
  const groupsOtherRunning = new Gauge({
    name: 'syncbridge_groups_other_running_jobs',
    help: 'RUNNING jobs of the groups not exported one by one, per job type.',
    ...typeLabels,
  });
  return (groups) => {
    // Reset: a group that left the top (or finished) must not linger as a stale series.
    for (const gauge of [groupPending, groupRunning, groupsActive, groupsOtherPending, groupsOtherRunning]) gauge.reset();
    for (const group of groups.top) {
      const labels = { job_type: group.jobType, group: group.groupKey };
      groupPending.set(labels, group.pending);
      groupRunning.set(labels, group.running);
    }
    for (const type of groups.byType) {
      const labels = { job_type: type.jobType };
      groupsActive.set(labels, type.groups);
      groupsOtherPending.set(labels, type.otherPending);
      groupsOtherRunning.set(labels, type.otherRunning);
    }
  };
}
