/**
 * Subscriptions over SSE (graphql-sse's "distinct connections" mode: one request per
 * subscription, `event: next` per result, `event: complete` at the end), through the same
 * LiveEngine as WebSockets: every SSE subscriber of a shared execution is sent the very same
 * bytes. Requests that are not subscriptions are left to Yoga.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { GraphQLLimits } from '../../config/index.js';
import type { SubscriptionBudget } from './budget.js';
import type { LiveEngine, LiveEvent, LiveSubscription } from './engine.js';
import { isOperationParams, prepareOperation, subscriptionRefusal, type OperationParams, type Yoga } from './operation.js';
import type { Principal } from '../../auth/principal.js';
import { Outbox, type OutboxLimits } from './outbox.js';

export interface SseOptions {
  limits: GraphQLLimits;
  budget: SubscriptionBudget;
  /** A comment line this often keeps proxies from closing a quiet stream. */
  keepAliveMs: number;
  /** When a stream that falls behind is closed. */
  outbox: OutboxLimits;
}

const completeFrame = Buffer.from('event: complete\ndata:\n\n');
const keepAliveFrame = Buffer.from(':\n\n');

/**
 * Whether the client takes an event stream: it asks for one, or for anything (curl's default
 * `*\/*`), or says nothing. Every subscription is served here whatever the Accept header says;
 * one that rules the stream out is told so (406) rather than sent elsewhere.
 */
export function acceptsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    return type === 'text/event-stream' || type === '*/*' || type === 'text/*';
  });
}

/** The operation of a GET (query string) or POST (its parsed JSON body) request, or undefined if it has none. */
export function operationParamsOf(req: IncomingMessage, body: Record<string, unknown> | undefined): OperationParams | undefined {
  try {
    if (req.method === 'GET') {
      const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
      const variables = query.get('variables');
      const extensions = query.get('extensions');
      const params = {
        query: query.get('query') ?? '',
        variables: variables ? (JSON.parse(variables) as Record<string, unknown>) : undefined,
        operationName: query.get('operationName') ?? undefined,
        extensions: extensions ? (JSON.parse(extensions) as Record<string, unknown>) : undefined,
      };
      return isOperationParams(params) ? params : undefined;
    }
    return isOperationParams(body) ? body : undefined;
  } catch {
    return undefined; // Yoga answers malformed requests with its own errors
  }
}

export class SseSubscriptions {
  /** Open SSE subscription streams. */
  active = 0;

  constructor(
    private readonly yoga: Yoga,
    private readonly engine: LiveEngine,
    private readonly logger: Logger,
    private readonly options: SseOptions,
  ) {}

  /** Serves the request if it is a subscription; false (nothing written) to leave it to Yoga. */
  async serve(req: IncomingMessage, res: ServerResponse, params: OperationParams, principal: Principal): Promise<boolean> {
    const prepared = await prepareOperation(this.yoga, params, { principal, remoteAddress: req.socket.remoteAddress }, this.options.limits);
    if ('args' in prepared && prepared.operation !== 'subscription') return false;
    if (!acceptsEventStream(req)) {
      res.writeHead(406, { 'content-type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify({ errors: [{ message: 'Subscriptions over HTTP are served as text/event-stream (or use the WebSocket on this path); send Accept: text/event-stream.' }] }),
      );
      return true;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    if (!('args' in prepared)) return this.end(res, prepared);
    // Every subscription needs the viewer role; checked here for every subscriber, since a shared
    // execution's own check ran once, for its first member.
    const refusal = subscriptionRefusal(principal);
    if (refusal) return this.end(res, [refusal]);
    if (!this.options.budget.acquire()) return this.end(res, [this.options.budget.fullError()]);

    let subscription: LiveSubscription | undefined;
    let finished = false;
    const outbox = new Outbox(
      {
        get buffered() {
          return res.writableLength;
        },
        write: (bytes) => void res.write(bytes),
        onDrain: (callback) => res.once('drain', callback),
        closeTooSlow: (reason) => {
          this.logger.warn({ reason }, 'closing an SSE stream that stopped reading');
          res.destroy();
        },
      },
      this.options.outbox,
    );
    const keepAlive = setInterval(() => outbox.send(keepAliveFrame), this.options.keepAliveMs);
    keepAlive.unref();
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(keepAlive);
      outbox.drop();
      subscription?.unsubscribe();
      this.active -= 1;
      this.options.budget.release();
    };
    this.active += 1;
    res.once('close', finish);
    const started = await this.engine.subscribe(prepared.args, {
      next: (event: LiveEvent) => outbox.send(event.sse, '', event.key),
      error: (errors) => {
        outbox.send(Buffer.from(`event: next\ndata: ${JSON.stringify({ errors })}\n\n`));
        outbox.send(completeFrame);
        res.end();
        finish();
      },
      complete: () => {
        outbox.send(completeFrame);
        res.end();
        finish();
      },
    });
    if (!('unsubscribe' in started)) {
      finish();
      return this.end(res, started);
    }
    subscription = started;
    if (finished) subscription.unsubscribe(); // the client left while it started
    return true;
  }

  private end(res: ServerResponse, errors: readonly GraphQLError[]): true {
    res.write(`event: next\ndata: ${JSON.stringify({ errors })}\n\n`);
    res.end(completeFrame);
    return true;
  }
}
