/**
 * How job types reach a process: SYNCBRIDGE_JOB_TYPES (a module that fails to load or to
 * validate stops start-up with one message, exit 2), createSyncBridge in a team's own process
 * (its env over process.env, PORT 0 and `url`), and errors thrown by another copy of the package
 * still classified as what they are.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createSyncBridge, defineJobType, RetryableError, UpstreamRateLimitedError } from '../src/index.js';
import { coerceError } from '../src/integrations/errors.js';
import { startServerProcess, testEnv } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'syncbridge-modules-'));
const api = pathToFileURL(resolve('src/index.ts')).href;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function moduleFile(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

/** Runs `npm start`'s entry to its exit: the code and what it printed on stderr. */
function startUp(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
    env: { ...process.env, ...testEnv, DATABASE_URL: `file:${join(dir, 'never.db')}`, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on('exit', (code) => done({ code, stderr })));
}

describe('SYNCBRIDGE_JOB_TYPES', () => {
  const cases: [string, string | undefined, RegExp][] = [
    ['a file that is not there', undefined, /SYNCBRIDGE_JOB_TYPES=.*missing\.mjs: no such file/],
    ['a module that throws while loading', `throw new Error('helpdesk client misconfigured');`, /the module failed to load: helpdesk client misconfigured/],
    ['a default export that is not a list', `export default { name: 'contact_sync' };`, /its default export must be an array of job types/],
    ['an item not made by defineJobType', `export default [{ name: 'contact_sync', handler() {} }];`, /item 0 of its default export was not made by defineJobType/],
    [
      'a definition that does not validate',
      `import { defineJobType } from '${api}';\nexport default [defineJobType({ name: 'Contact Sync', handler() {} })];`,
      /the module failed to load: Job type "Contact Sync": the name must be lower-case letters, digits and _/,
    ],
    [
      'a version defined twice',
      `import { defineJobType } from '${api}';\nexport default [defineJobType({ name: 'contact_sync', handler() {} }), defineJobType({ name: 'contact_sync', handler() {} })];`,
      /SYNCBRIDGE_JOB_TYPES=.*: Job type "contact_sync" version 1 is defined twice/,
    ],
    [
      "an upstream whose credential's variable is not set",
      `import { defineJobType } from '${api}';\nexport default [defineJobType({ name: 'contact_sync', handler() {} })];\nexport const upstreams = { helpdesk: { baseUrl: 'http://127.0.0.1:9', auth: { bearerEnv: 'HELPDESK_TOKEN_UNSET' } } };`,
      /upstream "helpdesk": its credential variable HELPDESK_TOKEN_UNSET is not set/,
    ],
    [
      'a webhook source without a mapping',
      `import { defineJobType } from '${api}';\nexport default [defineJobType({ name: 'contact_sync', handler() {} })];\nexport const webhooks = { helpdesk: { scheme: 'syncbridge' } };`,
      /its `webhooks` export: webhook source "helpdesk" needs map\(event\)/,
    ],
    [
      'a webhook source whose name cannot be a path',
      `import { defineJobType } from '${api}';\nexport default [defineJobType({ name: 'contact_sync', handler() {} })];\nexport const webhooks = { 'Help Desk': { map: () => [] } };`,
      /webhook source "Help Desk": a name is lower-case letters/,
    ],
  ];
  it.each(cases)(
    '%s stops start-up with one message, exit 2',
    async (_what, source, message) => {
      const file = source === undefined ? join(dir, 'missing.mjs') : moduleFile(`${_what.replace(/\W+/g, '_')}.mjs`, source);
      const { code, stderr } = await startUp({ SYNCBRIDGE_JOB_TYPES: file });
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    },
    30_000,
  );

  it('runs the module’s types and upstreams, and the demo’s are gone', async () => {
    const file = moduleFile(
      'jobs.mjs',
      `import { defineJobType } from '${api}';
export default [defineJobType({ name: 'note_sync', description: 'Notes', handler: (ctx) => ({ seen: ctx.entityId }) })];
export const upstreams = { notes: { baseUrl: 'http://127.0.0.1:9/notes' } };`,
    );
    const server = await startServerProcess({ DATABASE_URL: `file:${join(dir, 'module.db')}`, SYNCBRIDGE_JOB_TYPES: file });
    try {
      const registered = server.logs.find((line) => line.msg === 'job types registered');
      expect(registered).toMatchObject({ jobTypes: ['note_sync v1'], from: 'module' });
      expect(server.logs.find((line) => line.msg === 'upstreams configured')).toMatchObject({ upstreams: [{ name: 'notes', baseUrl: 'http://127.0.0.1:9/notes' }] });
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ jobTypes { jobType description } }' }),
      });
      expect(((await response.json()) as { data: unknown }).data).toEqual({ jobTypes: [{ jobType: 'NOTE_SYNC', description: 'Notes' }] });
      // GraphiQL opens with an enqueue of the module's type, not the demo's.
      const graphiql = await (await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } })).text();
      expect(graphiql).toContain('jobType: NOTE_SYNC');
      expect(graphiql).not.toContain('CUSTOMER_SYNC');
    } finally {
      await server.stop();
    }
  }, 30_000);
});

