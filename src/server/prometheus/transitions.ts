/**
 * Metrics that follow the transitions this process publishes: attempts by outcome and error
 * type, their durations, lease recoveries, transitions by kind, and how long each transition
 * took from its commit to this process (local and from other processes).
 */
import { Counter, type Registry } from 'prom-client';
import type { EventBus } from '../../events/bus.js';
import { systemErrorTypes } from '../../domain/index.js';
import { BatchHistogram } from './batchHistogram.js';

const outcomeByKind: Record<string, string> = {
  succeeded: 'succeeded',
  retry_scheduled: 'retry_scheduled',
  dead: 'dead',
  failed: 'failed',
  lease_expired: 'lease_expired',
  released: 'released',
  attempt_finished: 'canceled',
};

/** Registers the metrics and follows the bus; returns the function that stops following. */
export function transitionMetrics(registry: Registry, bus: EventBus): () => void {
  const attempts = new Counter({
    name: 'syncbridge_attempts_total',
    help: 'Attempts finished in this process, by outcome and error type.',
    labelNames: ['job_type', 'outcome', 'error_type'] as const,
    registers: [registry],
  });
  const duration = new BatchHistogram(
    'syncbridge_attempt_duration_seconds',
    'Handler run time of finished attempts.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registry,
  );
  const recoveries = new Counter({ name: 'syncbridge_lease_recoveries_total', help: 'Jobs recovered from an expired lease (their worker died).', registers: [registry] });
  const transitions = new Counter({
    name: 'syncbridge_transitions_total',
    help: 'Job state transitions published by this process.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const lag = new BatchHistogram(
    'syncbridge_event_delivery_lag_seconds',
    'Commit-to-dispatch delay of transitions reaching this process (local and from other processes).',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registry,
  );
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

  const off = bus.on('job:transitions', (batch) => {
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
  return off;
}
