/**
 * `npm run bench:webhooks`: how fast a SyncBridge server takes changes the way a CRM sends them,
 * one signed webhook per change (POST /hooks/crm: signature, dedupe, delivery and job in one
 * transaction), against the same changes sent as one `enqueueJob` mutation each over HTTP (the
 * way a relay service of one's own would enqueue them), side by side in the same run. A server in
 * its own process (worker off), 32 senders at once, on SQLite and PostgreSQL; the deliveries
 * coalesce per record (4 changes per record) as the demo's crm source does.
 *
 *   BENCH_ROUNDS=3 BENCH_CHANGES=4000 npm run bench:webhooks
 */
import { signWebhook } from '../src/integrations/signature.js';
import { pgReachable, scratchPostgres, scratchSqlite, type Scratch } from './lib/databases.js';
import { startServer } from './lib/server.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const changes = Number(process.env.BENCH_CHANGES ?? 4_000);
const senders = 32;
const secret = 'whsec_bench_0123456789';

/** Sends every request with `senders` at once; changes per second. */
async function send(count: number, request: (index: number) => Promise<Response>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < count) {
        const response = await request(next++);
        if (!response.ok) throw new Error(`answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

const webhook = (url: string, round: number) => (index: number) => {
  const body = JSON.stringify({ id: `evt_${round}_${index}`, type: 'customer.updated', data: { id: `c_w${round}_${index % (changes / 4)}` } });
  return fetch(`${url}/hooks/crm`, { method: 'POST', headers: { 'content-type': 'application/json', 'syncbridge-signature': signWebhook(body, secret) }, body });
};

const mutation = (url: string, round: number) => (index: number) =>
  fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($input: EnqueueJobInput!) { enqueueJob(input: $input) { __typename } }',
      variables: { input: { jobType: 'CUSTOMER_SYNC', entityId: `c_g${round}_${index % (changes / 4)}`, ifActive: 'COALESCE' } },
    }),
  });

async function measure(name: string, scratch: () => Promise<Scratch> | Scratch): Promise<{ name: string; webhooks: number[]; mutations: number[] }> {
  const result = { name, webhooks: [] as number[], mutations: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const database = await scratch();
    const { child, url } = await startServer(process.cwd(), {
      DATABASE_URL: database.url,
      SYNCBRIDGE_WORKER: 'off',
      SYNCBRIDGE_MUTATIONS_PER_MINUTE: '0',
      SYNCBRIDGE_WEBHOOK_DELIVERIES_PER_MINUTE: '0',
      SYNCBRIDGE_WEBHOOK_SECRETS: `crm:${secret}`,
    });
    try {
      // A short warm-up of each path (JIT, prepared statements), then the two in alternating order.
      await send(200, webhook(url, 1000 + round));
      await send(200, mutation(url, 1000 + round));
      const order = round % 2 ? (['mutations', 'webhooks'] as const) : (['webhooks', 'mutations'] as const);
      for (const kind of order) result[kind].push(await send(changes, (kind === 'webhooks' ? webhook : mutation)(url, round)));
      console.log(`round ${round + 1}/${rounds} ${name}: webhooks ${Math.round(result.webhooks.at(-1)!)}/s, enqueueJob ${Math.round(result.mutations.at(-1)!)}/s`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((done) => child.once('exit', done));
      await database.drop();
    }
  }
  return result;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const results = [await measure('SQLite', scratchSqlite)];
if (await pgReachable()) results.push(await measure('PostgreSQL', scratchPostgres));
else console.log('PostgreSQL is not reachable: its runs are skipped');
console.log(`\n${changes} changes (4 per record), ${senders} senders at once, median of ${rounds} rounds:`);
console.table(
  results.map((result) => ({
    database: result.name,
    'signed webhooks /s': Math.round(median(result.webhooks)),
    'enqueueJob mutations /s': Math.round(median(result.mutations)),
    'webhooks ÷ mutations': `${(median(result.webhooks) / median(result.mutations)).toFixed(2)}×`,
  })),
);