describe('a module’s webhook sources', () => {
  it('serves each source that has a secret at /hooks/<name>, mapping its events to the module’s types', async () => {
    const file = moduleFile(
      'hooks.mjs',
      `import { defineJobType, defineWebhookSource } from '${api}';
export default [defineJobType({ name: 'ticket_sync', handler: () => undefined })];
export const webhooks = {
  helpdesk: defineWebhookSource({ secretEnv: 'HELPDESK_HOOK_SECRET', map: (event) => [{ jobType: 'ticket_sync', entityId: event.ticket }] }),
  quiet: defineWebhookSource({ map: () => [] }),
};`,
    );
    const { signWebhook } = await import('../src/index.js');
    const server = await startServerProcess({ DATABASE_URL: `file:${join(dir, 'hooks.db')}`, SYNCBRIDGE_JOB_TYPES: file, HELPDESK_HOOK_SECRET: 'hs_1' });
    try {
      expect(server.logs.find((line) => line.msg?.toString().startsWith('webhook sources enabled'))).toMatchObject({ sources: [{ name: 'helpdesk', scheme: 'syncbridge' }] });
      const body = JSON.stringify({ id: 'd_1', ticket: 't_42' });
      const post = (source: string) =>
        fetch(`${server.url}/hooks/${source}`, { method: 'POST', headers: { 'content-type': 'application/json', 'syncbridge-signature': signWebhook(body, 'hs_1') }, body });
      const answer = await post('helpdesk');
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ delivery: 'd_1', jobs: [{ id: expect.any(String), coalesced: false, outcome: 'CREATED' }] });
      expect((await post('quiet')).status).toBe(404); // defined, but no secret: not served
    } finally {
      await server.stop();
    }
  }, 30_000);
});

describe('createSyncBridge', () => {
  it('runs the engine and server in this process: its env over process.env, PORT 0 told by url, enqueue, stop', async () => {
    const seen: unknown[] = [];
    const contact = defineJobType({
      name: 'contact_sync',
      payload: z.object({ email: z.string().email() }),
      handler: (ctx) => void seen.push(ctx.payload.email),
    });
    // process.env says something that would fail; the bridge's own env wins.
    vi.stubEnv('SYNCBRIDGE_WORKER_CONCURRENCY', 'many');
    let url = '';
    const bridge = createSyncBridge({
      jobTypes: [contact],
      env: { PORT: '0', DATABASE_URL: `file:${join(dir, 'embedded.db')}`, SYNCBRIDGE_WORKER_CONCURRENCY: '2', LOG_LEVEL: 'silent' },
    });
    try {
      expect(() => bridge.url).toThrow('not started');
      await bridge.start();
      expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(bridge.url).not.toMatch(/:0$/);
      url = bridge.url;
      await expect(bridge.enqueue({ jobType: 'contact_sync', entityId: 'e_1', payload: { email: 'nope' } })).rejects.toMatchObject({ name: 'InputError', field: 'payload.email' });
      const job = await bridge.enqueue({ jobType: 'contact_sync', entityId: 'e_1', payload: { email: 'e@example.com' } });
      const status = async () => {
        const response = await fetch(`${bridge.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'query ($id: ID!) { job(id: $id) { status } }', variables: { id: String(job.id) } }),
        });
        return ((await response.json()) as { data: { job: { status: string } } }).data.job.status;
      };
      await expect.poll(status, { timeout: 10_000 }).toBe('SUCCEEDED');
      expect(seen).toEqual(['e@example.com']);
    } finally {
      vi.unstubAllEnvs();
      await bridge.stop();
    }
    // Stopped: nothing listens there any more.
    await expect(
      fetch(`${url}/healthz`).then(
        () => 'answered',
        () => 'refused',
      ),
    ).resolves.toBe('refused');
  }, 30_000);
});

describe('errors from another copy of the package', () => {
  it('are what they say: a RetryableError made by a second copy is retried, and is no other kind', async () => {
    vi.resetModules();
    const copy = await import('../src/integrations/errors.js');
    expect(copy.RetryableError).not.toBe(RetryableError); // a second module instance
    const thrown = new copy.RetryableError('helpdesk busy', { retryAfterSeconds: 2, errorType: 'HelpdeskBusy' });
    expect(thrown instanceof RetryableError).toBe(true);
    expect(thrown instanceof UpstreamRateLimitedError).toBe(false);
    expect(coerceError(thrown)).toMatchObject({ retryable: true, errorType: 'HelpdeskBusy', retryAfterMs: 2000 });
    expect(coerceError(new Error('a bug'))).toMatchObject({ retryable: false, errorType: 'ValidationError' });
  });
});
