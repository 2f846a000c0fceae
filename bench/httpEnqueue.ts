/**
 * `npm run bench:http-enqueue`: large `enqueueJobs` requests over real HTTP, the path a script or
 * a service takes: 10,000 jobs per request (about 1 MB of JSON), one request at a time, against a
 * SyncBridge server in its own process (SQLite, worker off). Reports jobs/s, ms per request and
 * the server's CPU per MB of body (read from /proc). With BENCH_BEFORE=<another checkout> the
 * same runs against that checkout's `src/start.ts`, interleaved round by round, side by side.
 *
 *   BENCH_ROUNDS=3 BENCH_REQUESTS=10 BENCH_BEFORE=../prev npm run bench:http-enqueue
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { scratchSqlite } from './lib/databases.js';
import { startServer } from './lib/server.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const requests = Number(process.env.BENCH_REQUESTS ?? 10);
const batch = 10_000;
const checkouts = [
  { name: 'this checkout', dir: process.cwd() },
  ...(process.env.BENCH_BEFORE ? [{ name: `before (${process.env.BENCH_BEFORE})`, dir: resolve(process.env.BENCH_BEFORE) }] : []),
];

/** CPU seconds a process has used (utime + stime from /proc/<pid>/stat). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Run {
  jobsPerSecond: number;
  msPerRequest: number;
  cpuMsPerMb: number;
}

async function runOnce(dir: string, round: number): Promise<Run> {
  const scratch = scratchSqlite();
  const { child, url } = await startServer(dir, { DATABASE_URL: scratch.url, SYNCBRIDGE_WORKER: 'off', SYNCBRIDGE_MUTATIONS_PER_MINUTE: '0' });
  try {
    const bodies = Array.from({ length: requests }, (_, r) =>
      JSON.stringify({
        query: 'mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename } }',
        variables: { inputs: Array.from({ length: batch }, (_, i) => ({ jobType: 'CUSTOMER_SYNC', entityId: `http_${round}_${r}_${i}_padding_to_look_like_a_real_id` })) },
      }),
    );
    const megabytes = bodies.reduce((sum, body) => sum + body.length, 0) / 1024 / 1024;
    // One warm-up request (compiles, plans), not counted.
    await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[0]!.replaceAll('http_', 'warm_') }).then((r) => r.text());
    const cpuBefore = cpuSeconds(child.pid!);
    const started = performance.now();
    for (const body of bodies) {
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await response.text();
      if (!response.ok || !text.includes('EnqueueJobSuccess')) throw new Error(`enqueue failed: ${response.status} ${text.slice(0, 200)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    return { jobsPerSecond: (requests * batch) / seconds, msPerRequest: (seconds * 1000) / requests, cpuMsPerMb: (cpu * 1000) / megabytes };
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
    await scratch.drop();
  }
}

const results = new Map<string, Run[]>();
for (let round = 1; round <= rounds; round++) {
  // Alternate the order each round: neither checkout always runs on a warmer machine.
  const order = round % 2 ? checkouts : [...checkouts].reverse();
  for (const checkout of order) {
    const run = await runOnce(checkout.dir, round);
    results.set(checkout.name, [...(results.get(checkout.name) ?? []), run]);
    console.log(
      `round ${round}/${rounds}: ${checkout.name}: ${Math.round(run.jobsPerSecond)} jobs/s, ${run.msPerRequest.toFixed(0)} ms per request, ${run.cpuMsPerMb.toFixed(0)} ms CPU per MB`,
    );
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`\nenqueueJobs over HTTP: ${requests} requests of ${batch.toLocaleString('en-US')} jobs each, one at a time, ${rounds} round(s) (median)\n`);
console.table(
  [...results].map(([name, runs]) => ({
    checkout: name,
    'jobs/s': Math.round(median(runs.map((run) => run.jobsPerSecond))).toLocaleString('en-US'),
    'ms per request': median(runs.map((run) => run.msPerRequest)).toFixed(0),
    'server CPU ms per MB': median(runs.map((run) => run.cpuMsPerMb)).toFixed(0),
  })),
);
if (results.size === 2) {
  const [now, before] = [...results.values()] as [Run[], Run[]];
  console.log(`this checkout ÷ before: ${(median(now.map((run) => run.jobsPerSecond)) / median(before.map((run) => run.jobsPerSecond))).toFixed(2)}× the jobs/s`);
}
