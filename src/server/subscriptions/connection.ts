/**
 * One graphql-ws connection (the graphql-transport-ws protocol, graphql-ws's message parsing and
 * close codes): init and authentication, subscribe/complete, queries and mutations through Yoga's
 * envelop, subscriptions through the LiveEngine with every `next` spliced from the event's shared
 * bytes after this subscriber's own id. Bounded: subscriptions and operations in flight, a queue
 * of waiting frames (then compaction, then close), an init deadline.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, MessageType, parseMessage, stringifyMessage, type SubscribeMessage } from 'graphql-ws';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { GraphQLLimits } from '../../config/index.js';
import type { SubscriptionBudget } from './budget.js';
import type { LiveEngine, LiveEvent, LiveSubscription } from './engine.js';
import { prepareOperation, type Yoga } from './operation.js';
import { Outbox, type OutboxLimits, type OutboxSocket } from './outbox.js';
import { textFrame } from './wsFrame.js';
import { anonymousName, authenticate, type Principal } from '../../auth/principal.js';
import type { TokenStore } from '../../auth/tokens.js';

export interface WebSocketOptions {
  maxConnections: number;
  keepAliveMs: number;
  /** Largest message a client may send. */
  maxPayloadBytes: number;
  limits: GraphQLLimits;
  maxSubscriptionsPerConnection: number;
  /** Queries, mutations and subscriptions being started that one connection may have at once. */
  maxOperationsInFlight: number;
  /** The same over every connection of the process. */
  maxOperationsInFlightTotal: number;
  /** The process-wide subscription cap, shared with SSE. */
  budget: SubscriptionBudget;
  /** A connection must send connection_init within this. */
  initTimeoutMs: number;
  /** A connection without subscriptions for this long is closed (0: never). */
  idleTimeoutMs: number;
  /** When a connection that falls behind is closed. */
  outbox: OutboxLimits;
  tokens: TokenStore;
  /** Browser origins allowed beyond the server's own (cross-site WebSocket hijacking). */
  allowedOrigins: readonly string[];
}

/** graphql-ws close codes for a refused connection_init. */
export const unauthorizedCloseCode = 4401;
export const forbiddenCloseCode = 4403;

/** Close code for a peer that stopped reading (its backlog passed the bound). */
export const tooSlowCloseCode = 4413;

const ackFrame = textFrame(Buffer.from(stringifyMessage({ type: MessageType.ConnectionAck })));

/** What a connection needs of the server that accepted it. */
export interface ConnectionHost {
  readonly options: WebSocketOptions;
  readonly logger: Logger;
  readonly engine: LiveEngine;
  readonly yoga: Yoga;
  /** Operations in flight over every connection (bounded by maxOperationsInFlightTotal). */
  operationsInFlight: number;
  /** The connection closed. */
  forget(connection: Connection): void;
}

export class Connection {
  private acknowledged = false;
  private initReceived = false;
  /** Subscription id → its live subscription (null while it starts, or for a query in flight). */
  readonly operations = new Map<string, LiveSubscription | null>();
  /** Subscription ids holding a slot of the process budget. */
  private readonly budgeted = new Set<string>();
  /** Queries and mutations being prepared or run (they sit in `operations` too, until answered). */
  private queriesInFlight = 0;
  private readonly prefixes = new Map<string, Buffer>();
  readonly outbox: Outbox;
  alive = true;
  /** When the heartbeat last pinged it (it starts as if just pinged). */
  pingedAt = Date.now();
  lastActive = Date.now();
  /** Who connected (set by connection_init). */
  private principal: Principal = { name: anonymousName, role: undefined };
  readonly remoteAddress: string | undefined;
  /** Its place in the server's ConnectionRing. */
  slot = -1;
  private readonly initTimer: NodeJS.Timeout;

