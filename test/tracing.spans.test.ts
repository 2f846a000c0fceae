/** OpenTelemetry: a span per GraphQL operation and per attempt; traceparent reaches the upstreams. */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, isFinal, startTestApp, waitForJob, type TestApp } from './helpers.js';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('sqlite', { SYNCBRIDGE_TRACING: 'on' }, { spanProcessor: new SimpleSpanProcessor(exporter) });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('spans the enqueue mutation and each attempt, and propagates traceparent upstream', async () => {
    const { data } = await gql(
      app,
      `mutation Enqueue { enqueueJob(input: { jobType: CUSTOMER_SYNC, entityId: "c_flaky" }) { ... on EnqueueJobSuccess { job { id correlationId } } } }`,
    );
    const job = data!.enqueueJob.job;
    await waitForJob(app, Number(job.id), isFinal);
    const spans = exporter.getFinishedSpans();
    const mutation = spans.find((span) => span.name === 'graphql.mutation');
    expect(mutation?.attributes['graphql.operation.name']).toBe('Enqueue');
    const attempts = spans.filter((span) => span.name === 'job.attempt' && span.attributes['syncbridge.job.id'] === Number(job.id));
    expect(attempts.map((span) => span.attributes['syncbridge.attempt'])).toEqual([1, 2]);
    expect(attempts.every((span) => span.attributes['syncbridge.correlation_id'] === job.correlationId)).toBe(true);
    expect(attempts[0]!.attributes['error.type']).toBe('UpstreamTimeout');
    const upstream = app.mocks!.requests.filter((request) => request.correlationId === job.correlationId);
    expect(upstream.length).toBe(3);
    for (const request of upstream) {
      const traceId = request.traceparent?.split('-')[1];
      expect(attempts.map((span) => span.spanContext().traceId)).toContain(traceId);
    }
  });
});
