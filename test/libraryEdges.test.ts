/**
 * Where SyncBridge reaches past a library's public API for speed, a contract test that fails by
 * name when the library changes underneath (each place says why it reaches, and what it saved):
 * - WebSocket frames written straight to `ws`'s TCP socket (src/server/subscriptions/connection.ts);
 * - the statement cache patched into Prisma's better-sqlite3 adapter (src/db/sqlite/statementCache.ts);
 * - PostgreSQL array literals built by hand (src/db/postgres/arrays.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { pgArray } from '../src/db/postgres/arrays.js';
import { cachingAdapterFactory, checkedAdapterVersion } from '../src/db/sqlite/statementCache.js';
import { PrismaClient } from '../src/db/generated/sqlite/client.js';
import { textFrame } from '../src/server/subscriptions/wsFrame.js';
import { applyMigrations } from '../src/db/migrations.js';
import { createTestDatabase, pgServerUrl, providers } from './helpers.js';

/** A package's installed version (from its directory: not every package exports its package.json). */
const versionOf = (name: string) => (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;

describe('library edge: ws', () => {
  it(`a server-side WebSocket of ws ${versionOf('ws')} exposes its TCP socket as _socket, and frames written there reach a stock ws client intact`, async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const received = new Promise<string[]>((resolve) => {
        const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
        const messages: string[] = [];
        client.on('message', (data) => {
          messages.push(String(data));
          if (messages.length === 3) {
            client.close();
            resolve(messages);
          }
        });
      });
      const [server] = (await new Promise<[WebSocket]>((resolve) => wss.once('connection', (socket) => resolve([socket])))) as [WebSocket];
      const raw = (server as unknown as { _socket?: Socket })._socket;
      expect(raw, 'ws no longer exposes _socket: connection.ts must write frames through ws.send').toBeDefined();
      expect(typeof raw!.write).toBe('function');
      // Three frames in one write (as the outbox does): small, 126-byte-length and 64 KiB+ payloads.
      const payloads = ['{"a":1}', 'x'.repeat(300), 'y'.repeat(70_000)];
      raw!.write(Buffer.concat(payloads.flatMap((payload) => textFrame(Buffer.from(payload)))));
      expect(await received).toEqual(payloads);
    } finally {
      wss.close();
      http.close();
    }
  });
});

describe('library edge: Prisma better-sqlite3 adapter', () => {
  it(`@prisma/adapter-better-sqlite3 is the version the statement cache was checked against (${checkedAdapterVersion})`, () => {
    // On an upgrade: read the adapter's use of its client (dist/index.mjs: prepare, bind, reader,
    // columns, raw().all, run) against src/db/sqlite/statementCache.ts, then update the version.
    expect(versionOf('@prisma/adapter-better-sqlite3')).toBe(checkedAdapterVersion);
    const source = readFileSync('node_modules/@prisma/adapter-better-sqlite3/dist/index.mjs', 'utf8');
    for (const call of ['this.client.prepare(query.sql).bind(args)', 'stmt.reader', 'stmt.columns()', 'stmt.raw().all()', 'stmt.run()']) expect(source, call).toContain(call);
  });

  it('queries through the patched adapter answer as before, each distinct statement prepared once', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const file = database.url.replace(/^file:/, '');
      await applyMigrations('sqlite', new PrismaBetterSqlite3({ url: file }));
      let hits = () => 0;
      const adapter = cachingAdapterFactory(new PrismaBetterSqlite3({ url: file }, { timestampFormat: 'unixepoch-ms' }), (cache) => (hits = cache.hits));
      const db = new PrismaClient({ adapter });
      try {
        const now = new Date();
        for (let i = 0; i < 3; i++) {
          await db.jobTypeState.upsert({
            where: { jobType: 'edge' },
            create: { jobType: 'edge', paused: i % 2 === 0, updatedAt: now },
            update: { paused: i % 2 === 0, updatedAt: now },
          });
          expect(await db.jobTypeState.findUnique({ where: { jobType: 'edge' } })).toMatchObject({ jobType: 'edge', paused: i % 2 === 0 });
        }
        expect(await db.jobTypeState.count()).toBe(1);
        expect(hits()).toBeGreaterThan(0);
      } finally {
        await db.$disconnect();
      }
      const check = new Database(file, { readonly: true });
      expect(check.prepare('SELECT paused FROM JobTypeState').get()).toEqual({ paused: 1 });
      check.close();
    } finally {
      await database.drop();
    }
  });
});

describe.skipIf(!providers.includes('postgresql'))('library edge: PostgreSQL array literals', () => {
  it('every awkward value survives the round trip through the server, as node-postgres would send it', async () => {
    const client = new pg.Client({ connectionString: pgServerUrl });
    await client.connect();
    try {
      const texts = ['', 'NULL', 'null', '"', '\\', '\\"', 'a,b', '{x}', ' lead', 'trail ', 'ünïcödé ✓', '\u{10FFFF}', 'line\nbreak', "it's", null];
      const { rows } = await client.query<{ a: (string | null)[] }>('SELECT $1::text[] AS a', [pgArray.texts(texts)]);
      expect(rows[0]!.a).toEqual(texts);
      const ours = await client.query<{ a: (string | null)[] }>('SELECT $1::text[] AS a', [texts]);
      expect(rows[0]!.a).toEqual(ours.rows[0]!.a);
      const numbers = [0, -1, 2_147_483_647, null];
      expect((await client.query<{ a: (number | null)[] }>('SELECT $1::int[] AS a', [pgArray.numbers(numbers)])).rows[0]!.a).toEqual(numbers);
      expect((await client.query<{ a: boolean[] }>('SELECT $1::bool[] AS a', [pgArray.booleans([true, false])])).rows[0]!.a).toEqual([true, false]);
      const times = [new Date('2026-12-07T10:00:00.123Z'), null];
      const back = (
        await client.query<{ a: (string | null)[] }>(`SELECT array(SELECT to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM unnest($1::timestamp[]) AS t) AS a`, [
          pgArray.times(times),
        ])
      ).rows[0]!.a;
      expect(back).toEqual(['2026-12-07T10:00:00.123Z', null]);
    } finally {
      await client.end();
    }
  });
});
