/**
 * GraphQL over WebSocket (the graphql-transport-ws protocol, graphql-ws's message parsing and
 * close codes) on the HTTP server's own port and path. Subscriptions run through the LiveEngine:
 * one execution per event for all identical subscriptions, and a `next` message that is the
 * event's bytes after each subscriber's own id (spliced, not re-serialized). Queries and mutations
 * run through Yoga's envelop, like HTTP.
 *
 * Bounded per connection: messages (maxPayload), subscriptions, a queue of waiting frames (then
 * compaction, then close), an init deadline; per process: connections (503 at the upgrade) and
 * subscriptions (with SSE). Heartbeats: one sweep pings every socket and drops those that did
 * not answer the last ping, and closes connections idle (no subscription) for too long.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType, parseMessage, stringifyMessage, type SubscribeMessage } from 'graphql-ws';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { GraphQLLimits } from '../../config/index.js';
import type { SubscriptionBudget } from '../subscriptionBudget.js';
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

const heartbeatTickMs = 100;

class Connection {
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
    private readonly server: LiveWebSocketServer,
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
    this.server.connections.delete(this);
  }
}

/** The open connections, in an array so that the heartbeat can take them a slice at a time. */
class ConnectionRing {
  private readonly items: Connection[] = [];
  private cursor = 0;

  get size(): number {
    return this.items.length;
  }

  add(connection: Connection): void {
    connection.slot = this.items.length;
    this.items.push(connection);
  }

  delete(connection: Connection): void {
    const slot = connection.slot;
    if (slot < 0 || this.items[slot] !== connection) return;
    const last = this.items.pop()!;
    if (last !== connection) {
      this.items[slot] = last;
      last.slot = slot;
    }
    connection.slot = -1;
  }

  /** The next `count` connections round the ring (each at most once). */
  next(count: number): Connection[] {
    const taken: Connection[] = [];
    for (let k = 0; k < Math.min(count, this.items.length); k++) {
      if (this.cursor >= this.items.length) this.cursor = 0;
      taken.push(this.items[this.cursor++]!);
    }
    return taken;
  }

  [Symbol.iterator](): Iterator<Connection> {
    return this.items[Symbol.iterator]();
  }
}

export class LiveWebSocketServer {
  readonly wss: WebSocketServer;
  readonly connections = new ConnectionRing();
  /** Operations in flight over every connection (bounded by maxOperationsInFlightTotal). */
  operationsInFlight = 0;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    httpServer: Server,
    readonly yoga: Yoga,
    readonly engine: LiveEngine,
    readonly logger: Logger,
    readonly options: WebSocketOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(GRAPHQL_TRANSPORT_WS_PROTOCOL) ? GRAPHQL_TRANSPORT_WS_PROTOCOL : false),
    });
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
    this.wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
      if (ws.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
        ws.close(CloseCode.SubprotocolNotAcceptable, 'Subprotocol not acceptable');
        return;
      }
      this.connections.add(new Connection(ws, this, request));
    });
    // One timer for every connection: heartbeats and idle connections.
    this.sweep = setInterval(() => this.heartbeat(), Math.min(heartbeatTickMs, options.keepAliveMs));
    this.sweep.unref();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!this.originAllowed(request)) {
      this.logger.warn({ origin: request.headers.origin }, 'refusing WebSocket from another site');
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    if (this.wss.clients.size >= this.options.maxConnections) {
      this.logger.warn({ connections: this.wss.clients.size }, 'refusing WebSocket: connection limit reached');
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  /**
   * A browser page may connect only from this server's own origin (or an allowed one): another
   * site must not subscribe with the visitor's network position. Non-browser clients send no
   * Origin and are judged by their token.
   */
  private originAllowed(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (!origin) return true;
    if (this.options.allowedOrigins.includes(origin.replace(/\/+$/, ''))) return true;
    try {
      return new URL(origin).host === request.headers.host;
    } catch {
      return false;
    }
  }

  /**
   * Visits the next slice of connections, so that each is visited once per keep-alive interval:
   * ten thousand pings (and their pongs) spread over the interval instead of one burst that would
   * stall every request in flight.
   */
  private heartbeat(): void {
    const now = Date.now();
    const { keepAliveMs, idleTimeoutMs } = this.options;
    const slice = Math.ceil((this.connections.size * heartbeatTickMs) / keepAliveMs);
    for (const connection of this.connections.next(slice)) {
      // A connection may come round early when others left meanwhile: only judge it once an interval.
      if (now - connection.pingedAt < keepAliveMs * 0.9) continue;
      if (!connection.alive) {
        connection.ws.terminate(); // did not answer the last ping
        continue;
      }
      if (idleTimeoutMs && !connection.operations.size && connection.lastActive < now - idleTimeoutMs) {
        connection.ws.close(1000, 'Idle');
        continue;
      }
      connection.alive = false;
      connection.pingedAt = now;
      connection.ws.ping();
    }
  }

  get connectionCount(): number {
    return this.wss.clients.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    for (const client of this.wss.clients) client.close(1001, 'Server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    for (const client of this.wss.clients) client.terminate();
  }
}
