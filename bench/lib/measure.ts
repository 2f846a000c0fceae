/**
 * One measurement protocol for every queue in the benchmark, so the figures compare: bulk enqueue
 * of a backlog with no worker running (batches of 5,000), then one worker process drains it
 * (timed from worker start to the last job's completion as the queue reports it), then
 * enqueue→handler-start latency on the idle worker, one job at a time.
 */
import { performance } from 'node:perf_hooks';

export interface QueueUnderTest {
  /** Enqueue `count` jobs numbered from `offset` in one call (the system's bulk API). */
  enqueueBatch(offset: number, count: number): Promise<void>;
  /** Starts the worker with `concurrency`; `onStart` runs at the start of each handler. */
  startWorker(concurrency: number, onStart: () => void): Promise<void>;
  /** Resolves once `count` jobs have completed since the worker started. */
  completed(count: number): Promise<void>;
  /** Enqueue one job (latency samples). */
  enqueueOne(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface QueueResult {
  enqueuePerSecond: number;
  drainPerSecond: number;
  latencyP50: number;
  latencyP99: number;
  /** CPU of this (the queue's client) process during the drain, in cores. */
  drainCpuCores: number;
  rssMb: number;
}

export const settings = {
  jobs: Number(process.env.BENCH_JOBS ?? 20_000),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 10),
  latencySamples: Number(process.env.BENCH_LATENCY_SAMPLES ?? 300),
  batch: 5_000,
};

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

export async function measure(queue: QueueUnderTest): Promise<QueueResult> {
  const { jobs, concurrency, latencySamples, batch } = settings;
  let began = performance.now();
  for (let i = 0; i < jobs; i += batch) await queue.enqueueBatch(i, Math.min(batch, jobs - i));
  const enqueuePerSecond = jobs / ((performance.now() - began) / 1000);

  let started = 0;
  let lastStart = 0;
  const cpu = process.cpuUsage();
  began = performance.now();
  await queue.startWorker(concurrency, () => {
    started += 1;
    lastStart = performance.now();
  });
  await queue.completed(jobs);
  const drainSeconds = (performance.now() - began) / 1000;
  const used = process.cpuUsage(cpu);
  const drainPerSecond = jobs / drainSeconds;

  const latencies: number[] = [];
  for (let i = 0; i < latencySamples; i++) {
    const before = started;
    const t0 = performance.now();
    await queue.enqueueOne(i);
    while (started === before) await tick();
    latencies.push(lastStart - t0);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  await queue.stop();
  return {
    enqueuePerSecond,
    drainPerSecond,
    latencyP50: percentile(latencies, 50),
    latencyP99: percentile(latencies, 99),
    drainCpuCores: (used.user + used.system) / 1e6 / drainSeconds,
    rssMb,
  };
}

/** Children report one line: `RESULT {json}`. */
export function report(result: unknown): void {
  console.log(`RESULT ${JSON.stringify(result)}`);
}
