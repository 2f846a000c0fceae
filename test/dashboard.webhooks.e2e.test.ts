/**
 * The job page says which webhook deliveries started a job and changed it (issue 25), in
 * Chromium: two CRM changes of one record arrive as signed webhooks while no worker runs, the
 * second folds into the first's job, and the page names both deliveries.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/index.js';
import { haveBrowser, launchChromium, newTestPage } from './browser.js';
import { startTestApp, type TestApp } from './helpers.js';

const secret = 'whsec_dashboard';

describe.skipIf(!haveBrowser)('dashboard: a job started by a webhook', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startTestApp('sqlite', { SYNCBRIDGE_WORKER: 'off', SYNCBRIDGE_WEBHOOK_SECRETS: `crm:${secret}` });
    browser = await launchChromium();
    page = await newTestPage(browser);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const deliver = async (id: string) => {
    const body = JSON.stringify({ id, type: 'customer.updated', data: { id: 'c_1001' } });
    const response = await fetch(`${app.url}/hooks/crm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'syncbridge-signature': signWebhook(body, secret) },
      body,
    });
    return (await response.json()) as { jobs: { id: string }[] };
  };

  it('names the delivery that started the job and the one whose change it took', async () => {
    const first = await deliver('evt_2d0c61b9-7a51-4c1e-9f44-2f6a0b1cafe1');
    await deliver('evt_second_change');
    await page.goto(`${app.url}/jobs/${first.jobs[0]!.id}`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const started = page.locator('.fields div').filter({ has: page.locator('dt', { hasText: 'Started by' }) });
    await expect(started.locator('dd').textContent()).resolves.toMatch(/^delivery evt_2d0c61b9-7a51-4c1e-9f44-2f6a0b1cafe1 from crm \(customer\.updated\) at /);
    const changed = page.locator('.fields div').filter({ has: page.locator('dt', { hasText: 'Changed by' }) });
    await expect(changed.locator('li').allTextContents()).resolves.toEqual([expect.stringMatching(/^delivery evt_second_change from crm \(customer\.updated\) at /)]);
    await page.screenshot({ path: 'test-artifacts/dashboard-job-webhook.png' });
    // Nothing sideways on a phone: the long delivery id wraps.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: 'test-artifacts/dashboard-job-webhook-phone.png', fullPage: true });
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1)
        .map((element) => `${element.tagName}.${element.className}`)
        .slice(0, 8),
    );
    expect(wide).toEqual([]);
    await expect(page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).resolves.toBe(true);
  });
});
