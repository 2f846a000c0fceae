/**
 * OpenTelemetry tracing, off by default (SYNCBRIDGE_TRACING=on). Spans: one per GraphQL operation
 * and one per job attempt (with the correlation id); the attempt's context travels to CRM and
 * Billing as a W3C `traceparent` header. Exported over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT
 * (default http://127.0.0.1:4318). When off, the API's no-op tracer costs next to nothing.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';

export const tracer = trace.getTracer('syncbridge');

export interface Tracing {
  shutdown(): Promise<void>;
}

/** The SDK and the exporter are loaded only here: a process without tracing never pays for them (about 50 ms of start-up). */
export async function startTracing(options: { otlpEndpoint?: string; processor?: SpanProcessor; exporter?: SpanExporter }): Promise<Tracing> {
  const [{ OTLPTraceExporter }, { BatchSpanProcessor, NodeTracerProvider }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/sdk-trace-node'),
  ]);
  process.env.OTEL_SERVICE_NAME ??= 'syncbridge';
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: `${(options.otlpEndpoint ?? 'http://127.0.0.1:4318').replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({ spanProcessors: [options.processor ?? new BatchSpanProcessor(exporter)] });
  // Global registration: the W3C propagator and an AsyncLocalStorage context manager.
  provider.register();
  return {
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
