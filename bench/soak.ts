/**
 * `npm run bench:soak`: a million jobs through one worker process, on SQLite and on PostgreSQL
 * (one child process each): throughput and resident memory sampled every tenth of the run must
 * stay flat as finished rows pile up (the claim reads a partial index of due jobs only). A
 * producer keeps a bounded backlog ahead of the worker, so the figures are a steady state; the
 * first 5% (at most 50,000) warm up before the first tenth is timed.
 *   SOAK_JOBS=1000000 SOAK_DATABASES=sqlite,postgresql npm run bench:soak
 */
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { defineJobType } from '../src/index.js';
import { startSyncBridge } from '../src/main.js';
import { jobsEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { pgReachable, scratchPostgres, scratchSqlite } from './lib/databases.js';
import { report } from './lib/measure.js';

const total = Number(process.env.SOAK_JOBS ?? 1_000_000);
/** Done before the first tenth starts counting: the code's warm-up is not the table's growth. */
const warmup = Math.min(50_000, Math.round(total / 20));
const backlog = 50_000;
const batch = 5_000;

interface Sample {
  done: number;
  jobsPerSecond: number;
  rssMb: number;
  heapMb: number;
}

async function soak(url: string): Promise<Sample[]> {
  const config = loadConfig({ DATABASE_URL: url, PORT: '0', LOG_LEVEL: 'silent', SYNCBRIDGE_WORKER_CONCURRENCY: '10' });
  const app = await startSyncBridge(config, { logger: pino({ level: 'silent' }), jobTypes: [defineJobType({ name: 'customer_sync', handler: () => {} })] });
  const samples: Sample[] = [];
  const step = total / 10;
  let completed = 0;
  let nextSample = warmup + step;
  let last = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  app.bus.on('job:transitions', (transitions) => {
    for (const transition of transitions) if (transition.to === 'SUCCEEDED') completed += 1;
    if (completed >= warmup && last === 0) last = performance.now();
    while (last && completed >= nextSample) {
      const now = performance.now();
      // Retained memory, not the collector's sawtooth: collect first when the flag allows it.
      (globalThis as { gc?: () => void }).gc?.();
      const memory = process.memoryUsage();
      samples.push({ done: nextSample - warmup, jobsPerSecond: step / ((now - last) / 1000), rssMb: memory.rss / 1048576, heapMb: memory.heapUsed / 1048576 });
      last = now;
      nextSample += step;
    }
    if (completed >= warmup + total) finished();
  });
  // Keep producing past `total` until it is done, so the last tenth is as steady as the first.
  let enqueued = 0;
  while (completed < warmup + total) {
    if (enqueued - completed > backlog) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    const count = batch;
    await jobsEnqueue(
      app.context,
      Array.from({ length: count }, (_, i) => ({ jobType: 'customer_sync', entityId: `soak_${enqueued + i}` })),
    );
    enqueued += count;
  }
  await allDone;
  await app.stop(); // the surplus left in the queue is dropped with the scratch database
  return samples;
}

const databases = (process.env.SOAK_DATABASES ?? 'sqlite,postgresql').split(',');
const results: Record<string, Sample[]> = {};
for (const database of databases) {
  if (database === 'postgresql' && !(await pgReachable())) continue;
  const scratch = database === 'sqlite' ? scratchSqlite() : await scratchPostgres();
  try {
    results[database] = await soak(scratch.url);
  } finally {
    await scratch.drop();
  }
}
for (const [database, samples] of Object.entries(results)) {
  console.log(`\nSoak: ${total.toLocaleString('en-US')} jobs on ${database}, one worker process, concurrency 10\n`);
  console.table(
    samples.map((sample) => ({
      'jobs done': sample.done.toLocaleString('en-US'),
      'jobs/s (this tenth)': Math.round(sample.jobsPerSecond),
      'RSS MB': Math.round(sample.rssMb),
      'heap after GC MB': Math.round(sample.heapMb),
    })),
  );
  const first = samples[0]!;
  const lastSample = samples.at(-1)!;
  console.log(
    `last tenth ÷ first tenth: throughput ${(lastSample.jobsPerSecond / first.jobsPerSecond).toFixed(2)}×, RSS ${(lastSample.rssMb / first.rssMb).toFixed(2)}×, heap after GC ${(lastSample.heapMb / first.heapMb).toFixed(2)}×`,
  );
}
report(results);
process.exit(0);
