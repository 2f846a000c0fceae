/**
 * A process of live subscribers for `npm run bench:live`: LIVE_COUNT graphql-transport-ws
 * connections to LIVE_URL, each with one subscription (LIVE_QUERY). Lean on purpose (the `ws`
 * socket and JSON.parse, no client library) so that the two cores go to the server, not to us.
 *
 * Modes: `subscribe` records, per subscriber, every event's latency (now − the job's updatedAt,
 * which the server stamps before its commit) and the last status seen per job; `idle` holds
 * connections that subscribe to a quiet stream; `slow` subscribes (LIVE_SUBSCRIPTIONS_PER_CONNECTION
 * times) to everything and then stops reading its sockets.
 *
 * Talks over stdin/stdout: prints `READY` once every connection is acknowledged and subscribed;
 * `RESET` clears the figures (after a warm-up); `FINISH <file>` (the expected final status of each
 * job, JSON [[id, status], …]) prints `RESULT {…}` and exits.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

const url = process.env.LIVE_URL!.replace(/^http/, 'ws') + '/graphql';
const count = Number(process.env.LIVE_COUNT);
const mode = (process.env.LIVE_MODE ?? 'subscribe') as 'subscribe' | 'idle' | 'slow';
const query = process.env.LIVE_QUERY!;
/** Subscriptions each connection opens (all to LIVE_QUERY): a dashboard with several panels. */
const subscriptionsPerConnection = Number(process.env.LIVE_SUBSCRIPTIONS_PER_CONNECTION ?? 1);
/** Job ids run from 1 to at most this in one run (a fresh database or publisher per run). */
const maxJobId = Number(process.env.LIVE_MAX_JOB_ID ?? 10_000);

const statuses = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELED'];
const statusCode = new Map(statuses.map((status, index) => [status, index + 1]));
/** Latency histogram in whole milliseconds (the resolution of updatedAt). */
const histogramMs = 60_000;
/** LIVE_TRACE_LOSSES=1: what the first subscriber saw of each job, printed (stderr) for the jobs it lost. */
const traceLosses = process.env.LIVE_TRACE_LOSSES === '1';

class Subscriber {
  deliveries = 0;
  /** Last status seen per job id (0: none). */
  lastStatus = new Uint8Array(maxJobId + 1);
  closeCode: number | undefined;
  readonly ws: WebSocket;
  /** Statuses seen per job with their updatedAt and arrival time (LIVE_TRACE_LOSSES, first subscriber only). */
  trace: Map<number, string[]> | undefined;

  constructor(
    private readonly figures: Figures,
    onReady: () => void,
  ) {
    this.ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    this.ws.on('open', () => this.ws.send('{"type":"connection_init"}'));
    this.ws.on('close', (code) => (this.closeCode = code));
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string; payload?: { data?: { jobUpdated?: { id: string; status: string; updatedAt: string } }; errors?: unknown } };
      switch (message.type) {
        case 'next': {
          const job = message.payload?.data?.jobUpdated;
          if (!job) {
            if (message.payload?.errors) figures.errors += 1;
            return;
          }
          const now = Date.now();
          this.deliveries += 1;
          this.lastStatus[Number(job.id)] = statusCode.get(job.status) ?? 0;
          if (this.trace) {
            const seen = this.trace.get(Number(job.id)) ?? [];
            seen.push(`${job.status}@${job.updatedAt.slice(17)} (+${now - Date.parse(job.updatedAt)} ms)`);
            this.trace.set(Number(job.id), seen);
          }
          figures.record(now, now - Date.parse(job.updatedAt));
          return;
        }
        case 'connection_ack':
          for (let id = 1; id <= subscriptionsPerConnection; id++) this.ws.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query } }));
          // The server holds the subscription a moment later; the orchestrator waits for its count.
          onReady();
          return;
        case 'ping':
          this.ws.send('{"type":"pong"}');
          return;
        case 'error':
          figures.errors += 1;
          return;
      }
    });
  }

  reset(): void {
    this.deliveries = 0;
    this.lastStatus.fill(0);
    this.trace?.clear();
  }
}

