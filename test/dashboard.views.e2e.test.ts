/**
 * The dashboard's processes and schedules views (issue 28), in Chromium, with a second SyncBridge
 * process on the same database: it shows up, then drops out once killed; schedules pause, resume
 * and run now from their page.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium, newTestPage } from './browser.js';
import { createTestDatabase, gqlHttp, startServerProcess, startTestApp, waitForJob, isFinal, type ServerProcess, type TestApp, type TestDatabase } from './helpers.js';

// A fast heartbeat, in both processes: one that stops beating is dropped after three (0.6 s).
const heartbeat = { SYNCBRIDGE_HEARTBEAT_SECONDS: '0.2' };

describe.skipIf(!haveBrowser)('dashboard views: processes and schedules', () => {
  let database: TestDatabase;
  let app: TestApp;
  let other: ServerProcess | undefined;
  let browser: Browser;
  let page: Page;

  const open = async (path: string) => {
    await page.goto(`${app.url}${path}`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    app = await startTestApp('sqlite', heartbeat, { database });
    browser = await launchChromium();
    page = await newTestPage(browser);
  }, 60_000);

  afterAll(async () => {
    await other?.stop();
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  it('lists every process on the database, a second worker process too, and drops one whose heartbeat stopped', async () => {
    await open('/');
    await page.getByRole('navigation', { name: 'Pages', exact: true }).getByRole('link', { name: 'Processes' }).click();
    await page.waitForURL('**/processes');
    const rows = page.locator('tr[data-process]');
    await rows.first().waitFor();
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().locator('td[data-label="Roles"]').textContent()).resolves.toBe('api + worker');

    other = await startServerProcess({ ...heartbeat, DATABASE_URL: database.url, PORT: '0', SYNCBRIDGE_API: 'off', SYNCBRIDGE_WORKER_CONCURRENCY: '3' });
    const worker = page.locator('tr[data-process]').filter({ has: page.locator('td[data-label="Roles"]', { hasText: /^worker$/ }) });
    await worker.waitFor({ timeout: 15_000 }); // the page reads again every 5 s
    await expect(worker.locator('td[data-label="Host"]').textContent()).resolves.toContain(`pid ${other.child.pid}`);
    await expect(worker.locator('td[data-label="Running"]').textContent()).resolves.toBe('0 / 3');
    await page.getByTestId('processes-summary').filter({ hasText: '2 processes: 2 with a worker' }).waitFor();
    await page.screenshot({ path: 'test-artifacts/dashboard-processes.png' });

    // Killed outright: no goodbye, its row stays until three beats have passed.
    await other.kill9();
    other = undefined;
    await worker.waitFor({ state: 'detached', timeout: 15_000 });
    const listed = (await gqlHttp(app, `{ processes { id roles } }`)).data!.processes;
    expect(listed).toHaveLength(1);
  }, 60_000);

  it('pauses, resumes and runs a schedule now from its page', async () => {
    const created = await gqlHttp(
      app,
      `mutation { createSchedule(input: { name: "nightly-c1001", cron: "0 2 * * *", timezone: "Europe/Paris", jobType: CUSTOMER_SYNC, entityId: "c_1001" }) { __typename } }`,
    );
    expect(created.data!.createSchedule.__typename).toBe('Schedule');
    await open('/schedules');
    const row = page.locator('tr[data-schedule="nightly-c1001"]');
    await row.locator('td[data-label="State"]', { hasText: 'active' }).waitFor();
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.locator('td[data-label="State"]', { hasText: 'paused' }).waitFor();
    expect((await gqlHttp(app, `{ schedules { name paused } }`)).data!.schedules).toEqual([{ name: 'nightly-c1001', paused: true }]);
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.locator('td[data-label="State"]', { hasText: 'active' }).waitFor();

    await row.getByRole('button', { name: 'Run now' }).click();
    const status = page.getByRole('status').filter({ hasText: /^nightly-c1001: enqueued as job \d+\./ });
    await status.waitFor();
    const jobId = Number(/job (\d+)/.exec((await status.textContent())!)![1]);
    await expect(waitForJob(app, jobId, isFinal).then((job) => [job.entityId, job.status])).resolves.toEqual(['c_1001', 'SUCCEEDED']);
    const audit = (await gqlHttp(app, `query ($jobId: ID) { auditEvents(jobId: $jobId, first: 10) { edges { node { action outcome } } } }`, { jobId: String(jobId) })).data!
      .auditEvents;
    expect(audit.edges.map((edge: { node: unknown }) => edge.node)).toEqual([{ action: 'ENQUEUE', outcome: 'OK' }]);
    // Unknown: a typed refusal.
    const unknown = await gqlHttp(app, `mutation { runScheduleNow(name: "nope") { __typename ... on Error { message } } }`);
    expect(unknown.data!.runScheduleNow).toEqual({ __typename: 'NotFoundError', message: 'Schedule nope does not exist.' });
  });
});
