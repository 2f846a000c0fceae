/**
 * The dashboard's alerts (issue 25), in Chromium: an UPSTREAM_OPEN rule fires when billing's
 * circuit is forced open; the nav counts it and the alerts page lists it live, with its rule; once
 * the circuit closes it leaves "firing now" and shows RESOLVED in the history.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium, newTestPage } from './browser.js';
import { gql, startTestApp, type TestApp } from './helpers.js';

describe.skipIf(!haveBrowser)('dashboard: alerts', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let receiver: Server;

  beforeAll(async () => {
    // Where the rule's notifications go: a Slack-like receiver that takes everything.
    // Answers as Slack does: 200 with a plain "ok" (no JSON).
    receiver = createServer((req, res) => req.resume().on('end', () => res.end('ok')));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    app = await startTestApp('sqlite', { SYNCBRIDGE_ALERTS_INTERVAL_SECONDS: '0.2', SYNCBRIDGE_ALERT_GROUP_WAIT_SECONDS: '0' });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/slack`;
    await gql(app, `mutation ($url: String!) { createAlertRule(input: { name: "billing down", kind: UPSTREAM_OPEN, channel: { kind: SLACK, url: $url } }) { __typename } }`, {
      url,
    });
    browser = await launchChromium();
    page = await newTestPage(browser);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('lists a firing alert live with its rule, counts it in the nav, and moves it to the history once resolved', async () => {
    await page.goto(`${app.url}/alerts`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.getByTestId('no-firing').waitFor();
    await expect(page.locator('tr[data-rule="billing down"] td[data-label="Condition"]').textContent()).resolves.toBe('UPSTREAM_OPEN  · any circuit open');

    await gql(app, `mutation { setUpstreamCircuit(upstream: "billing", state: OPEN) { __typename } }`);
    const item = page.getByRole('list', { name: 'Firing alerts' }).locator('li');
    await item.first().waitFor({ timeout: 15_000 });
    await expect(item.first().textContent()).resolves.toMatch(/^billing down UPSTREAM_OPEN.*circuit open: billing \(OPEN: forced open by an operator\)/);
    await expect(page.getByTestId('firing-count').textContent()).resolves.toBe('1 firing');
    await page.locator('tr[data-alert-history] td[data-label="State"]', { hasText: 'FIRING' }).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: 'test-artifacts/dashboard-alerts.png' });

    await gql(app, `mutation { setUpstreamCircuit(upstream: "billing", state: AUTO) { __typename } }`);
    await page.getByTestId('no-firing').waitFor({ timeout: 15_000 });
    await expect(page.getByTestId('firing-count').count()).resolves.toBe(0);
    // The history is read again every few seconds.
    await page.locator('tr[data-alert-history] td[data-label="State"]', { hasText: 'RESOLVED' }).first().waitFor({ timeout: 15_000 });
    // Its notifications were delivered: the Slack-like "ok" counts as taken.
    await expect
      .poll(() => app.database.db.job.findMany({ where: { jobType: 'syncbridge_alert' }, select: { status: true } }), { timeout: 10_000 })
      .toEqual([{ status: 'SUCCEEDED' }, { status: 'SUCCEEDED' }]);
    // Nothing sideways on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).resolves.toBe(true);
  }, 60_000);
});
