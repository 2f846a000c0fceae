/**
 * Chromium for the dashboard tests: Debian's (CHROMIUM_PATH for another), driven by
 * playwright-core, against the built client. Without either the dashboard suites are skipped,
 * except in CI, where that is an error.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { clientDist } from '../src/server/static.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveBrowser = existsSync(chromiumPath) && existsSync(`${clientDist}/index.html`);
if (!haveBrowser && process.env.CI) throw new Error(`The dashboard tests need ${chromiumPath} and a built client (npm run build:client)`);
if (!haveBrowser) console.warn('Chromium or the built client is missing: dashboard tests are skipped');

/** Headless, with nothing of its own on the network (no updates, sync or QUIC probes). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * A page for a suite that navigates itself: page errors reach the test's output, and a step that
 * cannot happen fails in 10 s, naming itself, instead of at the test's own time limit.
 */
export async function newTestPage(browser: Browser, viewport = { width: 1400, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (error) => console.error('page error:', error));
  page.setDefaultTimeout(10_000);
  return page;
}

/** A page on the dashboard at `url`, once its live connection is up; page errors reach the test's output. */
export async function openDashboard(browser: Browser, url: string, viewport = { width: 1400, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (error) => console.error('page error:', error));
  await page.goto(url);
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  return page;
}
