/**
 * The dashboard as an operator uses it in an incident, in Chromium: find jobs (search, deep
 * links), see what Billing answered, act on a whole class of failures, watch the history, control
 * job types, with the keyboard too; checked with axe-core in light and dark mode, and
 * photographed at 1024, 1400 and 390 px wide (test-artifacts/).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBrowser, launchChromium, newTestPage } from './browser.js';
import { customerSync } from '../src/demo/jobTypes.js';
import { UpstreamTimeoutError } from '../src/integrations/errors.js';
import { createTestDatabase, demoTypesWith, gqlHttp, isFinal, startTestApp, waitForJob, type TestApp, type TestDatabase } from './helpers.js';

const artifacts = 'test-artifacts';
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const ENQUEUE_MANY = `mutation ($inputs: [EnqueueJobInput!]!) { enqueueJobs(inputs: $inputs) { ... on EnqueueJobSuccess { job { id correlationId } } } }`;

describe.skipIf(!haveBrowser)('dashboard operations in Chromium', () => {
  let database: TestDatabase;
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  /** Billing is "down" for bulk_* entities until the test says otherwise. */
  let billingDown = true;

  const enqueue = async (inputs: Record<string, unknown>[]) => {
    const { data } = await gqlHttp(app, ENQUEUE_MANY, { inputs });
    return data!.enqueueJobs.map((item: { job: { id: string; correlationId: string } }) => ({ id: Number(item.job.id), correlationId: item.job.correlationId }));
  };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    database = await createTestDatabase('sqlite');
    const handlers = demoTypesWith({
      customer_sync: async (context) => {
        if (context.job.entityId.startsWith('bulk_')) {
          if (billingDown) throw new UpstreamTimeoutError('POST /customers answered 503: billing is down');
          return { ok: true };
        }
        return customerSync.handler(context);
      },
    });
    app = await startTestApp('sqlite', {}, { database, ...handlers });
    // Finished before any page is open: the history must show them.
    const early = await enqueue([
      { jobType: 'CUSTOMER_SYNC', entityId: 'c_1001' },
      { jobType: 'CUSTOMER_SYNC', entityId: 'c_1002' },
      { jobType: 'INVOICE_SYNC', entityId: 'i_2001' },
    ]);
    await Promise.all(early.map((job: { id: number }) => waitForJob(app, job.id, isFinal)));
    browser = await launchChromium();
    page = await newTestPage(browser);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.drop();
  });

  const open = async (path: string, target = page) => {
    await target.goto(`${app.url}${path}`);
    await target.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  };
  const row = (entityId: string, target = page) => target.locator(`tr[data-entity="${entityId}"]`);

  it('shows in its history chart the jobs that finished before the page was opened', async () => {
    await open('/');
    const summary = page.getByTestId('history-summary');
    await summary.filter({ hasText: 'Attempts in the last 1 h: 2 succeeded, 3 failed and retried, 0 failed for good, 1 ended DEAD' }).waitFor(); // c_1002: three retries, then DEAD
    await expect(page.locator('.history-plot canvas').count()).resolves.toBeGreaterThan(0);
  });

  it('finds a job by its correlation id, and a deep link with a filter (any case) survives a reload', async () => {
    const jobs = await enqueue(['c_search_a', 'c_search_b', 'c_search_c'].map((entityId) => ({ jobType: 'CUSTOMER_SYNC', entityId })));
    await Promise.all(jobs.map((job: { id: number }) => waitForJob(app, job.id, isFinal)));
    await open('/');
    const filters = page.getByRole('search', { name: 'Filter jobs' });
    await filters.getByLabel('Correlation id').fill(jobs[1].correlationId);
    await filters.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`**/?correlation=${jobs[1].correlationId}`);
    await page
      .getByTestId('job-count')
      .filter({ hasText: /^1 job$/ })
      .waitFor();
    await row('c_search_b').waitFor();

    await open('/?status=dead&type=customer_sync');
    await row('c_1002').waitFor();
    await expect(page.locator('tbody tr[data-entity]').count()).resolves.toBe(1);
    await page.reload();
    await row('c_1002').waitFor();
    await expect(page.locator('tbody tr[data-entity]').count()).resolves.toBe(1);
    await expect(page.locator('select[name="status"]').inputValue()).resolves.toBe('DEAD');
    await expect(page.locator('select[name="type"]').inputValue()).resolves.toBe('CUSTOMER_SYNC');
  });

  it("shows what Billing answered to each of c_1002's attempts", async () => {
    const [dead] = (await gqlHttp(app, `{ jobs(filter: { entityId: "c_1002" }) { edges { node { id } } } }`)).data!.jobs.edges;
    await open(`/jobs/${dead.node.id}`);
    const calls = page.getByRole('table', { name: /Upstream calls of attempt \d/ });
    await calls.first().waitFor();
    await expect(calls.count()).resolves.toBe(4); // maxRetries 3: four attempts, each a CRM read and a Billing write
    const refused = page.locator('tr[data-call-status="429"]');
    await expect(refused.count()).resolves.toBe(4);
    await expect(refused.first().getByTestId('response-body').textContent()).resolves.toBe('{"error":"rate_limited","external_id":"c_1002"}');
    await page.screenshot({ path: `${artifacts}/dashboard-job-forensics.png`, fullPage: true });
  });

  it('replays 50 DEAD jobs from the UI: the dry-run count first, then 50 new jobs arriving live', async () => {
    const dead = await enqueue(Array.from({ length: 50 }, (_, i) => ({ jobType: 'CUSTOMER_SYNC', entityId: `bulk_${String(i).padStart(2, '0')}`, maxRetries: 0 })));
    await Promise.all(dead.map((job: { id: number }) => waitForJob(app, job.id, (current) => current.status === 'DEAD')));
    billingDown = false;
    await open('/?status=DEAD&entity=bulk_*');
    await page
      .getByTestId('job-count')
      .filter({ hasText: /^1–25 of 50 jobs$/ })
      .waitFor();
    await page.getByRole('checkbox', { name: 'Select every job on this page' }).check();
    await page.getByRole('button', { name: 'Select all 50 matching this filter' }).click();

    const bar = page.getByRole('group', { name: 'Act on many jobs' });
    await bar.getByText('all 50 jobs matching this filter').waitFor();
    await bar.getByRole('button', { name: 'Replay…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('dry-run').filter({ hasText: 'Dry run: 50 of 50 matching jobs would be replayed by new jobs. Nothing has changed yet.' }).waitFor();
    await expect(gqlHttp(app, `{ jobs(filter: { entityIdPrefix: "bulk_" }) { totalCount } }`).then((r) => r.data!.jobs.totalCount)).resolves.toBe(50);
    await page.screenshot({ path: `${artifacts}/dashboard-bulk-replay.png` });

    // Watch the whole class from a second tab while the first one confirms.
    const watcher = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await open('/?entity=bulk_*', watcher);
    await watcher
      .getByTestId('job-count')
      .filter({ hasText: /^1–25 of 50 jobs$/ })
      .waitFor();
    await dialog.getByRole('button', { name: 'Replay 50 jobs' }).click();
    await page.getByTestId('bulk-result').filter({ hasText: '50 of 50 matching jobs replayed by new jobs.' }).waitFor();
    await watcher
      .getByTestId('job-count')
      .filter({ hasText: /^1–25 of 100 jobs$/ })
      .waitFor();
    await watcher.locator('tbody tr [data-status="SUCCEEDED"]').first().waitFor();
    await watcher.close();
    const replays = await gqlHttp(app, `{ jobs(filter: { entityIdPrefix: "bulk_", isReplay: true }) { totalCount } }`);
    expect(replays.data!.jobs.totalCount).toBe(50);
  }, 60_000);

  // Once in about ten runs one step of it missed its 10 s (not reproduced since; the log says
  // which): tried again once rather than failing a whole CI run on it.
  it('pauses and resumes a job type from its panel, live', { retry: 1 }, async () => {
    // What the panel showed, when a step does not happen (for the CI log).
    const onFailure = async (error: unknown) => {
      console.error(
        'job types panel at failure:',
        await page
          .locator('.job-types')
          .innerText()
          .catch(() => '(none)'),
        page.url(),
      );
      throw error;
    };
    await panelSteps().catch(onFailure);
  });

  const panelSteps = async () => {
    await open('/');
    const panel = page.getByRole('region', { name: 'Job types' });
    const invoice = panel.locator('tr[data-job-type="INVOICE_SYNC"]');
    await invoice.getByTestId('job-type-state').filter({ hasText: 'active' }).waitFor();
    await panel.getByRole('button', { name: 'Pause invoice_sync' }).click();
    await invoice.getByTestId('job-type-state').filter({ hasText: 'paused' }).waitFor();
    // A pause made elsewhere shows too.
    await gqlHttp(app, `mutation { resumeJobType(jobType: INVOICE_SYNC) { __typename } }`);
    await invoice.getByTestId('job-type-state').filter({ hasText: 'active' }).waitFor();
    await panel.getByLabel('Concurrency limit of customer_sync').fill('4');
    await panel.getByRole('group', { name: 'customer_sync controls' }).getByRole('button', { name: 'Set' }).click();
    await panel.locator('tr[data-job-type="CUSTOMER_SYNC"]').filter({ hasText: '/ 4' }).waitFor();
  };

  it('moves with the keyboard: / searches, j and k move between rows, Enter opens one', async () => {
    await open('/?entity=c_search_*');
    await page
      .getByTestId('job-count')
      .filter({ hasText: /^3 jobs$/ })
      .waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('name'))).resolves.toBe('entity');
    await page.locator('h1#jobs-heading').click();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const focused = await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-entity'));
    const first = await page.locator('tbody tr[data-entity]').first().getAttribute('data-entity');
    expect(focused).toBe(first);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/jobs\/\d+$/);
  });

  it('has no serious or critical accessibility violation on any page (jobs, a job, processes, schedules), light and dark', async () => {
    const [dead] = (await gqlHttp(app, `{ jobs(filter: { entityId: "c_1002" }) { edges { node { id } } } }`)).data!.jobs.edges;
    await gqlHttp(app, `mutation { createSchedule(input: { name: "axe-nightly", cron: "0 2 * * *", jobType: CUSTOMER_SYNC, entityId: "c_1001" }) { __typename } }`);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      for (const path of ['/?status=DEAD', `/jobs/${dead.node.id}`, '/processes', '/schedules']) {
        await open(path);
        await page.locator('tbody tr, .timeline li').first().waitFor();
        await page.addScriptTag({ path: axePath });
        const violations = await page.evaluate(async () => {
          const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
          const results = await axe.run(document);
          return results.violations
            .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
            .map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.slice(0, 3).map((node) => node.target.join(' ')) }));
        });
        expect({ colorScheme, path, violations }).toEqual({ colorScheme, path, violations: [] });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('lays out at 1024, 1400 and 390 px wide without cutting a column', async () => {
    for (const [width, height] of [
      [1024, 768],
      [1400, 900],
      [390, 844],
    ] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const view = await browser.newPage({ viewport: { width, height }, colorScheme });
        await open('/', view);
        await view.locator('tbody tr[data-entity]').first().waitFor();
        // Every cell of the first row is inside the viewport horizontally, unscrolled.
        const overflow = await view.evaluate(() => {
          const cells = [...document.querySelectorAll('tbody tr[data-entity]:first-child td')];
          return cells.filter((cell) => cell.getBoundingClientRect().right > window.innerWidth + 1).map((cell) => cell.getAttribute('data-label'));
        });
        expect({ width, overflow }).toEqual({ width, overflow: [] });
        // Nor does any panel hide a part of itself.
        const clipped = await view.evaluate(() =>
          [...document.querySelectorAll('.panel, .filters, .header')].filter((box) => box.scrollWidth > box.clientWidth + 1).map((box) => box.className),
        );
        expect({ width, clipped }).toEqual({ width, clipped: [] });
        await view.screenshot({ path: `${artifacts}/dashboard-${width}-${colorScheme}.png` });
        await view.close();
      }
    }
  }, 60_000);

  it('GraphiQL opens with the examples and their variables in its editors, also after a reload', async () => {
    const [newestEnded] = (await gqlHttp(app, `{ jobs(status: [DEAD, FAILED], first: 1) { edges { node { id } } } }`)).data!.jobs.edges;
    const graphiql = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
    await graphiql.goto(`${app.url}/graphql`);
    const editor = graphiql.locator('.graphiql-query-editor .view-lines');
    for (let load = 0; load < 2; load++) {
      await editor.filter({ hasText: 'mutation Enqueue($entityId: String!)' }).waitFor();
      // Monaco lays text out with no-break spaces.
      const text = (await editor.textContent())!.replace(/\u00a0/g, ' ');
      for (const operation of ['subscription Watch($watchId: ID!)', 'query DeadJobs($after: String)', 'mutation Replay($replayId: ID!)', 'query Metrics'])
        expect(text).toContain(operation);
      // The record that shows retries until DEAD, and today's newest DEAD or FAILED job to replay.
      await graphiql.locator('.view-lines').filter({ hasText: '"entityId": "c_1002"' }).waitFor();
      await graphiql
        .locator('.view-lines')
        .filter({ hasText: `"replayId": "${newestEnded.node.id}"` })
        .waitFor();
      await graphiql.reload();
    }
    await graphiql.close();
    // Run as GraphiQL offers it, the replay example works.
    const replayed = await gqlHttp(app, `mutation ($replayId: ID!) { replayJob(id: $replayId) { __typename } }`, { replayId: newestEnded.node.id });
    expect(replayed.data!.replayJob.__typename).toBe('ReplayJobSuccess');
  });
});