  constructor(
    readonly ws: WebSocket,
    private readonly server: ConnectionHost,
    request: IncomingMessage,
  ) {
    this.remoteAddress = request.socket.remoteAddress;
    // Our frames go straight to the TCP socket, framed here (src/server/live/wsFrame.ts): one
    // write per tick for all of them. `ws` keeps the handshake, parsing, pings and close.
    const raw = (ws as unknown as { _socket: Duplex & { writableLength: number } })._socket;
    const socket: OutboxSocket = {
      get buffered() {
        return ws.bufferedAmount;
      },
      write: (bytes) => {
        if (ws.readyState === WebSocket.OPEN) raw.write(bytes);
      },
      onDrain: (callback) => raw.once('drain', callback),
      closeTooSlow: (reason) => {
        server.logger.warn({ reason, subscriptions: this.operations.size }, 'closing a WebSocket that stopped reading');
        this.endOperations(); // its subscriptions end now, not when the peer gets round to the close
        ws.close(tooSlowCloseCode, reason.slice(0, 120));
        // A peer that does not read will not read the close either.
        setTimeout(() => ws.terminate(), 5_000).unref();
      },
    };
    this.outbox = new Outbox(socket, server.options.outbox);
    this.initTimer = setTimeout(() => {
      if (!this.initReceived) ws.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
    }, server.options.initTimeoutMs);
    ws.on('message', (data) => void this.onMessage(String(data)).catch((error: unknown) => this.internalError(error)));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.closed());
    ws.on('error', (error) => server.logger.debug({ err: error }, 'WebSocket error'));
  }

  private send(message: Parameters<typeof stringifyMessage>[0]): void {
    this.outbox.send(textFrame(Buffer.from(stringifyMessage(message))));
  }

  private async onMessage(text: string): Promise<void> {
    this.lastActive = Date.now();
    let message: ReturnType<typeof parseMessage>;
    try {
      message = parseMessage(text);
    } catch (error) {
      this.ws.close(CloseCode.BadRequest, (error as Error).message.slice(0, 120));
      return;
    }
    switch (message.type) {
      case MessageType.ConnectionInit: {
        if (this.initReceived) return this.ws.close(CloseCode.TooManyInitialisationRequests, 'Too many initialisation requests');
        this.initReceived = true;
        clearTimeout(this.initTimer);
        const payload = (message.payload ?? {}) as Record<string, unknown>;
        const authentication = authenticate(this.server.options.tokens, payload.authorization ?? payload.Authorization);
        if (!authentication.ok) return this.ws.close(forbiddenCloseCode, `Forbidden: ${authentication.reason}`);
        if (authentication.principal.role === undefined) return this.ws.close(unauthorizedCloseCode, 'Unauthorized: send {"authorization": "Bearer <token>"} in connection_init');
        this.principal = authentication.principal;
        this.acknowledged = true;
        this.outbox.send(ackFrame);
        return;
      }
      case MessageType.Ping:
        return this.send(message.payload ? { type: MessageType.Pong, payload: message.payload } : { type: MessageType.Pong });
      case MessageType.Pong:
        return;
      case MessageType.Subscribe:
        return this.subscribe(message);
      case MessageType.Complete: {
        const operation = this.operations.get(message.id);
        this.operations.delete(message.id);
        operation?.unsubscribe();
        this.release(message.id);
        return;
      }
      default:
        this.ws.close(CloseCode.BadRequest, `Unexpected message of type ${message.type}`);
    }
  }

  private async subscribe(message: SubscribeMessage): Promise<void> {
    const { id, payload } = message;
    if (!this.acknowledged) return this.ws.close(CloseCode.Unauthorized, 'Unauthorized');
    if (this.operations.has(id)) return this.ws.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
    const { options } = this.server;
    // Only a document that names a subscription can be one (the parse decides; this is the cheap first look).
    const subscription = typeof payload?.query === 'string' && /\bsubscription\b/.test(payload.query);
    if (subscription && this.operations.size - this.queriesInFlight >= options.maxSubscriptionsPerConnection) return this.refuseSubscription(id);
    // Work in flight is bounded per connection and per process; the excess is refused at once,
    // not queued (5,000 queries on one socket once stalled HTTP for 8 s).
    const perConnection = !subscription && this.queriesInFlight >= options.maxOperationsInFlight;
    if (perConnection || this.server.operationsInFlight >= options.maxOperationsInFlightTotal) {
      this.send({
        id,
        type: MessageType.Error,
        payload: [
          new GraphQLError(
            perConnection
              ? `This connection has ${options.maxOperationsInFlight} operations running already (SYNCBRIDGE_WS_MAX_OPERATIONS_IN_FLIGHT); wait for one to complete.`
              : 'The server is running as many WebSocket operations as it takes at once (SYNCBRIDGE_MAX_OPERATIONS_IN_FLIGHT); try again shortly.',
            { extensions: { code: 'TOO_MANY_OPERATIONS', limit: perConnection ? 'maxOperationsInFlight' : 'maxOperationsInFlightTotal' } },
          ).toJSON(),
        ],
      });
      return;
    }
    this.operations.set(id, null);
    if (!subscription) this.queriesInFlight += 1;
    this.server.operationsInFlight += 1;
    try {
      await this.start(id, payload);
    } finally {
      if (!subscription) this.queriesInFlight -= 1;
      this.server.operationsInFlight -= 1;
    }
  }

  private async start(id: string, payload: SubscribeMessage['payload']): Promise<void> {
    const { options } = this.server;
    const prepared = await prepareOperation(this.server.yoga, payload, { principal: this.principal, remoteAddress: this.remoteAddress }, options.limits);
    if (!this.operations.has(id)) return; // completed by the client meanwhile
    if (!('args' in prepared)) return this.fail(id, prepared);

    if (prepared.operation !== 'subscription') {
      const result = (await prepared.enveloped.execute(prepared.args)) as ExecutionResult;
      if (!this.operations.has(id)) return;
      this.operations.delete(id);
      this.send({ id, type: MessageType.Next, payload: result });
      this.send({ id, type: MessageType.Complete });
      return;
    }

    // this.operations already holds this one (and the queries in flight).
    if (this.operations.size - this.queriesInFlight > options.maxSubscriptionsPerConnection) return this.fail(id, [this.subscriptionLimitError()]);
    if (!options.budget.acquire()) return this.fail(id, [options.budget.fullError()]);
    this.budgeted.add(id);
    const prefix = Buffer.from(`{"id":${JSON.stringify(id)}`);
    this.prefixes.set(id, prefix);
    const subscription = await this.server.engine.subscribe(prepared.args, {
      next: (event: LiveEvent) => this.outbox.send([event.wsHeader(prefix.length), prefix, event.ws], id, event.key),
      error: (errors) => this.fail(id, errors),
      complete: () => {
        if (!this.operations.delete(id)) return;
        this.release(id);
        this.send({ id, type: MessageType.Complete });
      },
    });
    if (!('unsubscribe' in subscription)) return this.fail(id, subscription);
    if (!this.operations.has(id)) return subscription.unsubscribe(); // completed (or disconnected) meanwhile
    this.operations.set(id, subscription);
  }

  private subscriptionLimitError(): GraphQLError {
    const max = this.server.options.maxSubscriptionsPerConnection;
    return new GraphQLError(`This connection holds its maximum of ${max} subscriptions (SYNCBRIDGE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION); complete one first.`, {
      extensions: { code: 'SUBSCRIPTION_LIMIT', limit: 'maxSubscriptionsPerConnection', max },
    });
  }

  /** Refused before it was taken on: nothing to unsubscribe or release. */
  private refuseSubscription(id: string): void {
    this.send({ id, type: MessageType.Error, payload: [this.subscriptionLimitError().toJSON()] });
  }

  /** The operation ends with `errors` (graphql-ws `error` message). */
  private fail(id: string, errors: readonly GraphQLError[]): void {
    const had = this.operations.has(id);
    const operation = this.operations.get(id);
    this.operations.delete(id);
    operation?.unsubscribe();
    this.release(id);
    if (had) this.send({ id, type: MessageType.Error, payload: errors.map((error) => error.toJSON()) });
  }

  private release(id: string): void {
    this.prefixes.delete(id);
    if (this.budgeted.delete(id)) this.server.options.budget.release();
  }

  private internalError(error: unknown): void {
    this.server.logger.error({ err: error }, 'WebSocket message handling failed');
    this.ws.close(CloseCode.InternalServerError, 'Internal server error');
  }

  private endOperations(): void {
    for (const [id, operation] of this.operations) {
      operation?.unsubscribe();
      this.release(id);
    }
    this.operations.clear();
  }

  private closed(): void {
    clearTimeout(this.initTimer);
    this.outbox.drop();
    this.endOperations();
    this.server.forget(this);
  }
}
