/**
 * graphql-ws over WebSocket on the HTTP server's own port and path (/graphql), executed through
 * Yoga's envelop so plugins, masking and context are the same as over HTTP. graphql-ws pings every
 * `keepAliveMs` and drops peers that stop answering; connections beyond `maxConnections` are
 * refused at the upgrade with 503.
 */
import type { Server } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { SharedSubscriptions } from './sharedSubscriptions.js';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../graphql/builder.js';

export interface WebSocketOptions {
  maxConnections: number;
  keepAliveMs: number;
  /** Largest message a client may send. */
  maxPayloadBytes?: number;
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
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) =>
        shared.subscribe(args, async () => (await (args.rootValue as Enveloped).subscribe(args)) as AsyncIterableIterator<ExecutionResult> | ExecutionResult),
      onSubscribe: async (context, _id, params) => {
        const enveloped = yoga.getEnveloped({ ...context, req: context.extra.request, socket: context.extra.socket, params });
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          operationName: params.operationName,
          document: enveloped.parse(params.query),
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: enveloped,
        };
        const errors = enveloped.validate(args.schema, args.document);
        return errors.length ? errors : args;
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
