/**
 * Dashboard v3 (issue 28), in Chromium: a refused action shows the server's words and actions
 * the rules refuse are not offered; the enqueue form will not send one type's fixture as the
 * other type; a paused type is named where its jobs are; the dialogs' words.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium } from './browser.js';
import { gqlHttp, isFinal, startTestApp, waitForJob, type TestApp } from './helpers.js';

const ENQUEUE = `mutation ($input: EnqueueJobInput!) { enqueueJob(input: $input) { __typename ... on EnqueueJobSuccess { job { id } } } }`;

describe.skipIf(!haveBrowser)('dashboard v3 in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;

  const enqueue = async (input: Record<string, unknown>) => Number((await gqlHttp(app, ENQUEUE, { input })).data!.enqueueJob.job.id);
  const open = async (path: string) => {
    await page.goto(`${app.url}${path}`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  };

  beforeAll(async () => {
    // A minute's backoff: a retryable failure stays PENDING · RETRY SCHEDULED while the test looks.
    app = await startTestApp('sqlite', { SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS: '60' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => console.error('page error:', error));
    page.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('offers no Replay on a job waiting to retry, and shows the typed error of a refused retry and replay', async () => {
    // c_1002 is rate limited by Billing: after its first attempt it waits a minute to retry.
    const waiting = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_1002' });
    await waitForJob(app, waiting, (job) => job.status === 'PENDING' && job.attemptCount === 1);
    await open(`/jobs/${waiting}`);
    await page.getByText('RETRY SCHEDULED').first().waitFor();
    const actions = page.getByRole('group', { name: 'Actions' });
    await actions.getByRole('button', { name: 'Cancel…' }).waitFor();
    await expect(actions.getByRole('button', { name: 'Replay' }).count()).resolves.toBe(0);

    // c_missing fails for good (NotFound); another job then holds its pair, so the server refuses
    // both a retry and a replay of the failed one with DuplicateActiveJobError.
    const failed = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_missing' });
    await waitForJob(app, failed, isFinal);
    const holder = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_missing', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() });
    await open(`/jobs/${failed}`);
    await actions.getByRole('button', { name: 'Retry' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: `job ${holder}` })
      .waitFor();
    await expect(page.locator('.message.ok').count()).resolves.toBe(0);
    await actions.getByRole('button', { name: 'Replay' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: `job ${holder}` })
      .waitFor();
    await expect(page.locator('.message.ok').count()).resolves.toBe(0);
    await expect(gqlHttp(app, `{ jobs(filter: { entityId: "c_missing" }) { totalCount } }`).then((r) => r.data!.jobs.totalCount)).resolves.toBe(2);
  });

  it('corrects the type when a demo record of the other type is entered, and refuses to send it as the wrong type', async () => {
    await open('/');
    const form = page.getByRole('form', { name: 'Enqueue a job' });
    const type = form.getByLabel('Type');
    await type.selectOption('CUSTOMER_SYNC');
    await form.getByLabel('Entity id').fill('i_2001');
    await form.getByRole('status').filter({ hasText: "i_2001 is one of invoice_sync's demo records: the type is now invoice_sync." }).waitFor();
    await expect(type.inputValue()).resolves.toBe('INVOICE_SYNC');
    // Chosen back by hand: refused before anything is sent.
    await type.selectOption('CUSTOMER_SYNC');
    await form.getByRole('button', { name: 'Enqueue' }).click();
    await form.getByRole('alert').filter({ hasText: 'as a customer_sync it could only fail NotFound' }).waitFor();
    await expect(gqlHttp(app, `{ jobs(filter: { entityId: "i_2001" }) { totalCount } }`).then((r) => r.data!.jobs.totalCount)).resolves.toBe(0);
    await type.selectOption('INVOICE_SYNC');
    await form.getByRole('button', { name: 'Enqueue' }).click();
    await form
      .getByRole('status')
      .filter({ hasText: /Enqueued job \d+ \(i_2001\)/ })
      .waitFor();
    const [job] = (await gqlHttp(app, `{ jobs(filter: { entityId: "i_2001" }) { edges { node { jobType } } } }`)).data!.jobs.edges;
    expect(job.node.jobType).toBe('INVOICE_SYNC');
  });

  it('names the way out of a dialog apart from the action, and counts what a bulk action would do in words', async () => {
    const scheduled = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_dialog', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() });
    await open(`/jobs/${scheduled}`);
    await page.getByRole('button', { name: 'Cancel…' }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel job ${scheduled}?` });
    await dialog.getByText('To sync it later, enqueue it again: a job with no failed attempt has nothing to replay.').waitFor();
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // A bulk cancel over jobs none of which can be canceled offers nothing to press.
    await open('/?status=FAILED&entity=c_missing');
    await page.getByRole('checkbox', { name: 'Select every job on this page' }).check();
    const bar = page.getByRole('group', { name: 'Act on many jobs' });
    await bar.getByRole('button', { name: 'Cancel…' }).click();
    const bulk = page.getByRole('dialog');
    await bulk.getByTestId('dry-run').waitFor();
    const confirm = bulk.getByRole('button', { name: 'Nothing to cancel' });
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await bulk.getByRole('button', { name: 'Go back' }).click();
  });

  it('runs a retry-waiting job now: its next attempt starts within a second', async () => {
    const waiting = await enqueue({ jobType: 'INVOICE_SYNC', entityId: 'i_2002' }); // rate limited: waits a minute after each attempt
    await waitForJob(app, waiting, (job) => job.status === 'PENDING' && job.attemptCount === 1);
    await open(`/jobs/${waiting}`);
    const actions = page.getByRole('group', { name: 'Actions' });
    const clicked = Date.now();
    await actions.getByRole('button', { name: 'Run now' }).click();
    await waitForJob(app, waiting, (job) => job.attemptCount === 2, 1_000);
    expect(Date.now() - clicked).toBeLessThan(1_000);
    await page.getByRole('status').filter({ hasText: 'Due now: the next free worker runs it.' }).waitFor();
  });
});
