/**
 * Dashboard v3 (issue 28), in Chromium: a refused action shows the server's words and actions
 * the rules refuse are not offered; the enqueue form will not send one type's fixture as the
 * other type; a paused type is named where its jobs are; the dialogs' words.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineJobType } from '../src/index.js';
import { demoJobTypes, demoUpstreams } from '../src/demo/jobTypes.js';
import { haveBrowser, launchChromium, newTestPage } from './browser.js';
import { gqlHttp, isFinal, startTestApp, waitForJob, type TestApp } from './helpers.js';

/** A coalescing type whose handler holds until the test releases it: its follow-ups show BLOCKED. */
const held = { release: () => {} };
const profileSync = defineJobType({
  name: 'profile_sync',
  ifActive: 'coalesce',
  handler: () => new Promise<void>((resolve) => (held.release = resolve)),
});

/**
 * Cells of the jobs table and of the side panels that overflow their own box or stick out of the
 * table's scroll box, by text; and whether the table scrolls sideways.
 */
const clipped = () => {
  const found: string[] = [];
  const scroll = document.querySelector('.table-scroll')!;
  const edge = scroll.getBoundingClientRect().right + 0.5;
  for (const cell of document.querySelectorAll<HTMLElement>('table.jobs th, table.jobs td, .home-side th, .home-side td, .home-side label, .figure')) {
    if (cell.scrollWidth > cell.clientWidth + 1 || (cell.closest('table.jobs') && cell.getBoundingClientRect().right > edge)) found.push(cell.textContent!.trim());
  }
  if (scroll.scrollWidth > scroll.clientWidth + 1) found.push(`the table scrolls: ${scroll.scrollWidth} > ${scroll.clientWidth}`);
  return found;
};

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
    app = await startTestApp('sqlite', { SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS: '60' }, { jobTypes: [...demoJobTypes, profileSync], upstreams: demoUpstreams });
    browser = await launchChromium();
    page = await newTestPage(browser);
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

  it('fits the jobs table and the side panels at 1024, 1440 and 1920 px with every kind of badge, and no page scrolls sideways at 390 px', async () => {
    // Every badge: QUEUED on a paused type, SCHEDULED, RETRY SCHEDULED (c_1002 above), FAILED, RUNNING and BLOCKED behind it.
    await gqlHttp(app, `mutation { pauseJobType(jobType: INVOICE_SYNC) { __typename } }`);
    await enqueue({ jobType: 'INVOICE_SYNC', entityId: 'i_2001' });
    await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_later_fit', scheduledAt: new Date(Date.now() + 86_400_000).toISOString() });
    const running = await enqueue({ jobType: 'PROFILE_SYNC', entityId: 'p_fit' });
    await waitForJob(app, running, (job) => job.status === 'RUNNING');
    const blocked = Number((await gqlHttp(app, ENQUEUE, { input: { jobType: 'PROFILE_SYNC', entityId: 'p_fit' } })).data!.enqueueJob.job.id);
    try {
      for (const width of [1024, 1440, 1920]) {
        await page.setViewportSize({ width, height: 1000 });
        await open('/');
        for (const text of ['TYPE PAUSED', 'SCHEDULED', 'RETRY SCHEDULED', 'BLOCKED', 'RUNNING', 'FAILED'])
          await page.locator('table.jobs .badge').filter({ hasText: text }).first().waitFor();
        expect(await page.evaluate(clipped), `${width} px`).toEqual([]);
        // The header's figures on one line.
        expect(new Set(await page.locator('.figure').evaluateAll((figures) => figures.map((figure) => (figure as HTMLElement).offsetTop))).size, `${width} px`).toBe(1);
        await page.screenshot({ path: `test-artifacts/dashboard-v3-jobs-${width}.png`, fullPage: true });
      }
      await page.setViewportSize({ width: 390, height: 844 });
      const [withCalls] = (await gqlHttp(app, `{ jobs(filter: { entityId: "c_1002" }) { edges { node { id } } } }`)).data!.jobs.edges;
      for (const path of ['/', `/jobs/${withCalls.node.id}`, `/jobs/${blocked}`]) {
        await open(path);
        await page.locator('main').getByText(/./).first().waitFor();
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), path).toBe(0);
      }
      await page.screenshot({ path: 'test-artifacts/dashboard-v3-job-390.png', fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 });
      held.release();
      await gqlHttp(app, `mutation { resumeJobType(jobType: INVOICE_SYNC) { __typename } }`);
    }
  });

  it('says where a type is paused: on its rows, its job page and the enqueue form, live', async () => {
    const job = await enqueue({ jobType: 'INVOICE_SYNC', entityId: 'i_paused_view', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() });
    await open('/');
    const badge = page.locator(`tr[data-job-id="${job}"] [data-paused]`);
    await expect(badge.count()).resolves.toBe(0);
    await gqlHttp(app, `mutation { pauseJobType(jobType: INVOICE_SYNC) { __typename } }`);
    await badge.waitFor(); // live: no reload
    const form = page.getByRole('form', { name: 'Enqueue a job' });
    await form.getByLabel('Type').selectOption('INVOICE_SYNC');
    await form.getByRole('note').filter({ hasText: 'invoice_sync is paused: a job enqueued now waits until the type is resumed.' }).waitFor();
    await open(`/jobs/${job}`);
    await page.locator('h1 [data-paused]').waitFor();
    await gqlHttp(app, `mutation { resumeJobType(jobType: INVOICE_SYNC) { __typename } }`);
    await page.locator('h1 [data-paused]').waitFor({ state: 'detached' });
  });

  it('writes times one way: relative in lists with the exact UTC time on hover, exact UTC on the job page', async () => {
    const job = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_1001' });
    const done = await waitForJob(app, job, isFinal);
    const exact = (date: Date) => `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)} UTC`;
    await open('/');
    const created = page.locator(`tr[data-job-id="${job}"] td[data-label="Created"] time`);
    await expect(created.getAttribute('title')).resolves.toBe(exact(done.createdAt));
    await expect(created.textContent()).resolves.toMatch(/^(now|\d+ s ago)$/);
    await open(`/jobs/${job}`);
    await page.locator('.fields').getByText(exact(done.createdAt)).first().waitFor();
  });

  it("labels the history as attempts, and a time preset changes both the chart's query and the list", async () => {
    await open('/');
    await page
      .getByTestId('history-summary')
      .filter({ hasText: /^Attempts in the last 1 h: \d+ succeeded, \d+ failed and retried, \d+ failed for good, \d+ ended DEAD/ })
      .waitFor();
    // urql sends queries as GET (variables in the URL) while they fit.
    const asked = page.waitForRequest((request) => {
      const sent = decodeURIComponent(request.url()) + (request.postData() ?? '');
      return /"range":"24h"/.test(sent) && /"bucket":"30m"/.test(sent);
    });
    await page.getByRole('navigation', { name: 'Created in the last (the chart follows)' }).getByRole('link', { name: '24 h' }).click();
    await asked;
    await page.waitForURL('**/?range=24h');
    await page
      .getByTestId('history-summary')
      .filter({ hasText: /^Attempts in the last 24 h:/ })
      .waitFor();
    const since = await page.locator('input[name="createdAfter"]').inputValue();
    expect(Date.parse(`${since}Z`)).toBeGreaterThan(Date.now() - 86_400_000 - 120_000);
    expect(Date.parse(`${since}Z`)).toBeLessThan(Date.now() - 86_400_000 + 120_000);
  });

  it('answers a browser on an unknown address with a page pointing home; API clients still get JSON', async () => {
    const response = await page.goto(`${app.url}/nope`);
    expect(response!.status()).toBe(404);
    expect(response!.headers()['content-type']).toMatch(/^text\/html/);
    await page.getByRole('heading', { name: 'Nothing at /nope' }).waitFor();
    await page.getByRole('link', { name: '/', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const api = await fetch(`${app.url}/nope`, { headers: { accept: 'application/json' } });
    expect([api.status, await api.json()]).toEqual([404, { error: 'not_found', path: '/nope' }]);
  });

  it('lets an admin delete finished jobs in bulk, the dry run first; the rows go and the audit keeps each', async () => {
    const doomed = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_missing_del' });
    await waitForJob(app, doomed, isFinal);
    await open('/?entity=c_missing_del');
    await page.locator(`tr[data-job-id="${doomed}"]`).waitFor();
    await page.getByRole('checkbox', { name: 'Select every job on this page' }).check();
    await page.getByRole('group', { name: 'Act on many jobs' }).getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('dry-run').filter({ hasText: 'Dry run: 1 of 1 matching jobs would be deleted with their attempts' }).waitFor();
    await dialog.getByRole('button', { name: 'Delete 1 job' }).click();
    await page.getByTestId('bulk-result').filter({ hasText: '1 of 1 matching jobs deleted with their attempts.' }).waitFor();
    await page.locator(`tr[data-job-id="${doomed}"]`).waitFor({ state: 'detached' });
    expect((await gqlHttp(app, `query ($id: ID!) { job(id: $id) { id } }`, { id: String(doomed) })).data!.job).toBeNull();
    expect(await app.database.db.auditEvent.count({ where: { action: 'DELETE', jobId: doomed } })).toBe(1);
  });

  it('sorts by finished time and duration from the headers, and says where a page sits ("26–30 of 30 jobs")', async () => {
    const inputs = Array.from({ length: 30 }, (_, i) => ({ jobType: 'CUSTOMER_SYNC', entityId: `c_page_${String(i).padStart(2, '0')}` }));
    const made = await gqlHttp(app, `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id } } } }`, { inputs });
    await Promise.all(made.data!.enqueueJobs.map((item: { job: { id: string } }) => waitForJob(app, Number(item.job.id), isFinal)));
    await open('/?entity=c_page_*');
    const count = page.getByTestId('job-count');
    await count.filter({ hasText: /^1–25 of 30 jobs$/ }).waitFor();
    await page.getByRole('navigation', { name: 'Pages of jobs' }).getByRole('button', { name: 'Older →' }).click();
    await count.filter({ hasText: /^26–30 of 30 jobs$/ }).waitFor();
    await page.getByRole('button', { name: '← Newer' }).click();
    await count.filter({ hasText: /^1–25 of 30 jobs$/ }).waitFor();

    await page.getByRole('columnheader', { name: 'Took' }).getByRole('button').click();
    await page.waitForURL(/sort=took/);
    await expect(page.getByRole('columnheader', { name: /Took/ }).getAttribute('aria-sort')).resolves.toBe('descending');
    const byDuration = await gqlHttp(app, `{ jobs(filter: { entityIdPrefix: "c_page_" }, orderBy: { field: DURATION }, first: 25) { edges { node { id } } } }`);
    const expectedIds = byDuration.data!.jobs.edges.map((edge: { node: { id: string } }) => edge.node.id);
    await expect.poll(() => page.locator('tbody tr[data-job-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job-id')))).toEqual(expectedIds);
    await page.getByRole('columnheader', { name: /Took/ }).getByRole('button').click();
    await page.waitForURL(/sort=took_asc/);
    await expect(page.getByRole('columnheader', { name: /Took/ }).getAttribute('aria-sort')).resolves.toBe('ascending');
    await page
      .getByRole('columnheader', { name: /Finished/ })
      .getByRole('button')
      .click();
    await page.waitForURL(/sort=finished(?!_)/);
    const byFinish = await gqlHttp(app, `{ jobs(filter: { entityIdPrefix: "c_page_" }, orderBy: { field: FINISHED_AT }, first: 25) { edges { node { id } } } }`);
    await expect
      .poll(() => page.locator('tbody tr[data-job-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job-id'))))
      .toEqual(byFinish.data!.jobs.edges.map((edge: { node: { id: string } }) => edge.node.id));
  });

  it("draws the job's history on one time axis: the wait, each attempt with its calls, the backoff between", async () => {
    const id = await enqueue({ jobType: 'CUSTOMER_SYNC', entityId: 'c_flaky' }); // the CRM fails it once (503), then it succeeds
    await waitForJob(app, id, (job) => job.attemptCount === 1 && job.status === 'PENDING');
    await gqlHttp(app, `mutation ($id: ID!) { runJobNow(id: $id) { __typename } }`, { id: String(id) }); // the second attempt now, not in a minute
    await waitForJob(app, id, (job) => job.status === 'SUCCEEDED');
    await open(`/jobs/${id}`);
    const axis = page.locator('.axis-track');
    await axis.waitFor();
    const kinds = await axis.locator('[data-kind]').evaluateAll((spans) => spans.map((span) => span.getAttribute('data-kind')));
    expect(kinds).toEqual(['queued', 'failed', 'call', 'backoff', 'ok', 'call', 'call']);
    await expect(axis.getAttribute('aria-label')).resolves.toMatch(
      /^From enqueue to now: waited for a worker \d+ ms; attempt 1: UpstreamTimeout, \d+ ms; backoff [\d.]+ m?s; attempt 2: succeeded, \d+ ms\.$/,
    );
    await expect(axis.locator('[data-kind="call"]').first().getAttribute('title')).resolves.toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/mock\/crm\/customers\/c_flaky → 503, \d+ ms$/);
  });
});
