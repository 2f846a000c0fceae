/**
 * The API part of a process: GraphQL through Yoga over HTTP, the live engine that serves every
 * subscription (over WebSocket and SSE alike, one execution per event for identical ones), the
 * dashboard's files. With SYNCBRIDGE_API=off (a worker-only process) Yoga still exists for
 * in-process use, but nothing is served.
 */
import { join } from 'node:path';
import type { GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { TokenStore } from '../auth/tokens.js';
import { loadTrustedHashes } from '../auth/trustedDocuments.js';
import { withJobTypes } from '../graphql/jobTypeEnum.js';
import { schema as baseSchema } from '../graphql/schema.js';
import { graphqlRoute } from '../server/graphql/route.js';
import { createGraphQLYoga, type SharedContext, type Yoga } from '../server/graphql/yoga.js';
import type { RouteHandler } from '../server/http.js';
import { clientDist, staticRoutes } from '../server/static.js';
import { SubscriptionBudget } from '../server/subscriptions/budget.js';
import { LiveEngine } from '../server/subscriptions/engine.js';
import { SseSubscriptions } from '../server/subscriptions/sse.js';
import { LiveWebSocketServer } from '../server/subscriptions/websocket.js';
import { webhookRoute, type EnabledWebhookSource } from '../server/webhooks.js';

export interface ApiPart {
  /** The schema served (printSchema shows this process's JobType values). */
  schema: GraphQLSchema;
  yoga: Yoga;
  engine: LiveEngine;
  sse: SseSubscriptions;
  /** Absent when SYNCBRIDGE_API=off. */
  websocket: LiveWebSocketServer | undefined;
  budget: SubscriptionBudget;
  /** /graphql, /hooks/<source> and the dashboard's files (none when the API is off); the dashboard's goes last (it answers unknown paths). */
  routes: { graphql: RouteHandler[]; dashboard: RouteHandler[] };
  close(): Promise<void>;
}

export function createApi(config: Config, shared: SharedContext, tokens: TokenStore, logger: Logger, plugins: Plugin[], webhooks: readonly EnabledWebhookSource[]): ApiPart {
  // The JobType enum holds this process's types (and the retired ones whose jobs may be stored).
  const schema = withJobTypes(baseSchema, shared.queue.jobTypes, shared.queue.jobTypes.retired);
  const yoga = createGraphQLYoga({
    schema,
    shared,
    logger,
    limits: config.graphqlLimits,
    tokens,
    trustedDocuments: config.persistedOnly ? loadTrustedHashes(join(clientDist, 'trusted-documents.json')) : undefined,
    plugins,
  });
  const engine = new LiveEngine(schema, logger);
  const budget = new SubscriptionBudget(config.maxSubscriptions);
  const outbox = { maxQueuedBytes: config.liveMaxQueuedBytes, stallMs: config.liveStallSeconds * 1000 };
  const sse = new SseSubscriptions(yoga, engine, logger, { limits: config.graphqlLimits, budget, keepAliveMs: config.wsKeepAliveSeconds * 1000, outbox });
  const websocket = config.apiEnabled
    ? new LiveWebSocketServer(yoga, engine, logger, {
        maxConnections: config.wsMaxConnections,
        keepAliveMs: config.wsKeepAliveSeconds * 1000,
        maxPayloadBytes: 1024 * 1024,
        limits: config.graphqlLimits,
        maxSubscriptionsPerConnection: config.wsMaxSubscriptionsPerConnection,
        maxOperationsInFlight: config.wsMaxOperationsInFlight,
        maxOperationsInFlightTotal: config.maxOperationsInFlight,
        budget,
        initTimeoutMs: config.wsInitTimeoutSeconds * 1000,
        idleTimeoutMs: config.wsIdleTimeoutSeconds * 1000,
        outbox,
        tokens,
        allowedOrigins: config.allowedOrigins,
      })
    : undefined;
  const route = graphqlRoute({ yoga, sse, tokens, maxBodyBytes: config.httpMaxBodyBytes, maxBodyBytesInFlight: config.httpMaxBodyBytesInFlight });
  return {
    schema,
    yoga,
    engine,
    sse,
    websocket,
    budget,
    routes: config.apiEnabled
      ? {
          graphql: [route, ...(webhooks.length ? [webhookRoute({ sources: webhooks, context: shared.queue, logger, maxBodyBytesInFlight: config.httpMaxBodyBytesInFlight })] : [])],
          dashboard: [staticRoutes()],
        }
      : { graphql: [], dashboard: [] },
    async close() {
      engine.close();
      await websocket?.close();
    },
  };
}
