// @ts-check
/**
 * The whole example, end to end (`npm start`): starts the fixture upstreams, starts SyncBridge
 * with our job types (SYNCBRIDGE_JOB_TYPES=./jobs.js), enqueues through GraphQL with a payload and
 * watches the job live until it succeeds; then shows a bad payload refused with its path, a 503
 * retried, the forensics SyncBridge recorded, and a non-retryable failure. Exits non-zero if
 * anything is not as described (CI runs it against the packed package).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createFixture } from './fixture.js';

const token = `hd_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const workDir = mkdtempSync(join(tmpdir(), 'syncbridge-example-'));
/** @type {import('node:child_process').ChildProcess | undefined} */
let server;
const fixture = createFixture({ token });
const deadline = setTimeout(() => fail('the example did not finish within 90 s'), 90_000);
process.on('uncaughtException', (error) => fail(`unexpected: ${error.stack ?? error}`));
process.on('unhandledRejection', (error) => fail(`unexpected: ${/** @type {Error} */ (error)?.stack ?? error}`));

/** @param {string} message */
function fail(message) {
  console.error(`\n✗ ${message}`);
  server?.kill('SIGKILL');
  process.exit(1);
}

/** @param {unknown} condition @param {string} message */
function check(condition, message) {
  if (!condition) fail(message);
  console.log(`  ✓ ${message}`);
}

// 1. The systems we sync between, and SyncBridge running our module.
const address = /** @type {import('node:net').AddressInfo} */ (await fixture.listen(0));
const upstreamBase = `http://127.0.0.1:${address.port}`;
console.log(`fixture upstreams on ${upstreamBase}`);

/** @type {Record<string, unknown>[]} */
const logs = [];
server = spawn(process.platform === 'win32' ? 'syncbridge-server.cmd' : 'syncbridge-server', {
  env: {
    ...process.env,
    PATH: `${join(process.cwd(), 'node_modules', '.bin')}:${process.env.PATH}`,
    SYNCBRIDGE_JOB_TYPES: './jobs.js',
    DATABASE_URL: `file:${join(workDir, 'example.db')}`,
    PORT: '0',
    HELPDESK_TOKEN: token,
    SYNCBRIDGE_UPSTREAM_HELPDESK_URL: `${upstreamBase}/helpdesk`,
    SYNCBRIDGE_UPSTREAM_BILLING_URL: `${upstreamBase}/billing`,
    LOG_LEVEL: 'info',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
server.on('exit', (code) => code !== null && code !== 0 && fail(`SyncBridge exited with ${code}`));
const url = await new Promise((resolve) => {
  createInterface({ input: /** @type {import('node:stream').Readable} */ (server?.stdout) }).on('line', (line) => {
    try {
      const entry = JSON.parse(line);
      logs.push(entry);
      if (entry.msg === 'SyncBridge listening') resolve(entry.url);
    } catch {
      // not a log line
    }
  });
});
console.log(`SyncBridge on ${url}`);

/** @param {string} query @param {Record<string, unknown>} [variables] */
async function graphql(query, variables) {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors) fail(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/**
 * Watches a job over SSE (the `jobUpdated` subscription) until it reaches a final status.
 * @param {string} id
 * @returns {Promise<{ status: string, attemptCount: number, lastErrorType: string | null }>}
 */
async function watch(id) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: 'subscription ($id: ID!) { jobUpdated(id: $id) { status phase attemptCount lastErrorType } }', variables: { id } }),
  });
  let buffer = '';
  for await (const chunk of /** @type {AsyncIterable<Uint8Array>} */ (response.body)) {
    buffer += Buffer.from(chunk).toString('utf8');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split('\n').find((line) => line.startsWith('data: '));
      if (!frame.startsWith('event: next') || !data) continue;
      const job = JSON.parse(data.slice(6)).data.jobUpdated;
      console.log(`    job ${id}: ${job.status} (${job.phase}), attempts ${job.attemptCount}${job.lastErrorType ? `, last error ${job.lastErrorType}` : ''}`);
      // Leaving the loop cancels the stream: the request ends, and the subscription with it.
      if (['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELED'].includes(job.status)) return job;
    }
  }
  return fail(`the stream for job ${id} ended early`);
}

const ENQUEUE = `mutation ($input: EnqueueJobInput!) {
  enqueueJob(input: $input) {
    __typename
    ... on EnqueueJobSuccess { job { id jobType payload } }
    ... on InputError { field message }
    ... on Error { message }
  } }`;

