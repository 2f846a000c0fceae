/**
 * The dashboard's groups (issue 26), in Chromium: the groups panel appears once a group has work
 * and follows its counts, limits and pauses live, and pauses and resumes a group; a group links to its jobs (the `group` filter, in the URL and the
 * filter form), the jobs table and the job page name each job's group.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium, newTestPage } from './browser.js';
import { gql, startTestApp, type TestApp } from './helpers.js';

describe.skipIf(!haveBrowser)('dashboard: groups', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const later = new Date(Date.now() + 3_600_000).toISOString();

  beforeAll(async () => {
    app = await startTestApp('sqlite');
    browser = await launchChromium();
    page = await newTestPage(browser);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const enqueue = async (entityId: string, groupKey: string) => {
    const { data, errors } = await gql(app, `mutation ($input: EnqueueJobInput!) { enqueueJob(input: $input) { ... on EnqueueJobSuccess { job { id } } } }`, {
      input: { jobType: 'CUSTOMER_SYNC', entityId, groupKey, scheduledAt: later },
    });
    if (!data?.enqueueJob?.job) throw new Error(JSON.stringify(errors ?? data));
    return data.enqueueJob.job.id as string;
  };

  it('shows the groups with work live, and filters the jobs by group', async () => {
    await page.goto(`${app.url}/`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await expect(page.locator('section.groups').count()).resolves.toBe(0);

    const acme = [await enqueue('c_g1', 'acme'), await enqueue('c_g2', 'acme'), await enqueue('c_g3', 'acme')];
    await enqueue('c_g4', 'globex');
    const panel = page.getByRole('region', { name: 'Groups' });
    await expect.poll(() => panel.locator('tbody tr').allTextContents(), { timeout: 10_000 }).toEqual(['acmecustomer_sync30Pause', 'globexcustomer_sync10Pause']);
    await expect(panel.locator('tr[data-group="acme"] td').first().getAttribute('title')).resolves.toMatch(/^The oldest waiting since 20\d\d-/);
    await expect.poll(() => page.locator('tr[data-job-id]').count(), { timeout: 10_000 }).toBe(4);
    await page.screenshot({ path: 'test-artifacts/dashboard-groups.png' });

    // Counts, limits and pauses follow live.
    await gql(app, `mutation { cancelJob(id: "${acme[0]}") { __typename } }`);
    await gql(
      app,
      `mutation { pauseGroup(jobType: CUSTOMER_SYNC, groupKey: "globex") { __typename } setGroupConcurrency(jobType: CUSTOMER_SYNC, groupKey: "acme", concurrency: 4) { __typename } }`,
    );
    await expect.poll(() => panel.locator('tbody tr').allTextContents(), { timeout: 10_000 }).toEqual(['acmecustomer_sync20 / 4Pause', 'globexcustomer_sync10 · pausedResume']);
    // An operator resumes and pauses from the panel; the rows follow, and each change is audited.
    await panel.getByRole('button', { name: 'Resume group globex of customer_sync' }).click();
    await panel.getByRole('button', { name: 'Pause group globex of customer_sync' }).waitFor({ timeout: 10_000 });
    await panel.getByRole('button', { name: 'Pause group acme of customer_sync' }).click();
    await expect.poll(() => panel.locator('tr[data-group="acme"]').textContent(), { timeout: 10_000 }).toBe('acmecustomer_sync20 / 4 · pausedResume');
    const audit = await app.database.db.auditEvent.findMany({ where: { action: { in: ['GROUP_PAUSE', 'GROUP_RESUME'] } }, orderBy: { id: 'asc' } });
    expect(audit.map((event) => `${event.action} ${event.detail}`)).toEqual([
      'GROUP_PAUSE customer_sync globex: paused',
      'GROUP_RESUME customer_sync globex: resumed',
      'GROUP_PAUSE customer_sync acme: paused',
    ]);

    // A group opens its jobs: the URL, the form and the table say which.
    await panel.getByRole('link', { name: 'acme' }).click();
    await page.waitForURL(/group=acme/);
    await expect(page.locator('form.filters input[name="group"]').inputValue()).resolves.toBe('acme');
    // Its three jobs (one canceled), not globex's.
    await expect.poll(() => page.locator('tr[data-job-id]').count(), { timeout: 10_000 }).toBe(3);
    await expect(page.locator('tr[data-job-id] .job-type').allTextContents()).resolves.toEqual(Array(3).fill('customer_sync · acme'));

    // The job page names its group, with a link to the group's jobs.
    await page.goto(`${app.url}/jobs/${acme[1]}`);
    const group = page.locator('dt', { hasText: /^Group$/ }).locator('xpath=following-sibling::dd[1]');
    await expect(group.textContent()).resolves.toBe('acme jobs of this group');

    // Nothing sideways on a phone.
    await page.goto(`${app.url}/`);
    await page.setViewportSize({ width: 390, height: 844 });
    await panel.waitFor();
    await expect(page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).resolves.toBe(true);
  }, 60_000);
});
