/**
 * graphql-ws over WebSocket on the HTTP server's own port and path (/graphql), executed through
 * Yoga's envelop so plugins, masking and context are the same as over HTTP. graphql-ws pings every
 * `keepAliveMs` and drops peers that stop answering; connections beyond `maxConnections` are
 * refused at the upgrade with 503.
 */
import type { Server } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { GraphQLError, getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { GraphQLLimits } from '../config/index.js';
import { checkOperationCost, markChecked } from './operationLimits.js';
import type { SubscriptionBudget } from './subscriptionBudget.js';
import type { Context } from 'graphql-ws';
import { SharedSubscriptions } from './sharedSubscriptions.js';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../graphql/builder.js';

export interface WebSocketOptions {
  maxConnections: number;
  keepAliveMs: number;
  /** Largest message a client may send. */
  maxPayloadBytes?: number;
  limits: GraphQLLimits;
  maxSubscriptionsPerConnection: number;
  /** The process-wide subscription cap, shared with SSE. */
  budget: SubscriptionBudget;
}

type Enveloped = ReturnType<YogaServerInstance<Record<string, unknown>, GraphQLContext>['getEnveloped']>;

export function attachGraphQLWebSocket(
  server: Server,
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>,
  logger: Logger,
  options: WebSocketOptions,
) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 1024 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (wss.clients.size >= options.maxConnections) {
      logger.warn({ connections: wss.clients.size }, 'refusing WebSocket: connection limit reached');
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  const shared = new SharedSubscriptions();
  // Subscription ids holding a slot of the budget, per connection.
  const held = new WeakMap<Context, Set<string>>();
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) =>
        shared.subscribe(args, async () => (await (args.rootValue as Enveloped).subscribe(args)) as AsyncIterableIterator<ExecutionResult> | ExecutionResult),
      onComplete: (context, id) => {
        if (held.get(context)?.delete(id)) options.budget.release();
      },
      onSubscribe: async (context, id, params) => {
        const enveloped = yoga.getEnveloped({ ...context, req: context.extra.request, socket: context.extra.socket, params });
        let document: DocumentNode;
        try {
          document = enveloped.parse(params.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error]; // e.g. the token limit: an error message, not a dropped socket
          throw error;
        }
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: enveloped,
        };
        const errors = enveloped.validate(args.schema, args.document);
        if (errors.length) return errors;
        // Checked here so a refused operation gets graphql-ws's error message (not a next + complete).
        const costErrors = checkOperationCost(args, options.limits);
        if (costErrors.length) return [...costErrors];
        if (getOperationAST(document, params.operationName)?.operation === 'subscription') {
          // ctx.subscriptions already holds this one.
          if (Object.keys(context.subscriptions).length > options.maxSubscriptionsPerConnection) {
            return [
              new GraphQLError(
                `This connection holds its maximum of ${options.maxSubscriptionsPerConnection} subscriptions (SYNCBRIDGE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION); complete one first.`,
                { extensions: { code: 'SUBSCRIPTION_LIMIT', limit: 'maxSubscriptionsPerConnection', max: options.maxSubscriptionsPerConnection } },
              ),
            ];
          }
          if (!options.budget.acquire()) return [options.budget.fullError()];
          let ids = held.get(context);
          if (!ids) held.set(context, (ids = new Set()));
          ids.add(id);
        }
        markChecked(args);
        return args;
      },
    },
    wss,
    options.keepAliveMs,
  );

  return {
    wss,
    shared,
    get connections() {
      return wss.clients.size;
    },
    async close() {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
