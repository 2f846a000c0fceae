/**
 * Prometheus exposition at GET /metrics (prom-client). Counters and histograms follow the events
 * this process publishes (transitions.ts) and its GraphQL operations (graphql.ts); gauges are
 * read at scrape time (scrape.ts). Labels are bounded: statuses, job types, error types,
 * operation types, upstream names; never entity or job ids.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { EventBus } from '../../events/bus.js';
import type { RouteHandler } from '../http.js';
import { graphqlMetrics } from './graphql.js';
import { scrapeMetrics, type ScrapeSources } from './scrape.js';
import { transitionMetrics } from './transitions.js';

export type { ScrapeSources } from './scrape.js';

/**
 * The registry, the transition counters (from the bus) and the GraphQL plugin at once; the
 * scrape-time gauges and the route once their sources exist (`route`).
 */
export function createPrometheus(bus: EventBus) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'syncbridge_process_' });
  const off = transitionMetrics(registry, bus);
  const graphqlPlugin = graphqlMetrics(registry);

  /** GET /metrics, with the gauges read from `sources` at scrape time. */
  function route(sources: ScrapeSources): RouteHandler {
    const refresh = scrapeMetrics(registry, sources);
    return async (req, res, path) => {
      if (path !== '/metrics' || req.method !== 'GET') return false;
      await refresh();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
      return true;
    };
  }

  return { registry, route, graphqlPlugin, close: off };
}
