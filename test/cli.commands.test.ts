/** The CLI end to end against a running server: every command, --json parsed, exit codes. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exitCodes, main } from '../src/cli/main.js';
import { defineJobType } from '../src/index.js';
import { isFinal, startTestApp, waitForJob, type TestApp } from './helpers.js';

const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
const execFileAsync = promisify(execFile);

const operatorToken = 'cli-operator-token-0123456789';
const adminToken = 'cli-admin-token-0123456789ab';

/** The CLI in this process against `app`, as its bin runs it: exit code, output, and --json parsed. */
async function runCli(app: TestApp, args: string[], stdin?: string, token: string | null = operatorToken) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['--url', `${app.url}/graphql`, ...(token ? ['--token', token] : []), ...args], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    stdin: stdin === undefined ? undefined : Readable.from([stdin]),
    env: {},
  });
  return { code, out: out.join('\n'), err: err.join('\n'), json: () => JSON.parse(out.join('\n')) };
}

// The server runs only trusted documents and needs a token: every command below proves that its
// operation is in the manifest (client/dist/trusted-documents.json) and that it sends the token.
describe('syncbridge CLI', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('sqlite', {
      SYNCBRIDGE_PERSISTED_ONLY: 'true',
      SYNCBRIDGE_API_TOKENS: `cli:operator:${operatorToken},cli-admin:admin:${adminToken}`,
      SYNCBRIDGE_MOCKS: 'on',
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  const run = (args: string[], stdin?: string, token: string | null = operatorToken) => runCli(app, args, stdin, token);

  it('without a token a mutation is refused with its own exit code, and other documents do not run at all', async () => {
    const refused = await run(['--json', 'enqueue', 'customer_sync', 'c_no_token'], undefined, null);
    expect(refused.code).toBe(exitCodes.UnauthorizedError);
    expect(refused.json()).toMatchObject({ __typename: 'UnauthorizedError' });
    const arbitrary = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` },
      body: JSON.stringify({ query: '{ jobs(first: 1) { totalCount } }' }),
    });
    expect((await arbitrary.json()).errors[0]).toMatchObject({ extensions: { code: 'PERSISTED_QUERY_ONLY' } });
    expect(app.logs.lines.some((line) => line.msg === 'refused an operation that is not a trusted document')).toBe(true);
  });

  it('enqueue prints the job; --json is the typed result', async () => {
    const human = await run(['enqueue', 'customer_sync', 'c_1001', '--priority', 'HIGH']);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/Enqueued job \d+/);
    const json = await run(['--json', 'enqueue', 'invoice_sync', 'i_2001', '--max-retries', '1', '--at', later]);
    expect(json.code).toBe(0);
    expect(json.json()).toMatchObject({ __typename: 'EnqueueJobSuccess', job: { entityId: 'i_2001', maxRetries: 1, phase: 'SCHEDULED', jobType: 'invoice_sync' } });
  });

  it('maps every typed error to its own exit code', async () => {
    const duplicate = await run(['--json', 'enqueue', 'invoice_sync', 'i_2001']);
    expect(duplicate.code).toBe(exitCodes.DuplicateActiveJobError);
    expect(duplicate.json()).toMatchObject({ __typename: 'DuplicateActiveJobError' });
    // The same pair with --if-active COALESCE: folded into the waiting job, exit 0.
    const coalesced = await run(['enqueue', 'invoice_sync', 'i_2001', '--if-active', 'coalesce']);
    expect(coalesced.code).toBe(0);
    expect(coalesced.out).toContain(`Coalesced into job ${duplicate.json().existingJobId}`);
    const invalid = await run(['enqueue', 'customer_sync', 'bad id!']);
    expect(invalid.code).toBe(exitCodes.InputError);
    expect(invalid.err).toContain('InputError');
    const missing = await run(['retry', '424242']);
    expect(missing.code).toBe(exitCodes.NotFoundError);
    const succeeded = JSON.parse((await run(['--json', 'list', '--status', 'SUCCEEDED,PENDING', '--limit', '1'])).out).edges[0].node;
    const wrongState = await run(['--json', 'retry', succeeded.id]);
    expect(wrongState.code).toBe(exitCodes.InvalidStateError);
    expect(wrongState.json()).toMatchObject({ __typename: 'InvalidStateError' });
    expect((await run(['enqueue', 'email sync', 'x'])).code).toBe(exitCodes.usage);
    // A well-formed name the server does not have: the server says so, as an input error.
    const unknownType = await run(['enqueue', 'email_sync', 'x']);
    expect(unknownType.code).toBe(exitCodes.InputError);
    expect(unknownType.err).toMatch(/^InputError: .*"EMAIL_SYNC".* This server's job types: customer_sync, invoice_sync\.$/);
    expect((await run(['get', 'nope'])).code).toBe(exitCodes.NotFoundError);
    const unreachable = await main(['--url', 'http://127.0.0.1:9/graphql', 'metrics'], { out: () => {}, err: () => {}, env: {} });
    expect(unreachable).toBe(exitCodes.unexpected);
  });

  it('get, cancel, retry, replay and list', async () => {
    const failed = (await run(['--json', 'enqueue', 'customer_sync', 'c_missing'])).json().job;
    await waitForJob(app, Number(failed.id), isFinal);
    const got = await run(['--json', 'get', failed.id]);
    expect(got.json()).toMatchObject({ id: failed.id, status: 'FAILED', attempts: [{ attemptNumber: 1, errorType: 'NotFound' }] });
    expect((await run(['get', failed.id])).out).toContain('NotFound');

    const replayed = await run(['--json', 'replay', failed.id, '--attempt', got.json().attempts[0].id]);
    expect(replayed.json()).toMatchObject({ __typename: 'ReplayJobSuccess', job: { isReplay: true, replayOf: { id: failed.id } } });
    await waitForJob(app, Number(replayed.json().job.id), isFinal);

    const retried = await run(['--json', 'retry', failed.id]);
    expect(retried.json()).toMatchObject({ __typename: 'RetryJobSuccess', job: { id: failed.id } });

    const scheduled = (await run(['--json', 'enqueue', 'customer_sync', 'c_later', '--at', later])).json().job;
    await waitForJob(app, Number(failed.id), isFinal);
    const refusedNow = await run(['run-now', failed.id]);
    expect(refusedNow.err).toBe(`InvalidStateError: Cannot run now job ${failed.id}: it is FAILED; only PENDING jobs can be run now.`);
    const laterStill = (await run(['--json', 'enqueue', 'customer_sync', 'c_now', '--at', later])).json().job;
    expect((await run(['run-now', laterStill.id])).out).toMatch(new RegExp(`^Job ${laterStill.id} is due now`));
    await waitForJob(app, Number(laterStill.id), isFinal);

    const canceled = await run(['--json', 'cancel', scheduled.id]);
    expect(canceled.json()).toMatchObject({ __typename: 'CancelJobSuccess', job: { status: 'CANCELED' } });

    const list = await run(['--json', 'list', '--type', 'customer_sync', '--status', 'CANCELED']);
    expect(list.json().edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([scheduled.id]);
    expect((await run(['list', '--limit', '2'])).out).toMatch(/2 of \d+/);
  });

  it('get shows the upstream calls and the lineage; list takes an id prefix; retry of a DEAD job points at replay; tables rule only the header', async () => {
    const failed = (await run(['--json', 'enqueue', 'customer_sync', 'c_missing_cli'])).json().job;
    await waitForJob(app, Number(failed.id), isFinal);
    const replay = (await run(['--json', 'replay', failed.id])).json().job;
    await waitForJob(app, Number(replay.id), isFinal);
    const original = (await run(['get', failed.id])).out;
    expect(original).toMatch(/attempt 1 called:/);
    expect(original).toMatch(/GET\s*│\s*http:\/\/127\.0\.0\.1:\d+\/mock\/crm\/customers\/c_missing_cli\s*│\s*404/);
    expect(original).toContain(`replayed by job ${replay.id} (FAILED)`);
    expect((await run(['get', replay.id])).out).toContain(`replay of job ${failed.id} (FAILED), attempt 1 (NotFound)`);

    const listed = await run(['list', '--entity', 'c_missing_c*']);
    expect(listed.out).toMatch(/^2 of 2$/m);
    // One rule under the header, none between rows: header, rule, two rows, and the frame's top and bottom.
    expect(listed.out.split('\n').filter((line) => line.startsWith('├'))).toHaveLength(1);
    expect((await run(['--json', 'list', '--entity', 'c_missing_c*'])).json().edges.map((edge: { node: { jobType: string } }) => edge.node.jobType)).toEqual([
      'customer_sync',
      'customer_sync',
    ]);

    const dead = (await run(['--json', 'enqueue', 'customer_sync', 'c_1002', '--max-retries', '0'])).json().job;
    await waitForJob(app, Number(dead.id), isFinal);
    const refused = await run(['retry', dead.id]);
    expect(refused.err).toMatch(new RegExp(`^InvalidStateError: .* A DEAD job is run again by replaying it: syncbridge replay ${dead.id}$`));
  });

  it('enqueue --file reads NDJSON (or stdin) in batches, reports progress, exits 7 when items fail', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ jobType: 'invoice_sync', entityId: `file_${i}`, scheduledAt: later }));
    const file = join(tmpdir(), `sb-cli-${process.pid}.ndjson`);
    writeFileSync(file, lines.join('\n') + '\n');
    const fromFile = await run(['enqueue', '--file', file, '--batch-size', '10']);
    expect(fromFile.code).toBe(0);
    expect(fromFile.out).toContain('30 enqueued, 0 failed');
    expect(fromFile.err).toContain('enqueued 30/30');
    const fromStdin = await run(['--json', 'enqueue', '--file', '-'], `${lines[0]}\n{"jobType":"customer_sync","entityId":""}\n`);
    expect(fromStdin.code).toBe(exitCodes.batchFailures);
    expect(fromStdin.json().map((item: { __typename: string }) => item.__typename)).toEqual(['DuplicateActiveJobError', 'InputError']);
  });

  it('retry, cancel and replay act on every job a filter matches, with --dry-run first', async () => {
    for (const entity of ['blk_1', 'blk_2', 'blk_3']) expect((await run(['enqueue', 'invoice_sync', entity, '--at', later])).code).toBe(0);
    const dry = await run(['--json', 'cancel', '--status', 'pending', '--entity-prefix', 'blk_', '--dry-run']);
    expect(dry.json()).toMatchObject({ __typename: 'BulkActionResult', dryRun: true, matched: 3, affected: 3, skipped: 0 });
    expect(await app.database.db.job.count({ where: { entityId: { startsWith: 'blk_' }, status: 'PENDING' } })).toBe(3);
    const done = await run(['cancel', '--status', 'PENDING', '--type', 'invoice_sync', '--entity-prefix', 'blk_', '--since', '1h']);
    expect(done.out).toBe('affected 3 of 3 matching jobs; skipped 0');
    expect(await app.database.db.job.count({ where: { entityId: { startsWith: 'blk_' }, status: 'CANCELED' } })).toBe(3);
    const again = await run(['retry', '--status', 'CANCELED', '--entity-prefix', 'blk_']);
    expect(again.out).toContain('affected 0 of 3 matching jobs; skipped 3');
    expect(again.out).toContain('skipped 3: InvalidStateError');
    const usage = await run(['replay']);
    expect(usage.code).toBe(exitCodes.usage);
    expect(usage.err).toContain('replay needs <id>, or filter options');
  });

  it('pause, types and resume a job type', async () => {
    const paused = await run(['pause', 'invoice_sync']);
    expect(paused.code).toBe(0);
    expect(paused.out).toMatch(/^invoice_sync paused: \d+ pending, \d+ running$/);
    const types = await run(['--json', 'types']);
    expect(types.json().find((row: { jobType: string }) => row.jobType === 'invoice_sync')).toMatchObject({ paused: true });
    expect((await run(['resume', 'invoice_sync'])).out).toMatch(/^invoice_sync resumed/);
    expect(await app.database.db.jobTypeState.findUnique({ where: { jobType: 'invoice_sync' } })).toMatchObject({ paused: false });
  });

  it('concurrency sets and removes a job type limit; a bad limit is a usage error, a refused one an input error', async () => {
    const limited = await run(['concurrency', 'customer_sync', '2']);
    expect(limited.code).toBe(0);
    expect(limited.out).toMatch(/^customer_sync: at most 2 running at once; \d+ pending, \d+ running$/);
    expect((await run(['types'])).out).toMatch(/customer_sync\s+│\s+1\s+│\s+active\s+│\s+2\s+│/);
    expect(await app.database.db.jobTypeState.findUnique({ where: { jobType: 'customer_sync' } })).toMatchObject({ concurrency: 2 });
    expect((await run(['concurrency', 'customer_sync', 'lots'])).code).toBe(exitCodes.usage);
    const refused = await run(['concurrency', 'customer_sync', '0']);
    expect(refused.code).toBe(exitCodes.InputError);
    expect(refused.err).toContain('concurrency must be a whole number from 1');
    const cleared = await run(['--json', 'concurrency', 'customer_sync', 'none']);
    expect(cleared.json()).toMatchObject({ jobType: 'customer_sync', concurrency: null });
  });

  it("groups: a type's groups with work; pause, resume and limit one group, each audited; a bad group is an input error", async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const one = await run(['--json', 'enqueue', 'invoice_sync', 'i_cli_g1', '--group', 'acme', '--at', later]);
    expect(one.json()).toMatchObject({ job: { entityId: 'i_cli_g1' } });
    const lines = [
      { jobType: 'invoice_sync', entityId: 'i_cli_g2', groupKey: 'acme', scheduledAt: later },
      { jobType: 'invoice_sync', entityId: 'i_cli_g3', groupKey: 'globex', scheduledAt: later },
    ];
    expect((await run(['enqueue', '--file', '-'], lines.map((line) => JSON.stringify(line)).join('\n') + '\n')).code).toBe(0);
    const listed = await run(['--json', 'groups', 'invoice_sync']);
    expect(listed.json().map((row: { groupKey: string; pending: number }) => [row.groupKey, row.pending])).toEqual([
      ['acme', 2],
      ['globex', 1],
    ]);
    const paused = await run(['group-pause', 'invoice_sync', 'acme']);
    expect(paused.out).toBe('invoice_sync acme: paused, no limit; 2 pending, 0 running');
    const limited = await run(['group-concurrency', 'invoice_sync', 'acme', '3']);
    expect(limited.out).toBe('invoice_sync acme: paused, at most 3 running at once; 2 pending, 0 running');
    expect((await run(['groups', 'invoice_sync'])).out).toMatch(/acme\s+│\s+paused\s+│\s+3\s+│\s+2\s+│\s+0/);
    expect((await run(['--json', 'group-resume', 'invoice_sync', 'acme'])).json()).toMatchObject({ groupKey: 'acme', paused: false, concurrency: 3 });
    expect((await run(['group-concurrency', 'invoice_sync', 'acme', 'none'])).out).toBe('invoice_sync acme: active, no limit; 2 pending, 0 running');
    const refused = await run(['group-pause', 'invoice_sync', 'has spaces']);
    expect(refused.code).toBe(exitCodes.InputError);
    expect((await run(['group-concurrency', 'invoice_sync', 'acme', 'lots'])).code).toBe(exitCodes.usage);
    const audit = await app.database.db.auditEvent.findMany({ where: { action: { startsWith: 'GROUP_' } }, orderBy: { id: 'asc' } });
    expect(audit.map((event) => event.action)).toEqual(['GROUP_PAUSE', 'GROUP_CONCURRENCY', 'GROUP_RESUME', 'GROUP_CONCURRENCY']);
    const acme = await run(['--json', 'list', '--group', 'acme']);
    expect(
      acme
        .json()
        .edges.map((edge: { node: { entityId: string } }) => edge.node.entityId)
        .sort(),
    ).toEqual(['i_cli_g1', 'i_cli_g2']);
    expect((await run(['cancel', '--group', 'acme'])).out).toBe('affected 2 of 2 matching jobs; skipped 0');
    expect((await run(['cancel', '--entity-prefix', 'i_cli_g'])).code).toBe(0);
  });

  it('schedules: create, list, pause, resume and delete', async () => {
    const created = await run(['schedules', 'create', 'nightly', '0 2 * * *', 'customer_sync', 'c_1001', '--timezone', 'Europe/Paris', '--catch-up', 'ONCE']);
    expect(created.out).toMatch(/^Schedule nightly created; next run /);
    const bad = await run(['--json', 'schedules', 'create', 'broken', 'not a cron', 'customer_sync', 'c_1001']);
    expect(bad.code).toBe(exitCodes.InputError);
    expect(bad.json()).toMatchObject({ __typename: 'InputError', field: 'cron' });
    expect((await run(['--json', 'schedules', 'list'])).json()).toMatchObject([{ name: 'nightly', timezone: 'Europe/Paris', catchUp: 'ONCE', paused: false }]);
    expect((await run(['schedules', 'pause', 'nightly'])).out).toBe('Schedule nightly paused');
    expect((await run(['schedules', 'resume', 'nightly'])).out).toMatch(/^Schedule nightly resumed; next run /);
    expect((await run(['schedules', 'delete', 'nightly'])).out).toBe('Schedule nightly deleted');
    expect((await run(['schedules', 'delete', 'nightly'])).code).toBe(exitCodes.NotFoundError);
  });

  it('alerts: admins create and delete rules; anyone lists them and the history', async () => {
    const forbidden = await run(['--json', 'alerts', 'create', 'billing down', '--kind', 'UPSTREAM_OPEN', '--slack', 'https://hooks.slack.example/T1/B2/xyz']);
    expect(forbidden.code).toBe(exitCodes.ForbiddenError);
    const created = await run(['alerts', 'create', 'billing down', '--kind', 'UPSTREAM_OPEN', '--slack', 'https://hooks.slack.example/T1/B2/xyz'], undefined, adminToken);
    expect(created.out).toMatch(/^Alert rule \d+ "billing down" created$/);
    const bad = await run(['--json', 'alerts', 'create', 'x', '--kind', 'FAILURE_RATE', '--threshold', '3', '--email', 'ops@example.com'], undefined, adminToken);
    expect(bad.code).toBe(exitCodes.InputError);
    expect(bad.json()).toMatchObject({ __typename: 'InputError', field: 'threshold' });
    // An operator sees the channel's origin only: a Slack URL is a credential.
    expect((await run(['--json', 'alerts', 'list'])).json()).toMatchObject([
      { name: 'billing down', kind: 'UPSTREAM_OPEN', channel: { kind: 'SLACK', url: 'https://hooks.slack.example/…' } },
    ]);
    expect((await run(['alerts', 'list'], undefined, adminToken)).out).toContain('SLACK https://hooks.slack.example/T1/B2/xyz');
    expect((await run(['alerts', 'history'])).out).toBe('no alerts');
    const id = String(created.out.match(/\d+/)![0]);
    expect((await run(['alerts', 'delete', id], undefined, adminToken)).out).toBe(`Alert rule ${id} "billing down" deleted`);
  });

  it('metrics matches the server', async () => {
    const metrics = (await run(['--json', 'metrics'])).json();
    expect(metrics.totalJobs).toBe(await app.database.db.job.count());
  });

  it('watch follows a job live until it finishes (exit 8 when it did not succeed)', async () => {
    const job = (await run(['--json', 'enqueue', 'customer_sync', 'c_1002'])).json().job;
    const watched = await run(['--json', 'watch', job.id]);
    const updates = watched.out.split('\n').map((line) => JSON.parse(line));
    expect(updates.at(-1)).toMatchObject({ id: job.id, status: 'DEAD', attemptCount: 4 });
    expect(watched.code).toBe(exitCodes.jobNotSucceeded);
    const ok = (await run(['--json', 'enqueue', 'customer_sync', 'c_flaky'])).json().job;
    expect((await run(['watch', ok.id])).code).toBe(0);
    expect((await run(['watch', '999999'])).code).toBe(exitCodes.NotFoundError);
  });

  it("the bin's entry runs, with --help for each command (the compiled bin: scripts/production-check.sh)", async () => {
    // Asynchronously: the server under test shares this process's event loop.
    for (const command of ['enqueue', 'retry', 'cancel', 'replay', 'get', 'list', 'metrics', 'watch']) {
      const help = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', command, '--help'], { timeout: 20_000 });
      expect(help.stdout).toContain(`Usage: syncbridge ${command}`);
    }
    const metrics = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', '--json', '--url', `${app.url}/graphql`, 'metrics'], {
      timeout: 20_000,
      env: { ...process.env, SYNCBRIDGE_TOKEN: operatorToken },
    });
    expect(JSON.parse(metrics.stdout).totalJobs).toBeGreaterThan(0);
    const failing = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', '--url', `${app.url}/graphql`, '--token', operatorToken, 'get', '31337'], {
      timeout: 20_000,
    }).catch((error: { code: number }) => error);
    expect((failing as { code: number }).code).toBe(exitCodes.NotFoundError);
  });
});

describe('syncbridge CLI with job types of your own', () => {
  let app: TestApp;
  const contactSync = defineJobType({
    name: 'contact_sync',
    description: 'Helpdesk contact → Billing customer',
    payload: z.object({ email: z.string().email(), name: z.string() }),
    handler: () => ({ ok: true }),
  });
  beforeAll(async () => {
    app = await startTestApp('sqlite', { SYNCBRIDGE_PERSISTED_ONLY: 'true', SYNCBRIDGE_API_TOKENS: `cli:operator:${operatorToken}` }, { jobTypes: [contactSync], upstreams: {} });
  });
  afterAll(async () => {
    await app?.close();
  });
  const run = (args: string[], stdin?: string) => runCli(app, args, stdin);

  it('enqueues with --payload; a payload its schema refuses is an InputError naming the path; bad JSON is a usage error', async () => {
    const ok = await run(['--json', 'enqueue', 'contact_sync', 'h_cli', '--payload', '{"email":"cli@example.com","name":"Cli"}']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ __typename: 'EnqueueJobSuccess', job: { jobType: 'contact_sync', entityId: 'h_cli' } });
    const shown = await run(['get', ok.json().job.id]);
    expect(shown.out).toContain('payload (v1): {"email":"cli@example.com","name":"Cli"}');

    const refused = await run(['enqueue', 'contact_sync', 'h_cli2', '--payload', '{"email":"nope","name":"Cli"}']);
    expect(refused.code).toBe(exitCodes.InputError);
    expect(refused.err).toContain('InputError: payload.email: Invalid email address');
    const notJson = await run(['enqueue', 'contact_sync', 'h_cli3', '--payload', '{email: nope}']);
    expect(notJson.code).toBe(exitCodes.usage);
    expect(notJson.err).toContain('not JSON');
    const unknown = await run(['enqueue', 'customer_sync', 'c_1001']);
    expect(unknown.code).toBe(exitCodes.InputError);
    expect(unknown.err).toMatch(/^InputError: .*"CUSTOMER_SYNC".* This server's job types: contact_sync\.$/);
  });

  it('enqueues NDJSON lines with their payloads, each item on its own', async () => {
    const lines = [
      JSON.stringify({ jobType: 'contact_sync', entityId: 'h_nd1', payload: { email: 'nd1@example.com', name: 'One' } }),
      JSON.stringify({ jobType: 'contact_sync', entityId: 'h_nd2', payload: { email: 'nd2', name: 'Two' } }),
    ].join('\n');
    const result = await run(['enqueue', '--file', '-'], lines);
    expect(result.code).toBe(exitCodes.batchFailures);
    expect(result.out).toContain('1 enqueued, 1 failed');
    expect(result.out).toMatch(/h_nd2\s+│\s+InputError\s+│\s+payload\.email: Invalid email address/);
    const types = await run(['types']);
    expect(types.out).toMatch(/contact_sync\s+│\s+1\s+│\s+active\s+│/);
    expect(types.out).toContain('Helpdesk contact → Billing customer');
  });
});
