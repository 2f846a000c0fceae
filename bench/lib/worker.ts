/** The worker a benchmark child drains with: one process's worker on the started app, no upstreams, the configured prefetch and poll. */
import type { Logger } from 'pino';
import type { Config } from '../../src/config/index.js';
import { UpstreamPacer } from '../../src/integrations/pace.js';
import type { SyncBridge } from '../../src/main.js';
import { Worker } from '../../src/queue/worker/worker.js';

export function benchWorker(app: Pick<SyncBridge, 'context' | 'jobTypes'>, config: Config, logger: Logger, concurrency = 10): Worker {
  return new Worker({
    context: app.context,
    runner: app.jobTypes.runner({ upstreams: [], pacer: new UpstreamPacer([], {}, undefined, logger) }),
    concurrency,
    prefetchMax: config.workerPrefetch,
    pollIntervalMs: config.workerPollSeconds * 1000,
    shutdownGraceMs: 1_000,
    handlerTimeoutMs: config.handlerTimeoutSeconds * 1000,
  });
}
