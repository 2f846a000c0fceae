/**
 * One measurement of bench/fairness.ts in its own process, against BENCH_DB_URL: enqueues every
 * job with no worker running, then starts one worker (concurrency 10, no-op handler) and drains.
 *   BENCH_MODE=grouped    one group of BENCH_BIG jobs and BENCH_GROUPS groups of BENCH_SMALL each (groups from the payload)
 *   BENCH_MODE=small      the small groups only (what they take with the big group absent)
 *   BENCH_MODE=ungrouped  the same jobs as `grouped`, of a type without groups
 * Prints `RESULT {"jobs", "drainPerSecond", "smallP99Ms", "smallP50Ms"}`: the small groups' jobs'
 * time to finish, from the drain's start.
 */
import { pino } from 'pino';
import { z } from 'zod';
import { loadConfig } from '../../src/config/index.js';
import { defineJobType } from '../../src/index.js';
import { startSyncBridge } from '../../src/main.js';
import { jobsEnqueue } from '../../src/queue/services/jobsEnqueue.js';
import { benchWorker } from '../lib/worker.js';

const mode = process.env.BENCH_MODE ?? 'grouped';
const big = Number(process.env.BENCH_BIG ?? 50_000);
const groups = Number(process.env.BENCH_GROUPS ?? 100);
const small = Number(process.env.BENCH_SMALL ?? 100);
const config = loadConfig({ DATABASE_URL: process.env.BENCH_DB_URL, PORT: '0', SYNCBRIDGE_WORKER: 'off', LOG_LEVEL: 'silent' });
const logger = pino({ level: 'silent' });

let drainStart = 0;
let finished = 0;
const smallFinishMs: number[] = [];
const type = defineJobType({
  name: 'tenant_sync',
  payload: z.object({ tenant: z.string() }),
  ...(mode === 'ungrouped' ? {} : { group: (payload: { tenant: string }) => payload.tenant }),
  handler: ({ payload }) => {
    finished += 1;
    if (payload.tenant !== 'big') smallFinishMs.push(performance.now() - drainStart);
  },
});
const app = await startSyncBridge(config, { logger, jobTypes: [type] });

const tenants: [string, number][] = [
  ...(mode === 'small' ? [] : [['big', big] as [string, number]]),
  ...Array.from({ length: groups }, (_, n): [string, number] => [`t${n}`, small]),
];
const inputs = tenants.flatMap(([tenant, count]) => Array.from({ length: count }, (_, n) => ({ jobType: 'tenant_sync', entityId: `${tenant}_${n}`, payload: { tenant } })));
for (let offset = 0; offset < inputs.length; offset += 1_000) {
  const results = await jobsEnqueue(app.context, inputs.slice(offset, offset + 1_000));
  if (results.some((result) => !result.ok)) throw new Error('an enqueue failed');
}

const worker = benchWorker(app, config, logger);
drainStart = performance.now();
await worker.start();
while (finished < inputs.length) await new Promise((resolve) => setTimeout(resolve, 5));
const drainMs = performance.now() - drainStart;
await worker.stop();
await app.stop();
const sorted = smallFinishMs.sort((a, b) => a - b);
const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
console.log(`RESULT ${JSON.stringify({ jobs: inputs.length, drainPerSecond: Math.round(inputs.length / (drainMs / 1000)), smallP99Ms: at(0.99), smallP50Ms: at(0.5) })}`);
process.exit(0);
