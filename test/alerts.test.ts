/**
 * Alerts end to end, on both databases, each channel against a real receiver on this machine: a
 * JOB_DEAD rule tells a burst of 50 dead jobs in one signed webhook that says 50 (the receiver
 * verifies the signature with the exported verifier), after its receiver answered 500 twice (the
 * notification job retried); an UPSTREAM_OPEN rule fires and resolves in Slack's format; a
 * QUEUE_AGE rule fires and resolves by email through a real SMTP server (smtp-server). Rules are
 * checked, audited, admin-only, and the notifications are jobs of the internal type that the API
 * cannot enqueue.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineJobType, RetryableError, verifyWebhook } from '../src/index.js';
import { jobsEnqueue } from '../src/queue/services/jobsEnqueue.js';
import { gql, providers, startTestApp, type TestApp } from './helpers.js';

/** An HTTP receiver: every request's headers and raw body; answers 500 to the first `failFirst`. */
class Receiver {
  readonly received: { headers: IncomingHttpHeaders; body: string; status: number }[] = [];
  failFirst = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const status = this.received.length < this.failFirst ? 500 : 200;
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 200 ? '{"ok":true}' : '{"error":"busy"}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
    return this;
  }

  get delivered() {
    return this.received.filter((request) => request.status === 200);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** A real SMTP server (no auth, no TLS, loopback): every message's envelope and raw text. */
class Mailbox {
  readonly messages: { to: string[]; raw: string }[] = [];
  private server: SMTPServer | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.messages.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString() });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `smtp://127.0.0.1:${(this.server!.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const until = async (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const doomedSync = defineJobType({
  name: 'doomed_sync',
  retry: { maxRetries: 0 },
  handler: async () => {
    throw new RetryableError('Billing refused the credentials');
  },
});
const queuedSync = defineJobType({ name: 'queued_sync', upstreams: ['billing'], handler: async () => undefined });

const secret = 'alert-signing-secret-0123456789';
const createRule = `mutation ($input: CreateAlertRuleInput!) {
  createAlertRule(input: $input) { __typename ... on AlertRule { id name kind channel { kind url hasSecret to } } ... on InputError { field message } }
}`;

describe.each(providers)('alerts (%s)', (provider) => {
  let app: TestApp;
  let hook: Receiver;
  let slack: Receiver;
  let mailbox: Mailbox;

  beforeAll(async () => {
    [hook, slack, mailbox] = await Promise.all([new Receiver().start(), new Receiver().start(), new Mailbox().start()]);
    app = await startTestApp(
      provider,
      {
        SYNCBRIDGE_ALERTS_INTERVAL_SECONDS: '0.2',
        SYNCBRIDGE_ALERT_GROUP_WAIT_SECONDS: '4',
        SYNCBRIDGE_SMTP_URL: mailbox.url,
        SYNCBRIDGE_ALERT_EMAIL_FROM: 'SyncBridge <alerts@example.com>',
      },
      { jobTypes: [doomedSync, queuedSync], upstreams: { billing: { baseUrl: hook.url }, crm: { baseUrl: hook.url } } },
    );
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([hook?.stop(), slack?.stop(), mailbox?.stop()]);
  });

  it('checks a rule whole and refuses a bad one with the field at fault, storing nothing', async () => {
    const refusals = [
      [{ name: 'x', kind: 'FAILURE_RATE', threshold: 2, channel: { kind: 'SLACK', url: slack.url } }, 'threshold'],
      [{ name: 'x', kind: 'JOB_DEAD', channel: { kind: 'WEBHOOK' } }, 'channel.url'],
      [{ name: 'x', kind: 'JOB_DEAD', channel: { kind: 'EMAIL', to: 'not an address' } }, 'channel.to'],
      [{ name: 'x', kind: 'JOB_DEAD', jobType: 'nosuch_sync', channel: { kind: 'SLACK', url: slack.url } }, 'jobType'],
      [{ name: 'x', kind: 'JOB_DEAD', windowSeconds: 10, channel: { kind: 'SLACK', url: slack.url } }, 'windowSeconds'],
      [{ name: 'x', kind: 'JOB_DEAD', channel: { kind: 'WEBHOOK', url: hook.url, secret: 'short' } }, 'channel.secret'],
    ] as const;
    for (const [input, field] of refusals) expect((await gql(app, createRule, { input })).data!.createAlertRule).toMatchObject({ __typename: 'InputError', field });
    expect(await app.database.db.alertRule.count()).toBe(0);
    const enqueue = await gql(
      app,
      `mutation { enqueueJob(input: { jobType: SYNCBRIDGE_ALERT, entityId: "alert_1_1", payload: { alertId: 1, event: "FIRING" } }) { __typename ... on InputError { field message } } }`,
    );
    expect(enqueue.data!.enqueueJob).toEqual({ __typename: 'InputError', field: 'jobType', message: expect.stringContaining("SyncBridge's own") });
    expect((await gql(app, `{ jobTypes { jobType } }`)).data!.jobTypes.map((type: { jobType: string }) => type.jobType)).toEqual(['DOOMED_SYNC', 'QUEUED_SYNC']);
  });

  it('JOB_DEAD: 50 jobs dead at once make one signed webhook that says 50, delivered on the third try after two 500s', async () => {
    hook.failFirst = 2;
    const created = await gql(app, createRule, {
      input: { name: 'dead doomed', kind: 'JOB_DEAD', jobType: 'doomed_sync', windowSeconds: 300, channel: { kind: 'WEBHOOK', url: hook.url, secret } },
    });
    expect(created.data!.createAlertRule).toMatchObject({ __typename: 'AlertRule', kind: 'JOB_DEAD', channel: { kind: 'WEBHOOK', url: hook.url, hasSecret: true, to: null } });
    await jobsEnqueue(
      app.context,
      Array.from({ length: 50 }, (_, index) => ({ jobType: 'doomed_sync', entityId: `d_${index}` })),
    );
    await until(() => hook.delivered.length >= 1, 20_000, 'the alert webhook');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // nothing more comes: one alert, not fifty
    expect(hook.delivered).toHaveLength(1);
    expect(hook.received.map((request) => request.status)).toEqual([500, 500, 200]);
    const [delivery] = hook.delivered;
    // The receiver's side: the exported verifier, the raw bytes, the shared secret.
    expect(verifyWebhook(delivery!.headers['syncbridge-signature'] as string, delivery!.body, [secret])).toEqual({ ok: true });
    const body = JSON.parse(delivery!.body);
    expect(body).toMatchObject({
      type: 'alert.firing',
      alert: { state: 'FIRING', value: 50, summary: expect.stringMatching(/^50 jobs of doomed_sync went DEAD/) },
      rule: { name: 'dead doomed', kind: 'JOB_DEAD' },
    });
    // The notification is a job of the internal type, with its three attempts recorded.
    const jobs = await app.database.db.job.findMany({ where: { jobType: 'syncbridge_alert' }, include: { attempts: { orderBy: { attemptNumber: 'asc' } } } });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'SUCCEEDED', attemptCount: 3 });
    expect(jobs[0]!.attempts.map((attempt) => attempt.errorType)).toEqual(['UpstreamTimeout', 'UpstreamTimeout', null]);
    const listed = await gql(app, `{ alerts(first: 5) { edges { node { state value peak notifications rule { name } } } } }`);
    expect(listed.data!.alerts.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      { state: 'FIRING', value: 50, peak: 50, notifications: 1, rule: { name: 'dead doomed' } },
    ]);
  }, 40_000);

  it('UPSTREAM_OPEN in Slack’s format: fires when the circuit opens and says so again when it closes', async () => {
    await gql(app, createRule, { input: { name: 'billing down', kind: 'UPSTREAM_OPEN', channel: { kind: 'SLACK', url: slack.url } } });
    await gql(app, `mutation { setUpstreamCircuit(upstream: "billing", state: OPEN) { __typename } }`);
    await until(() => slack.delivered.length >= 1, 15_000, 'the Slack message');
    await gql(app, `mutation { setUpstreamCircuit(upstream: "billing", state: AUTO) { __typename } }`);
    await until(() => slack.delivered.length >= 2, 15_000, 'the resolved Slack message');
    const [firing, resolved] = slack.delivered.map((request) => JSON.parse(request.body) as { text: string; blocks: { type: string; text?: { text: string } }[] });
    expect(firing!.text).toMatch(/^\[SyncBridge\] FIRING: billing down: circuit open: billing \(OPEN: forced open by an operator\)/);
    expect(firing!.blocks.map((block) => block.type)).toEqual(['header', 'section', 'context']);
    expect(resolved!.text).toMatch(/^\[SyncBridge\] RESOLVED: billing down/);
    expect(slack.delivered[0]!.headers['syncbridge-signature']).toBeUndefined();
  }, 40_000);

  it('a rule changed by an admin: renamed and its cooldown shortened, it repeats while firing; disabled, it fires no more', async () => {
    const created = await gql(app, createRule, { input: { name: 'repeat me', kind: 'UPSTREAM_OPEN', channel: { kind: 'WEBHOOK', url: hook.url } } });
    const id = created.data!.createAlertRule.id as string;
    const update = `mutation ($id: ID!, $input: UpdateAlertRuleInput!) { updateAlertRule(id: $id, input: $input) { __typename ... on AlertRule { name cooldownSeconds enabled channel { kind url } } ... on Error { message } } }`;
    expect((await gql(app, update, { id, input: { name: 'crm or billing down', cooldownSeconds: 1 } })).data!.updateAlertRule).toEqual({
      __typename: 'AlertRule',
      name: 'crm or billing down',
      cooldownSeconds: 1,
      enabled: true,
      channel: { kind: 'WEBHOOK', url: hook.url },
    });
    expect((await gql(app, update, { id: '999999', input: { enabled: false } })).data!.updateAlertRule.__typename).toBe('NotFoundError');
    const before = hook.delivered.length;
    await gql(app, `mutation { setUpstreamCircuit(upstream: "crm", state: OPEN) { __typename } }`);
    const told = () => hook.delivered.slice(before).map((request) => JSON.parse(request.body) as { type: string; rule: { name: string } });
    // Fired (after the group wait), then told again each second while it fires.
    await until(() => told().filter((notice) => notice.rule.name === 'crm or billing down').length >= 2, 20_000, 'a repeat of the firing alert');
    expect(
      told()
        .map((notice) => notice.type)
        .slice(0, 2),
    ).toEqual(['alert.firing', 'alert.still_firing']);
    await gql(app, update, { id, input: { enabled: false } });
    await gql(app, `mutation { setUpstreamCircuit(upstream: "crm", state: AUTO) { __typename } }`);
    const count = told().length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(told()).toHaveLength(count); // disabled: not evaluated, not told
    expect((await app.database.db.auditEvent.findMany({ where: { action: 'ALERT_RULE_UPDATE' } })).length).toBe(2);
  }, 40_000);

  it('QUEUE_AGE by email through a real SMTP server: fires while a paused type’s job waits, resolves once it ran', async () => {
    await gql(app, createRule, {
      input: { name: 'queue stuck', kind: 'QUEUE_AGE', jobType: 'queued_sync', threshold: 1, channel: { kind: 'EMAIL', to: 'ops@example.com, oncall@example.com' } },
    });
    await gql(app, `mutation { pauseJobType(jobType: QUEUED_SYNC) { __typename } }`);
    await jobsEnqueue(app.context, [{ jobType: 'queued_sync', entityId: 'q_1' }]);
    await until(() => mailbox.messages.length >= 1, 20_000, 'the alert email');
    await gql(app, `mutation { resumeJobType(jobType: QUEUED_SYNC) { __typename } }`);
    await until(() => mailbox.messages.length >= 2, 20_000, 'the resolved email');
    const [firing, resolved] = mailbox.messages;
    expect(firing!.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(firing!.raw).toMatch(/^Subject: \[SyncBridge\] FIRING: queue stuck \(queued_sync\)/m);
    expect(firing!.raw).toMatch(/^From: SyncBridge <alerts@example\.com>/m);
    expect(firing!.raw).toContain('the oldest due job of queued_sync has waited');
    expect(resolved!.raw).toMatch(/^Subject: \[SyncBridge\] RESOLVED: queue stuck/m);
    expect((await app.database.db.auditEvent.findMany({ where: { action: 'ALERT_RULE_CREATE' } })).length).toBe(4);
  }, 40_000);
});
