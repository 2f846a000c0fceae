/**
 * Real faults for the fault suite: a TCP proxy in front of PostgreSQL that the test can cut (a
 * restart: every connection dropped) or take down for a while (an outage: connections refused),
 * and a stub CRM/Billing over real HTTP that counts every Billing write, answers after a delay,
 * and can drip its answers a byte at a time.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** While set, what the server sends is dropped: requests arrive and commit, their answers are lost. */
  private swallowing = false;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((client) => {
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.on('data', (data: Buffer) => {
        if (!this.swallowing) client.write(data);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** `url` (a PostgreSQL URL) through this proxy. */
  via(url: string): string {
    const parsed = new URL(url);
    parsed.host = `127.0.0.1:${this.port}`;
    return parsed.toString();
  }

  /**
   * A network cut after the request went through: the server gets every statement (and commits),
   * the client never hears back, until `cut()` drops the connections.
   */
  swallowAnswers(): void {
    this.swallowing = true;
  }

  /** What a server restart looks like from the clients: every connection drops at once. */
  cut(): void {
    this.swallowing = false;
    for (const socket of this.sockets) socket.destroy();
  }

  /** An outage: connections dropped, new ones refused, for `ms`. */
  async down(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server!.close(() => resolve());
      this.cut();
    });
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server?.listening ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * CRM and Billing over HTTP: every customer exists; every Billing write is counted per
 * external id (a count above one is a success that ran twice). Ids starting with `drip` answer
 * with headers at once and then a byte every 100 ms: never idle long enough for an idle timeout.
 */
export class StubUpstream {
  private server: HttpServer | undefined;
  readonly billingWrites = new Map<string, number>();
  url = '';
  private readonly dripping = new Set<ServerResponse>();

  constructor(private readonly delayMs = 0) {}

  async start(): Promise<this> {
    this.server = createHttpServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get crmUrl(): string {
    return `${this.url}/crm`;
  }

  get billingUrl(): string {
    return `${this.url}/billing`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const crm = /^\/crm\/customers\/([^/]+)$/.exec(req.url ?? '');
    const id = crm ? decodeURIComponent(crm[1]!) : undefined;
    // Padded so that dripping it takes a minute.
    if (id?.startsWith('drip')) return this.drip(res, JSON.stringify({ id, email: `${id}@example.com`, name: id, note: ' '.repeat(600) }));
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (id) return send(res, 200, { id, email: `${id}@example.com`, name: id });
    if (req.method === 'POST' && req.url === '/billing/customers') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { external_id: string };
      this.billingWrites.set(body.external_id, (this.billingWrites.get(body.external_id) ?? 0) + 1);
      return send(res, 200, { id: `b_${body.external_id}`, ...body });
    }
    send(res, 404, { error: 'not_found' });
  }

  private drip(res: ServerResponse, body: string): void {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    this.dripping.add(res);
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent >= body.length) {
        clearInterval(timer);
        this.dripping.delete(res);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(body[sent++]);
    }, 100);
    res.on('close', () => clearInterval(timer));
  }

  /** Successes that ran more than once: their external ids. */
  get duplicateWrites(): string[] {
    return [...this.billingWrites].filter(([, count]) => count > 1).map(([id]) => id);
  }

  async stop(): Promise<void> {
    for (const res of this.dripping) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