// 2. Our type, as the API describes it.
console.log('\nThe registered job types:');
const { jobTypes } = await graphql('{ jobTypes { jobType description versions upstreams retry { maxRetries jitter } payloadSchema } }');
console.log(JSON.stringify(jobTypes, null, 2));
check(jobTypes.length === 1 && jobTypes[0].jobType === 'CONTACT_SYNC', 'CONTACT_SYNC is the one registered type (the demo types are not)');
check(jobTypes[0].payloadSchema?.required?.includes('email'), 'its payload JSON Schema says email is required');

// 3. A contact, enqueued with its payload, watched until it is in Billing.
console.log('\nEnqueue h_ann and watch it:');
const ann = (await graphql(ENQUEUE, { input: { jobType: 'CONTACT_SYNC', entityId: 'h_ann', payload: { email: 'ann@example.com', name: 'Ann Lee', plan: 'team' } } })).enqueueJob;
check(ann.__typename === 'EnqueueJobSuccess', `enqueued job ${ann.job?.id} with payload ${JSON.stringify(ann.job?.payload)}`);
const annFinal = await watch(ann.job.id);
check(annFinal.status === 'SUCCEEDED', 'h_ann reached SUCCEEDED');
const created = fixture.requests.find((request) => request.path === '/billing/customers' && JSON.stringify(request.body).includes('h_ann'));
check(created && /** @type {{ plan?: string }} */ (created.body).plan === 'team', 'Billing received the customer with the payload’s fields');

// 4. A bad payload: refused with the path at fault, nothing stored.
console.log('\nEnqueue a bad payload:');
const bad = (await graphql(ENQUEUE, { input: { jobType: 'CONTACT_SYNC', entityId: 'h_bad', payload: { email: 'ann-at-example', name: 'Ann' } } })).enqueueJob;
console.log(`    ${bad.__typename}: field ${bad.field}: ${bad.message}`);
check(bad.__typename === 'InputError' && bad.field === 'payload.email', 'refused as an InputError on payload.email');
const { jobs } = await graphql('{ jobs(entityId: "h_bad") { totalCount } }');
check(jobs.totalCount === 0, 'nothing was stored for it');

// 5. The helpdesk answers 503 once: retried (full jitter, base 1 s), then it succeeds.
console.log('\nEnqueue h_flaky (its first helpdesk read answers 503):');
const flaky = (await graphql(ENQUEUE, { input: { jobType: 'CONTACT_SYNC', entityId: 'h_flaky', payload: { email: 'flaky@example.com', name: 'Flaky Co' } } })).enqueueJob;
const flakyFinal = await watch(flaky.job.id);
check(flakyFinal.status === 'SUCCEEDED' && flakyFinal.attemptCount === 2, 'h_flaky succeeded on its second attempt');

// 6. What SyncBridge recorded of each attempt (the forensics).
console.log('\nThe attempts of h_flaky, as recorded:');
const { job } = await graphql(
  'query ($id: ID!) { job(id: $id) { attempts { attemptNumber success errorType errorSummary upstreamCalls { method url status durationMs responseBody } } } }',
  { id: flaky.job.id },
);
console.log(JSON.stringify(job.attempts, null, 2));
const first = job.attempts.find((/** @type {{ attemptNumber: number }} */ attempt) => attempt.attemptNumber === 1);
check(first?.errorType === 'UpstreamTimeout' && first.upstreamCalls[0]?.status === 503, 'attempt 1 failed with the 503 recorded (status and body)');

// 7. A contact Billing cannot take: the handler's NonRetryableError fails it at once.
console.log('\nEnqueue h_loner (no organization):');
const loner = (await graphql(ENQUEUE, { input: { jobType: 'CONTACT_SYNC', entityId: 'h_loner', payload: { email: 'lone@example.com', name: 'Lone' } } })).enqueueJob;
const lonerFinal = await watch(loner.job.id);
check(lonerFinal.status === 'FAILED' && lonerFinal.lastErrorType === 'NoOrganization' && lonerFinal.attemptCount === 1, 'FAILED with NoOrganization after one attempt');

// 8. The helpdesk's token went with every call to it, and nowhere else.
const helpdeskCalls = fixture.requests.filter((request) => request.path.startsWith('/helpdesk/'));
check(helpdeskCalls.length >= 4 && helpdeskCalls.every((request) => request.authorization === `Bearer ${token}`), 'every helpdesk call carried the bearer token');
check(
  fixture.requests.filter((request) => request.path.startsWith('/billing/')).every((request) => request.authorization === undefined),
  'Billing never saw it',
);
check(!JSON.stringify(logs).includes(token), 'SyncBridge never logged it');

server.removeAllListeners('exit');
server.kill('SIGTERM');
await new Promise((resolve) => server?.once('exit', resolve));
await fixture.close();
rmSync(workDir, { recursive: true, force: true });
clearTimeout(deadline);
console.log('\nThe example ran as described.');
