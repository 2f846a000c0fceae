/**
 * GraphQL over WebSocket on the HTTP server's own port and path (each connection: connection.ts).
 * Per process: connections (503 at the upgrade), origins (403 for another site's page), and
 * subscriptions (with SSE). Heartbeats: one sweep pings every socket and drops those that did not
 * answer the last ping, and closes connections idle (no subscription) for too long.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { LiveEngine } from './engine.js';
import type { Yoga } from './operation.js';
import { Connection, type ConnectionHost, type WebSocketOptions } from './connection.js';

export { forbiddenCloseCode, tooSlowCloseCode, unauthorizedCloseCode, type WebSocketOptions } from './connection.js';

const heartbeatTickMs = 100;

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

export class LiveWebSocketServer implements ConnectionHost {
  readonly wss: WebSocketServer;
  readonly connections = new ConnectionRing();
  /** Operations in flight over every connection (bounded by maxOperationsInFlightTotal). */
  operationsInFlight = 0;
  private readonly sweep: NodeJS.Timeout;

  constructor(
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

  /** Takes the WebSocket upgrades of this HTTP server (on /graphql). */
  attach(httpServer: Server): void {
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
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
