/**
 * A long-running script with a GraphQL client (graphql-ws): enqueue a few jobs, watch every
 * failure live, and react: FAILED jobs with NotFound are reported, DEAD jobs are replayed once.
 *   npx tsx examples/watch-failures.ts            (SYNCBRIDGE_URL to point elsewhere)
 * It stops after --seconds (default 20).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.SYNCBRIDGE_URL ?? 'http://127.0.0.1:4000/graphql';
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 20;

async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((error) => error.message).join('; '));
  return body.data!;
}

const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket });
const replayed = new Set<string>();

const stop = client.subscribe<{ jobUpdated: { id: string; entityId: string; status: string; lastErrorType: string | null; isReplay: boolean } }>(
  { query: 'subscription { jobUpdated(status: [FAILED, DEAD]) { id entityId status lastErrorType isReplay } }' },
  {
    // Each update handled on its own; a failed replay is reported, never lost as an unhandled rejection.
    next: ({ data }) =>
      void (async () => {
        const job = data!.jobUpdated;
        console.log(`job ${job.id} (${job.entityId}) ${job.status}: ${job.lastErrorType}`);
        if (job.status === 'DEAD' && !job.isReplay && !replayed.has(job.id)) {
          replayed.add(job.id);
          const { replayJob } = await gql<{ replayJob: { __typename: string; job?: { id: string }; message?: string } }>(
            'mutation ($id: ID!) { replayJob(id: $id) { __typename ... on ReplayJobSuccess { job { id } } ... on Error { message } } }',
            { id: job.id },
          );
          console.log(replayJob.job ? `  replayed as job ${replayJob.job.id}` : `  could not replay: ${replayJob.message}`);
        }
      })().catch((error: unknown) => console.error('replay failed', error)),
    error: (error) => console.error('subscription failed', error),
    complete: () => {},
  },
);

const { enqueueJobs } = await gql<{ enqueueJobs: { __typename: string; job?: { id: string } }[] }>(
  'mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { __typename ... on EnqueueJobSuccess { job { id } } } }',
  { inputs: ['c_1001', 'c_missing', 'c_1002'].map((entityId) => ({ jobType: 'CUSTOMER_SYNC', entityId })) },
);
console.log('enqueued', enqueueJobs.map((item) => item.job?.id ?? item.__typename).join(', '));

setTimeout(async () => {
  stop();
  await client.dispose();
}, seconds * 1000);
