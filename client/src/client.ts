/**
 * The urql client: Graphcache normalises Jobs and Attempts by id, so a `jobUpdated` event patches
 * every view of that job without a refetch. Subscriptions go over graphql-ws; if the WebSocket
 * never manages to connect (a proxy that blocks it), new subscriptions fall back to SSE.
 */
import { cacheExchange } from '@urql/exchange-graphcache';
import { createClient as createWsClient } from 'graphql-ws';
import { Client, fetchExchange, subscriptionExchange } from 'urql';
import { authHeaders } from './auth';
import { connection } from './connection';
import { possibleTypes } from './possibleTypes';
import { sseSubscribe } from './sse';

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

let everConnected = false;
let failedConnects = 0;
/** Failed first connections after which subscriptions use SSE instead. */
const sseAfterFailures = 3;

export const wsClient = createWsClient({
  url: wsUrl,
  lazy: false,
  connectionParams: () => authHeaders(),
  retryAttempts: Number.POSITIVE_INFINITY,
  shouldRetry: () => true,
  retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 5_000))),
  on: {
    connecting: () => connection.set(everConnected ? 'reconnecting' : 'connecting'),
    connected: () => {
      const reconnected = everConnected;
      everConnected = true;
      failedConnects = 0;
      connection.set('live', reconnected);
    },
    closed: () => {
      if (!everConnected) failedConnects += 1;
      connection.set(!everConnected && failedConnects >= sseAfterFailures ? 'sse' : 'reconnecting');
    },
  },
});

const noKey = () => null;

export const client = new Client({
  url: '/graphql',
  fetchOptions: () => ({ headers: authHeaders() }),
  exchanges: [
    cacheExchange({
      // Deterministic matching of `... on Error` and the result unions: guessed, a refusal's message was dropped.
      possibleTypes,
      keys: {
        Metrics: noKey,
        StatusCount: noKey,
        JobTypeCount: noKey,
        JobConnection: noKey,
        JobEdge: noKey,
        PageInfo: noKey,
        EnqueueJobSuccess: noKey,
        RetryJobSuccess: noKey,
        CancelJobSuccess: noKey,
        ReplayJobSuccess: noKey,
        DuplicateActiveJobError: noKey,
        NotFoundError: noKey,
        InvalidStateError: noKey,
        InputError: noKey,
        UnauthorizedError: noKey,
        ForbiddenError: noKey,
        RateLimitedError: noKey,
        Caller: noKey,
        AuditEvent: noKey,
        // One row per type: the live stream and the mutations' answers update the same entity.
        JobTypeStatus: (data) => (data.jobType as string | undefined) ?? null,
        // A group of a type: the live stream's rows replace each other.
        JobGroup: (data) => `${String(data.jobType)}:${String(data.groupKey)}`,
        MetricsHistory: noKey,
        MetricsBucket: noKey,
        AttemptCounts: noKey,
        UpstreamCall: noKey,
        OperatorLinks: noKey,
        BulkActionResult: noKey,
        BulkSkipCount: noKey,
        UpstreamPace: noKey,
        JobTypeRetry: noKey,
      },
    }),
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query ?? '' };
        return {
          subscribe(sink) {
            if (connection.get() === 'sse') return sseSubscribe(input, sink, '/graphql', authHeaders());
            return { unsubscribe: wsClient.subscribe(input, sink) };
          },
        };
      },
    }),
  ],
});
