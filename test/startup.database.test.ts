/** Start-up when the database is not there (yet): wait and retry, or give up with one clear message. */
import { setTimeout as delay } from 'node:timers/promises';
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, pgServerUrl, providers, startServerProcess, type ServerProcess } from './helpers.js';
import { TcpProxy } from './faults.helpers.js';

/** A port nothing listens on (for now). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('start-up and the database', () => {
  it('gives up after the start-up wait with one clear message: exit 4, no stack, no password', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
      env: { ...process.env, PORT: '0', DATABASE_URL: `postgresql://syncbridge:s3cret@127.0.0.1:${port}/nowhere`, SYNCBRIDGE_DB_STARTUP_WAIT_SECONDS: '1' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(4);
    expect(result.stderr).toContain(`Cannot reach the database at postgresql://syncbridge:***@127.0.0.1:${port}/nowhere`);
    expect(result.stderr).toContain('SYNCBRIDGE_DB_STARTUP_WAIT_SECONDS');
    expect(result.stderr).not.toContain('s3cret');
    expect(result.stderr).not.toContain('    at ');
    // It did wait (and retry) before giving up.
    expect(Date.now() - started).toBeGreaterThan(1_000);
    expect(result.stdout).toContain('the database is not reachable yet; retrying');
  });

  it.skipIf(!providers.includes('postgresql'))('waits for a database that comes up after it starts', async () => {
    const database = await createTestDatabase('postgresql');
    const port = await freePort();
    const target = new URL(pgServerUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const url = new URL(database.url);
    url.host = `127.0.0.1:${port}`;
    // The database "comes up" a second after the service first found it unreachable (whenever
    // that is: a loaded machine takes seconds to start a process).
    let comingUp: Promise<void> | undefined;
    const bringUp = (entry: Record<string, unknown>) => {
      if (entry.msg === 'the database is not reachable yet; retrying') comingUp ??= delay(1_000).then(async () => void (await proxy.start(port)));
    };
    let server: ServerProcess | undefined;
    try {
      server = await startServerProcess({ DATABASE_URL: url.toString(), PORT: '0' }, bringUp);
      await comingUp;
      expect(server.logs.some((line) => line.msg === 'the database is not reachable yet; retrying')).toBe(true);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server?.stop();
      await comingUp;
      await proxy.stop();
      await database.drop();
    }
  });
});
