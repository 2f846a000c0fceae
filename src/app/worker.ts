/**
 * The worker part of a process (SYNCBRIDGE_WORKER on): the worker, the attempt history it counts,
 * retention, the alert rules' evaluation and the scheduler (maintenance runs where jobs are worked; API-only processes leave
 * it to them).
 */
import type { Config } from '../config/index.js';
import type { QueueContext } from '../queue/context.js';
import { AttemptHistory } from '../queue/maintenance/attemptHistory.js';
import { Retention } from '../queue/maintenance/retention.js';
import { Scheduler } from '../queue/maintenance/scheduler.js';
import type { JobRunner } from '../queue/worker/executor.js';
import { Worker } from '../queue/worker/worker.js';
import type { UpstreamCircuits } from '../queue/circuits.js';
import { AlertEvaluator } from '../queue/maintenance/alerts.js';

export interface WorkerPart {
  worker: Worker;
  retention: Retention;
  /** The alert rules' evaluation. */
  alerts: AlertEvaluator;
  stop(): Promise<void>;
}

/** Counted where attempts end: in worker processes (undefined elsewhere). */
export function attemptHistory(config: Config, context: QueueContext): AttemptHistory | undefined {
  return config.workerEnabled ? new AttemptHistory(context) : undefined;
}

export async function startWorkerPart(
  config: Config,
  context: QueueContext,
  runner: JobRunner,
  history: AttemptHistory | undefined,
  circuits?: UpstreamCircuits,
): Promise<WorkerPart> {
  history?.start();
  const worker = new Worker({
    context,
    runner,
    concurrency: config.workerConcurrency,
    prefetchMax: config.workerPrefetch,
    pollIntervalMs: config.workerPollSeconds * 1000,
    shutdownGraceMs: config.shutdownGraceSeconds * 1000,
    handlerTimeoutMs: config.handlerTimeoutSeconds * 1000,
    tracing: config.tracing,
    circuits,
  });
  await worker.start();
  const retention = new Retention(context, {
    succeededSeconds: config.retentionSucceededSeconds,
    failedSeconds: config.retentionFailedSeconds,
    webhookDeliveriesSeconds: config.retentionWebhookDeliveriesSeconds,
    intervalMs: config.retentionIntervalSeconds * 1000,
  });
  retention.start();
  const scheduler = new Scheduler(context);
  scheduler.start();
  const alerts = new AlertEvaluator(context, {
    intervalMs: config.alertsIntervalSeconds * 1000,
    groupWaitMs: config.alertGroupWaitSeconds * 1000,
    circuits: () => circuits?.status() ?? [],
    typesNeeding: (upstream) => circuits?.typesNeeding(upstream) ?? [],
  });
  alerts.start();
  return {
    worker,
    retention,
    alerts,
    async stop() {
      await alerts.stop();
      await scheduler.stop();
      await retention.stop();
      await worker.stop();
      await history?.stop();
    },
  };
}
