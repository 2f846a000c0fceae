/**
 * The dashboard with job types of a team's own, in Chromium: the enqueue form and the filters list
 * the server's registered types (not the demo's), the form offers the selected type's payload
 * fields from its JSON Schema, shows a refusal beside the field at fault, and enqueues the fixed
 * payload; the job runs and its page shows the payload.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium, openDashboard } from './browser.js';
import { z } from 'zod';
import { defineJobType } from '../src/index.js';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './helpers.js';

const artifacts = 'test-artifacts';
const synced: unknown[] = [];

const contactSync = defineJobType({
  name: 'contact_sync',
  description: 'Helpdesk contact → Billing customer',
  payload: z.object({
    email: z.string().email(),
    name: z.string().min(1),
    seats: z.number().int().positive().optional(),
    plan: z.enum(['free', 'team']),
    vip: z.boolean().optional(),
  }),
  handler: (ctx) => void synced.push(ctx.payload),
});
const nightly = defineJobType({ name: 'nightly_sync', description: 'Everything, once a night', handler: () => ({ ok: true }) });

describe.skipIf(!haveBrowser)('dashboard with job types of your own, in Chromium', () => {
  let database: TestDatabase;
  let app: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    database = await createTestDatabase('sqlite');
    app = await startTestApp('sqlite', {}, { database, jobTypes: [contactSync, nightly], upstreams: {} });
    browser = await launchChromium();
    page = await openDashboard(browser, app.url, { width: 1400, height: 1000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await database?.drop();
  });

  it('lists the registered types in the form and the filters, with the payload fields of the selected one', async () => {
    const form = page.getByRole('form', { name: 'Enqueue a job' });
    const typeSelect = form.getByLabel('Type');
    await typeSelect.locator('option').first().waitFor({ state: 'attached' });
    await expect(typeSelect.locator('option').allTextContents()).resolves.toEqual(['contact_sync', 'nightly_sync']);
    await expect(page.getByRole('search', { name: 'Filter jobs' }).locator('select[name="type"]').locator('option').allTextContents()).resolves.toEqual([
      'any',
      'contact_sync',
      'nightly_sync',
    ]);
    await expect(form.getByText('Helpdesk contact → Billing customer')).toBeTruthy();
    // The schema's fields, each as its kind of input.
    const payload = form.getByRole('group', { name: 'Payload' });
    await expect(payload.getByLabel('email').getAttribute('type')).resolves.toBe('email');
    await expect(payload.getByLabel('seats').getAttribute('type')).resolves.toBe('number');
    await expect(payload.getByLabel('vip').getAttribute('type')).resolves.toBe('checkbox');
    await expect(payload.getByLabel('plan').locator('option').allTextContents()).resolves.toEqual(['choose', 'free', 'team']);
    // A type without a payload shows none.
    await typeSelect.selectOption('NIGHTLY_SYNC');
    await expect(form.getByRole('group', { name: 'Payload' }).count()).resolves.toBe(0);
    await typeSelect.selectOption('CONTACT_SYNC');
  });

  it('shows a refused payload beside its field, then enqueues the corrected one; the job runs with it', async () => {
    const form = page.getByRole('form', { name: 'Enqueue a job' });
    const payload = form.getByRole('group', { name: 'Payload' });
    await form.getByLabel('Entity id').fill('h_ann');
    await payload.getByLabel('email').fill('ann-at-example');
    await payload.getByLabel('name').fill('Ann Lee');
    await payload.getByLabel('seats').fill('3');
    await payload.getByLabel('plan').selectOption('team');
    // The browser's own email check would stop the form first: this is the server's refusal we want to see.
    await payload.getByLabel('email').evaluate((input: HTMLInputElement) => (input.type = 'text'));
    await form.getByRole('button', { name: 'Enqueue' }).click();
    const error = payload.getByRole('alert');
    await error.waitFor();
    await expect(error.textContent()).resolves.toContain('payload.email');
    await expect(payload.getByLabel('email').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(await app.database.db.job.count({ where: { entityId: 'h_ann' } })).toBe(0);
    await page.screenshot({ path: `${artifacts}/dashboard-payload-refused.png` });

    await payload.getByLabel('email').fill('ann@example.com');
    await payload.getByLabel('vip').check();
    await form.getByRole('button', { name: 'Enqueue' }).click();
    const status = form.getByRole('status');
    await status.filter({ hasText: 'h_ann' }).waitFor();
    const id = (await status.textContent())!.match(/Enqueued job (\d+)/)![1]!;
    await page.locator('tr[data-entity="h_ann"]').locator('[data-status="SUCCEEDED"]').waitFor();
    expect(synced).toEqual([{ email: 'ann@example.com', name: 'Ann Lee', seats: 3, plan: 'team', vip: true }]);
    const stored = await app.database.db.job.findUniqueOrThrow({ where: { id: Number(id) } });
    expect(stored.jobType).toBe('contact_sync');
    expect(JSON.parse(stored.payload!)).toEqual({ email: 'ann@example.com', name: 'Ann Lee', seats: 3, plan: 'team', vip: true });
    // The job's page shows what it carries.
    await status.getByRole('link', { name: `Open job ${id}` }).click();
    await page.locator('.payload-value').filter({ hasText: '"email": "ann@example.com"' }).waitFor();
    await page.screenshot({ path: `${artifacts}/dashboard-job-payload.png` });
  });

  it('filters by a registered type from the URL, and leaves an unknown one out', async () => {
    await page.goto(`${app.url}/?type=contact_sync`);
    await page.locator('tr[data-entity="h_ann"]').waitFor();
    await expect(page.getByRole('search', { name: 'Filter jobs' }).locator('select[name="type"]').inputValue()).resolves.toBe('CONTACT_SYNC');
    await page.goto(`${app.url}/?type=customer_sync`);
    // Not a type of this server: no filter on type, and no error.
    await page.locator('tr[data-entity="h_ann"]').waitFor();
    await expect(page.getByRole('search', { name: 'Filter jobs' }).locator('select[name="type"]').inputValue()).resolves.toBe('');
    await page.screenshot({ path: `${artifacts}/dashboard-own-types.png` });
  });
});
