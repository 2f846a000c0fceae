/** GET /metrics parsed as Prometheus text, its figures cross-checked against the metrics query. */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlHttp, isFinal, providers, startTestApp, waitForJob, type TestApp } from './helpers.js';

type Family = { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[] };

describe.each(providers)('Prometheus exposition (%s)', (provider) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(provider);
  });
  afterAll(async () => {
    await app?.close();
  });

  const scrape = async () => {
    const response = await fetch(`${app.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const families = parsePrometheusTextFormat(await response.text()) as Family[];
    return new Map(families.map((family) => [family.name, family]));
  };

  it('exposes jobs by status and type, attempts by outcome, durations and the backlog, matching the metrics query', async () => {
    const ids: number[] = [];
    for (const entityId of ['c_1001', 'c_flaky', 'c_missing', 'c_1002']) {
      const { data } = await gqlHttp(app, `mutation ($e: String!) { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: $e }) { ... on EnqueueJobSuccess { job { id } } } }`, {
        e: entityId,
      });
      ids.push(Number(data!.enqueueJob.job.id));
    }
    await gqlHttp(
      app,
      `mutation { enqueueJob(input: { jobType: INVOICE_SYNC, entityId: "i_2001", scheduledAt: "${new Date(Date.now() + 86_400_000).toISOString()}" }) { __typename } }`,
    );
    await Promise.all(ids.map((id) => waitForJob(app, id, isFinal)));
    const metrics = await scrape();
    const { data } = await gqlHttp(app, `{ metrics { totalJobs succeeded failed dead pending attemptCount byStatus { status count } } }`);
    const m = data!.metrics;

    const jobs = metrics.get('syncbridge_jobs')!;
    const count = (status: string) => jobs.metrics.filter((metric) => metric.labels?.status === status).reduce((sum, metric) => sum + Number(metric.value), 0);
    expect(jobs.metrics.reduce((sum, metric) => sum + Number(metric.value), 0)).toBe(m.totalJobs);
    for (const status of ['SUCCEEDED', 'FAILED', 'DEAD', 'PENDING']) expect(count(status)).toBe(m.byStatus.find((row: { status: string }) => row.status === status).count);
    expect(
      jobs.metrics.every(
        (metric) =>
          Object.keys(metric.labels ?? {})
            .sort()
            .join() === 'job_type,status',
      ),
    ).toBe(true);

    const attempts = metrics.get('syncbridge_attempts_total')!;
    expect(attempts.metrics.reduce((sum, metric) => sum + Number(metric.value), 0)).toBe(m.attemptCount);
    const byOutcome = (outcome: string, errorType: string) =>
      attempts.metrics.filter((metric) => metric.labels?.outcome === outcome && metric.labels?.error_type === errorType).reduce((sum, metric) => sum + Number(metric.value), 0);
    expect(byOutcome('failed', 'NotFound')).toBe(1);
    expect(byOutcome('dead', 'UpstreamRateLimited')).toBe(1);
    expect(byOutcome('retry_scheduled', 'UpstreamRateLimited')).toBe(3);
    expect(byOutcome('succeeded', 'none')).toBe(2);

    expect(metrics.get('syncbridge_attempt_duration_seconds')!.type).toBe('HISTOGRAM');
    // The parser merges labelled histogram series, so count them from the text itself.
    const raw = await (await fetch(`${app.url}/metrics`)).text();
    const counts = [...raw.matchAll(/^syncbridge_attempt_duration_seconds_count\{[^}]*\} (\d+)$/gm)].map((match) => Number(match[1]));
    expect(counts.reduce((sum, value) => sum + value, 0)).toBe(m.attemptCount);

    expect(Number(metrics.get('syncbridge_queue_due_jobs')!.metrics[0]!.value)).toBe(0); // the pending one is scheduled
    expect(metrics.get('syncbridge_queue_oldest_due_age_seconds')).toBeDefined();
    expect(metrics.get('syncbridge_lease_recoveries_total')).toBeDefined();
    expect(metrics.get('syncbridge_event_delivery_lag_seconds')!.type).toBe('HISTOGRAM');
    const operations = metrics.get('syncbridge_graphql_operations_total')!;
    expect(operations.metrics.find((metric) => metric.labels?.operation === 'mutation' && metric.labels?.result === 'ok')!.value).toBe('5');
    expect(metrics.get('syncbridge_subscriptions')).toBeDefined();
    // Bounded labels: no entity or job ids anywhere.
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).not.toMatch(/c_1001|c_flaky|entity/);
  });
});