class Figures {
  histogram = new Uint32Array(histogramMs + 1);
  firstAt = 0;
  lastAt = 0;
  errors = 0;

  record(now: number, latencyMs: number): void {
    this.histogram[Math.max(0, Math.min(histogramMs, latencyMs))]! += 1;
    if (!this.firstAt) this.firstAt = now;
    this.lastAt = now;
  }

  reset(): void {
    this.histogram.fill(0);
    this.firstAt = 0;
    this.lastAt = 0;
    this.errors = 0;
  }
}

const figures = new Figures();
const subscribers: Subscriber[] = [];
let ready = 0;
const cpuAtStart = process.cpuUsage();
let cpuFrom = cpuAtStart;
let cpuFromAt = Date.now();

// Connect in waves: ten thousand simultaneous handshakes would overflow the server's accept queue.
for (let i = 0; i < count; i += 250) {
  const wave = Math.min(250, count - i);
  await new Promise<void>((resolve) => {
    let acknowledged = 0;
    for (let k = 0; k < wave; k++) {
      subscribers.push(
        new Subscriber(figures, () => {
          ready += 1;
          if (++acknowledged === wave) resolve();
        }),
      );
    }
  });
}
if (traceLosses && subscribers[0]) subscribers[0].trace = new Map();
if (mode === 'slow') {
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const subscriber of subscribers) (subscriber.ws as unknown as { _socket: { pause(): void } })._socket.pause();
}
console.log(`READY ${ready}`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'RESET') {
    for (const subscriber of subscribers) subscriber.reset();
    figures.reset();
    cpuFrom = process.cpuUsage();
    cpuFromAt = Date.now();
    console.log('RESET');
    return;
  }
  if (line.startsWith('FINISH ')) void finish(line.slice(7));
});

async function finish(expectedFile: string): Promise<void> {
  const cpu = process.cpuUsage(cpuFrom);
  const cpuSeconds = (Date.now() - cpuFromAt) / 1000;
  if (mode === 'slow') {
    // Read again: a closed connection now shows its close code.
    for (const subscriber of subscribers) (subscriber.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  if (mode === 'subscribe') {
    // Deliveries still arriving are late, not lost (their lateness is in the histogram): wait
    // until these connections fall quiet, for at most 30 s.
    const waitFrom = Date.now();
    while (figures.lastAt && Date.now() - figures.lastAt < 1_500 && Date.now() - waitFrom < 30_000) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as [number, string][];
  let lostFinals = 0;
  let subscribersWithLoss = 0;
  const deliveries = subscribers.map((subscriber) => subscriber.deliveries);
  if (mode === 'subscribe') {
    for (const subscriber of subscribers) {
      let lost = 0;
      for (const [id, status] of expected) {
        if (subscriber.lastStatus[id] === statusCode.get(status)) continue;
        lost += 1;
        if (subscriber.trace && lost <= 20) console.error(`lost job ${id}: final ${status}; seen ${(subscriber.trace.get(id) ?? []).join(' → ') || 'nothing'}`);
      }
      lostFinals += lost;
      if (lost) subscribersWithLoss += 1;
    }
  }
  const histogram: [number, number][] = [];
  figures.histogram.forEach((n, ms) => n && histogram.push([ms, n]));
  const closes: Record<string, number> = {};
  for (const subscriber of subscribers) {
    const key = subscriber.closeCode === undefined ? 'open' : String(subscriber.closeCode);
    closes[key] = (closes[key] ?? 0) + 1;
  }
  console.log(
    `RESULT ${JSON.stringify({
      subscribers: subscribers.length,
      histogram,
      firstAt: figures.firstAt,
      lastAt: figures.lastAt,
      deliveries: deliveries.reduce((a, b) => a + b, 0),
      minDeliveries: Math.min(...deliveries),
      lostFinals,
      subscribersWithLoss,
      errors: figures.errors,
      closes,
      cpuCores: (cpu.user + cpu.system) / 1e6 / cpuSeconds,
      rssMb: process.memoryUsage().rss / 1024 / 1024,
    })}`,
  );
  for (const subscriber of subscribers) subscriber.ws.terminate();
  process.exit(0);
}
