/**
 * Live fan-out benchmark: N WebSocket subscribers on one `jobUpdated` stream while jobs run at a
 * steady rate; reports deliveries/s, commit→client latency (p50/p99, from the job's updatedAt) and
 * losses. The server runs as its own process (SQLite; jobs for unknown CRM ids, which fail at once); the subscribers live
 * in this one, so the two cores are split between them. Stops by itself.
 *   npm run bench:live   (LIVE_SUBSCRIBERS=1000 LIVE_TRANSITIONS_PER_SECOND=100 LIVE_SECONDS=10)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const subscribers = Number(process.env.LIVE_SUBSCRIBERS ?? 1000);
const transitionsPerSecond = Number(process.env.LIVE_TRANSITIONS_PER_SECOND ?? 100);
const seconds = Number(process.env.LIVE_SECONDS ?? 10);
// Each job makes three transitions.
const jobsPerSecond = transitionsPerSecond / 3;

const dir = mkdtempSync(join(tmpdir(), 'sb-live-bench-'));
const port = Number(process.env.LIVE_PORT ?? 4555);
const url = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
  env: { ...process.env, DATABASE_URL: `file:${join(dir, 'live.db')}`, PORT: String(port), LOG_LEVEL: 'info', SYNCBRIDGE_WS_MAX_CONNECTIONS: String(subscribers + 10) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  createInterface({ input: server.stdout! }).on('line', (line) => {
    if (line.includes('SyncBridge listening')) resolve();
  });
});

const latencies: number[] = [];
const received = new Map<number, number>();
let deliveries = 0;
const clients: Client[] = [];
let ready = 0;
for (let i = 0; i < subscribers; i++) {
  const client = createClient({ url: url.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0 });
  clients.push(client);
  client.subscribe<{ jobUpdated: { id: string; status: string; updatedAt: string } }>(
    { query: 'subscription { jobUpdated { id status updatedAt } }' },
    {
      next: ({ data }) => {
        const job = data!.jobUpdated;
        deliveries += 1;
        latencies.push(Date.now() - Date.parse(job.updatedAt));
        received.set(i, (received.get(i) ?? 0) + 1);
      },
      error: (error) => console.error('subscriber error', error),
      complete: () => {},
    },
  );
  client.on('connected', () => (ready += 1));
}
while (ready < subscribers) await new Promise((resolve) => setTimeout(resolve, 50));
await new Promise((resolve) => setTimeout(resolve, 500));

// Steady load: enqueue one batch every 100 ms.
const started = Date.now();
let enqueued = 0;
const perTick = jobsPerSecond / 10;
let carry = 0;
while (Date.now() - started < seconds * 1000) {
  carry += perTick;
  const count = Math.floor(carry);
  carry -= count;
  if (count) {
    const inputs = Array.from({ length: count }, (_, k) => ({ jobType: 'CUSTOMER_SYNC', entityId: `c_${enqueued + k}` }));
    await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename } }', variables: { inputs } }),
    });
    enqueued += count;
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
await new Promise((resolve) => setTimeout(resolve, 2_000));
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
// Unknown CRM ids: each job goes PENDING → RUNNING → FAILED (NotFound), three transitions.
const expectedPerSubscriber = enqueued * 3;
console.log(`\nLive fan-out: ${subscribers} subscribers, target ${transitionsPerSecond} transitions/s for ${seconds}s`);
console.table([
  {
    'jobs enqueued': enqueued,
    'deliveries/s': Math.round(deliveries / elapsed),
    'commit→client p50 (ms)': pct(50),
    'commit→client p99 (ms)': pct(99),
    'min per subscriber': Math.min(...[...Array(subscribers).keys()].map((i) => received.get(i) ?? 0)),
    'expected per subscriber': expectedPerSubscriber,
  },
]);
for (const client of clients) void client.dispose();
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
rmSync(dir, { recursive: true, force: true });
