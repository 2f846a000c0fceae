/**
 * One LISTEN session per process for every channel (wake-ups, live events): LISTEN needs a
 * connection the pool will not hand to queries. When it drops (a PostgreSQL restart, a network
 * cut) it reconnects with backoff (0.1 s doubling to 5 s) and listens again, and tells each
 * channel's owner, which then makes up for what it may have missed (a worker claims at once).
 * Until then `healthy` is false, which /readyz reports.
 */
import pg from 'pg';

interface Channel {
  handlers: Set<(payload: string) => void>;
  reconnects: Set<(lostAt: Date) => void>;
}

export class PgListener {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly channels = new Map<string, Channel>();
  private readonly errorHandlers = new Set<(error: Error) => void>();
  private retryMs = 100;
  /** When the session was lost (notifications may have been missed since). */
  private lostAt = new Date();
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Connected and listening on every channel. */
  healthy = false;

  /** Nothing to listen for (no channel asked): not a failure. */
  get idle(): boolean {
    return this.channels.size === 0;
  }
  /** Times the session was lost and established again. */
  reconnections = 0;

  constructor(private readonly url: string) {}

  onError(handler: (error: Error) => void): void {
    this.errorHandlers.add(handler);
  }

  /** Listens on `channel`; returns a function that stops. `onReconnect` runs after each reconnection, told when the session was lost. */
  async listen(channel: string, onMessage: (payload: string) => void, onReconnect?: (lostAt: Date) => void): Promise<() => Promise<void>> {
    let entry = this.channels.get(channel);
    const first = !entry;
    if (!entry) this.channels.set(channel, (entry = { handlers: new Set(), reconnects: new Set() }));
    entry.handlers.add(onMessage);
    if (onReconnect) entry.reconnects.add(onReconnect);
    await this.ensureConnected();
    if (first && this.client) await this.client.query(`LISTEN ${channel}`);
    return async () => {
      entry.handlers.delete(onMessage);
      if (onReconnect) entry.reconnects.delete(onReconnect);
      if (entry.handlers.size) return;
      this.channels.delete(channel);
      await this.client?.query(`UNLISTEN ${channel}`).catch(() => {});
    };
  }

  private ensureConnected(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000, keepAlive: true });
    client.on('notification', (message) => {
      const entry = this.channels.get(message.channel);
      if (entry) for (const handler of entry.handlers) handler(message.payload ?? '');
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('LISTEN connection ended')));
    await client.connect();
    for (const channel of this.channels.keys()) await client.query(`LISTEN ${channel}`);
    this.client = client;
    this.healthy = true;
    this.retryMs = 100;
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.healthy = false;
    this.lostAt = new Date();
    void client.end().catch(() => {});
    if (this.closed) return;
    for (const handler of this.errorHandlers) handler(error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensureConnected().then(
        () => {
          this.reconnections += 1;
          for (const entry of this.channels.values()) for (const reconnected of entry.reconnects) reconnected(this.lostAt);
        },
        (error: Error) => {
          for (const handler of this.errorHandlers) handler(error);
          this.retryMs = Math.min(5_000, this.retryMs * 2);
          this.scheduleReconnect();
        },
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.healthy = false;
    await client?.end().catch(() => {});
  }
}
