/**
 * The WebSocket transport's own rules, over real sockets: the init deadline, heartbeats, the idle
 * timeout and the connection cap. Transport only, so on the embedded database alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from './helpers.js';

function open(app: TestApp, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = new WebSocket(app.url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws', options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

async function initialised(app: TestApp, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const socket = await open(app, options);
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await new Promise((resolve) => socket.once('message', resolve));
  return socket;
}

const closeOf = (socket: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

describe('WebSocket transport', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('sqlite', {
      SYNCBRIDGE_WS_INIT_TIMEOUT_SECONDS: '0.3',
      SYNCBRIDGE_WS_KEEPALIVE_SECONDS: '1',
      SYNCBRIDGE_WS_IDLE_TIMEOUT_SECONDS: '1',
      SYNCBRIDGE_WS_MAX_CONNECTIONS: '4',
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('closes a connection that does not initialise in time with 4408', async () => {
    const socket = await open(app);
    expect(await closeOf(socket)).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
  });

  it('terminates a peer that stops answering pings, and closes one without subscriptions once idle', async () => {
    const silent = await initialised(app, { autoPong: false });
    const idle = await initialised(app);
    const live = await initialised(app);
    // Subscribed, so that the idle timeout does not apply to them.
    for (const socket of [silent, live]) socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { metricsUpdated { totalJobs } }' } }));
    const [silentClosed, idleClosed] = await Promise.all([closeOf(silent), closeOf(idle)]);
    // Terminated without a close frame: the peer sees an abnormal closure.
    expect(silentClosed.code).toBe(1006);
    expect(idleClosed).toEqual({ code: 1000, reason: 'Idle' });
    // A connection with a subscription that answers pings stays, interval after interval.
    expect(live.readyState).toBe(WebSocket.OPEN);
    await new Promise<void>((resolve) => {
      let pings = 0;
      live.on('ping', () => ++pings === 3 && resolve());
    });
    expect(live.readyState).toBe(WebSocket.OPEN);
    live.terminate();
  });

  it('refuses connections past SYNCBRIDGE_WS_MAX_CONNECTIONS with 503', async () => {
    await expect.poll(() => app.live.websocket!.connectionCount).toBe(0);
    const held = await Promise.all(Array.from({ length: 4 }, () => initialised(app)));
    await expect(open(app)).rejects.toThrow('HTTP 503');
    held[0]!.terminate();
    await expect.poll(() => app.live.websocket!.connectionCount).toBe(3);
    const again = await open(app);
    for (const socket of [...held, again]) socket.terminate();
  });
});
