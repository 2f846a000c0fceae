/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a running
 * server with a fresh database. Screenshots of the main views go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium, openDashboard } from './browser.js';
import { cliDocuments } from '../src/cli/documents.js';
import { createTestDatabase, gqlHttp, startTestApp, type TestApp, type TestDatabase } from './helpers.js';

const artifacts = 'test-artifacts';

describe.skipIf(!haveBrowser)('dashboard in Chromium', () => {
  let database: TestDatabase;
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const env = { SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS: '0.15' };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    database = await createTestDatabase('sqlite');
    app = await startTestApp('sqlite', env, { database });
    browser = await launchChromium();
    page = await openDashboard(browser, app.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await database?.drop();
  });

  const enqueueThroughForm = async (entityId: string, options: { scheduledAt?: string; jobType?: 'CUSTOMER_SYNC' | 'INVOICE_SYNC' } = {}) => {
    const form = page.getByRole('form', { name: 'Enqueue a job' });
    await form.getByLabel('Type').selectOption(options.jobType ?? 'CUSTOMER_SYNC');
    await form.getByLabel('Entity id').fill(entityId);
    await form.getByLabel('Not before (UTC)').fill(options.scheduledAt ?? '');
    await form.getByRole('button', { name: 'Enqueue' }).click();
    const status = form.getByRole('status');
    await status.filter({ hasText: entityId }).waitFor();
    // Ready for the next one.
    await expect(form.getByLabel('Entity id').inputValue()).resolves.toBe('');
    return (await status.textContent())!.match(/Enqueued job (\d+)/)![1]!;
  };

  const row = (entityId: string) => page.locator(`tr[data-entity="${entityId}"]`);

  it('shows the live header and an empty table on a fresh database', async () => {
    await expect(page.locator('[data-figure="Jobs"]').textContent()).resolves.toBe('0');
    // isVisible() does not wait: the table's first read may still be on its way.
    await page.getByText('No jobs match.').waitFor({ state: 'visible' });
    await page.screenshot({ path: `${artifacts}/dashboard-empty.png` });
  });

  it('rows appear and change state live as jobs run, without reloading', async () => {
    await enqueueThroughForm('c_1001');
    await row('c_1001').locator('[data-status="SUCCEEDED"]').waitFor();
    await enqueueThroughForm('c_1002');
    await row('c_1002').waitFor();
    await row('c_1002').locator('[data-status="DEAD"]').waitFor({ timeout: 15_000 });
    await page.locator('[data-figure="Dead"]').filter({ hasText: '1' }).waitFor();
    await page.screenshot({ path: `${artifacts}/dashboard-jobs.png` });
  });

  it('a duplicate enqueue shows the typed error as a message', async () => {
    await gqlHttp(
      app,
      `mutation { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_busy", scheduledAt: "${new Date(Date.now() + 3_600_000).toISOString()}" }) { __typename } }`,
    );
    const form = page.getByRole('form', { name: 'Enqueue a job' });
    await form.getByLabel('Entity id').fill('c_busy');
    await form.getByLabel('Not before (UTC)').fill('');
    await form.getByRole('button', { name: 'Enqueue' }).click();
    await expect(form.getByRole('alert').textContent()).resolves.toContain('already pending or running');
  });

  it('the job page shows attempts accumulating until DEAD, then replays it and links both ways', async () => {
    const id = await enqueueThroughForm('i_2002', { jobType: 'INVOICE_SYNC' });
    await page.getByRole('link', { name: `Open job ${id}` }).click();
    await page.waitForURL(`**/jobs/${id}`);
    await page.locator('.timeline li[data-attempt="1"]').waitFor();
    await page.locator('h1 [data-status="DEAD"]').waitFor({ timeout: 15_000 });
    await expect(page.locator('.timeline li').count()).resolves.toBe(4);
    await expect(page.locator('.timeline li[data-attempt="4"]').textContent()).resolves.toContain('UpstreamRateLimited');
    await page.screenshot({ path: `${artifacts}/dashboard-job-dead.png`, fullPage: true });

    await page.getByLabel('Attempt to replay').selectOption({ label: '#2 UpstreamRateLimited' });
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.waitForURL((url) => /\/jobs\/\d+$/.test(url.pathname) && !url.pathname.endsWith(`/${id}`));
    await expect(page.locator('.lineage').first().textContent()).resolves.toContain(`Replay of job ${id} (attempt 2`);
    const replayId = /\/jobs\/(\d+)$/.exec(new URL(page.url()).pathname)![1]!;
    await page.getByRole('link', { name: `job ${id}` }).click();
    await page.waitForURL(`**/jobs/${id}`);
    await page.getByRole('link', { name: `job ${replayId}` }).waitFor();
  });

  it('cancels a scheduled job from its page', async () => {
    await page.goto(app.url);
    const later = new Date(Date.now() + 3_600_000);
    const id = await enqueueThroughForm('c_later', { scheduledAt: later.toISOString().slice(0, 16) }); // the form's times are UTC
    await page.goto(`${app.url}/jobs/${id}`);
    await page.locator('h1').filter({ hasText: 'SCHEDULED' }).waitFor();
    // It asks first: backing out changes nothing.
    await page.getByRole('button', { name: 'Cancel…' }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel job ${id}?` });
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect(page.locator('h1 [data-status="PENDING"]').count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'Cancel…' }).click();
    await dialog.getByRole('button', { name: `Cancel job ${id}` }).click();
    await page.locator('h1 [data-status="CANCELED"]').waitFor();
    await expect(page.getByRole('button', { name: 'Cancel…' }).count()).resolves.toBe(0);
  });

  it('filters are shareable URLs; the dead-letter view is one click away', async () => {
    await page.goto(app.url);
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.waitForURL('**/?status=DEAD');
    await row('c_1002').waitFor();
    await expect(row('c_1001').count()).resolves.toBe(0);
    const shared = await browser.newPage();
    await shared.goto(`${app.url}/?status=SUCCEEDED&type=CUSTOMER_SYNC`);
    await shared.locator('tr[data-entity="c_1001"]').waitFor();
    await expect(shared.locator('tr[data-entity="c_1002"]').count()).resolves.toBe(0);
    await shared.close();
    await page.screenshot({ path: `${artifacts}/dashboard-dead-letters.png` });
  });

  it('reconnects after the server restarts and stays live', async () => {
    await page.goto(app.url);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // The enqueue form knows the job types before the server goes (a page that never had them offers no type to enqueue).
    const form = page.getByRole('form', { name: 'Enqueue a job' });
    await expect.poll(() => form.getByRole('button', { name: 'Enqueue' }).isEnabled(), { timeout: 10_000 }).toBe(true);
    const port = new URL(app.url).port;
    await app.stop();
    await page.getByRole('status').filter({ hasText: 'Reconnecting' }).waitFor();
    // Offline: the data is marked as of the moment the connection was lost, and an action says so in a sentence.
    await page
      .getByTestId('stale')
      .filter({ hasText: /^Offline since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: what you see may be out of date until the connection is back\.$/ })
      .waitFor();
    await expect(page.locator('main.stale').count()).resolves.toBe(1);
    await form.getByLabel('Entity id').fill('c_offline');
    await form.getByRole('button', { name: 'Enqueue' }).click();
    const problem = form.getByRole('alert');
    await problem.filter({ hasText: 'The server did not answer, so it is not known whether this took effect.' }).waitFor();
    expect(await problem.textContent()).not.toMatch(/\[Network\]|Failed to fetch/);
    app = await startTestApp('sqlite', { ...env, PORT: port }, { database });
    await page
      .getByRole('status')
      .filter({ hasText: /^● Live$/ })
      .waitFor({ timeout: 20_000 });
    await page.getByTestId('stale').waitFor({ state: 'detached' });
    await expect(page.locator('main.stale').count()).resolves.toBe(0);
    await gqlHttp(app, `mutation { enqueueJob(input: { jobType: INVOICE_SYNC, entityId: "i_2001" }) { __typename } }`);
    await row('i_2001').locator('[data-status="SUCCEEDED"]').waitFor();
  });
});

// Tokens required and only trusted documents run: every dashboard operation these flows use (the
// token check, header figures and live streams, the jobs table, enqueue, the job page) must be in
// the build's manifest.
describe.skipIf(!haveBrowser)('dashboard on a server that needs tokens and runs only trusted documents', () => {
  let app: TestApp;
  let browser: Browser;
  const viewerToken = 'dash-viewer-token-0123456789';
  const operatorToken = 'dash-operator-token-0123456789';

  beforeAll(async () => {
    app = await startTestApp('sqlite', {
      SYNCBRIDGE_API_TOKENS: `alice:viewer:${viewerToken},ops:operator:${operatorToken}`,
      SYNCBRIDGE_PERSISTED_ONLY: 'true',
      SYNCBRIDGE_MOCKS: 'on',
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const signIn = async (page: Page, token: string) => {
    await page.getByLabel('API token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('asks for a token, refuses a wrong one, and shows a viewer the live dashboard without the enqueue form', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(app.url);
    await page.getByRole('heading', { name: 'SyncBridge needs an API token' }).waitFor();
    await signIn(page, 'wrong-token-0123456789');
    await page.getByRole('alert').filter({ hasText: 'That token was not accepted' }).waitFor();
    await signIn(page, viewerToken);
    await page.getByTestId('caller').filter({ hasText: 'alice · viewer' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await expect(page.getByRole('form', { name: 'Enqueue a job' }).count()).resolves.toBe(0);
    // Nothing to act with: no row selection, no job type controls.
    await page.getByRole('heading', { name: 'Job types' }).waitFor();
    await expect(page.getByRole('checkbox').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /^(Pause|Resume) / }).count()).resolves.toBe(0);
    // Live over the authenticated WebSocket: a job enqueued elsewhere appears.
    const enqueued = await gqlHttp(app, cliDocuments.enqueue, { input: { jobType: 'CUSTOMER_SYNC', entityId: 'c_tok_1' } }, { authorization: `Bearer ${operatorToken}` });
    expect(enqueued.data!.enqueueJob.__typename).toBe('EnqueueJobSuccess');
    await page.locator('tr[data-entity="c_tok_1"] [data-status]').first().waitFor();
    await page.screenshot({ path: `${artifacts}/dashboard-viewer.png` });
    await page.close();
  });

  it('lets an operator enqueue, and the job page shows who did it', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(app.url);
    await signIn(page, operatorToken);
    await page.getByTestId('caller').filter({ hasText: 'ops · operator' }).waitFor();
    const form = page.getByRole('form', { name: 'Enqueue a job' });
    await form.getByLabel('Entity id').fill('c_tok_2');
    await form.getByRole('button', { name: 'Enqueue' }).click();
    const id = (await form.getByRole('status').filter({ hasText: 'c_tok_2' }).textContent())!.match(/Enqueued job (\d+)/)![1]!;
    await page.goto(`${app.url}/jobs/${id}`);
    await page.locator('tr[data-audit-action="ENQUEUE"]').filter({ hasText: 'ops (operator)' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'SyncBridge needs an API token' }).waitFor();
    await page.close();
  });

  it('sent no operation that the trusted-documents manifest lacks', () => {
    expect(app.logs.lines.filter((line) => line.msg === 'refused an operation that is not a trusted document')).toEqual([]);
  });
});
