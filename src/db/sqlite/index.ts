/**
 * SQLite: the embedded default. Limits, up front: one machine and one database file; several
 * processes may share it (WAL, busy retries) but wake-ups and live events do not cross processes,
 * so another process sees new jobs at its poll interval.
 *
 * Two connections: Prisma's (the one-off writes, the rarer reads) and the ports' own
 * better-sqlite3 connection, every statement prepared once (statements.ts). Times are stored as
 * integer milliseconds since the epoch (Prisma's adapter option `unixepoch-ms`), which keeps
 * comparisons in SQL numeric and rows cheap to read.
 */
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import { PrismaClient } from '../generated/sqlite/client.js';
import type { Db } from '../types.js';
import { statementObservers, type ClientOptions, type DialectModule, type OpenedDatabase } from '../dialect.js';
import { prepareAll, SqliteJobStore } from './jobStore.js';
import { sqliteJobReads } from './jobReads.js';
import { sqlitePaceStore } from './paceStore.js';
import { cachingAdapterFactory } from './statementCache.js';

function sqliteFile(url: string): string {
  return url.replace(/^file:/, '');
}

const adapterFactory = (url: string) => new PrismaBetterSqlite3({ url: sqliteFile(url), timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' });

function openClient(url: string, options: ClientOptions = {}): Db {
  return new PrismaClient({ adapter: cachingAdapterFactory(adapterFactory(url)), log: options.queryEvents ? [{ emit: 'event', level: 'query' }] : [] }) as unknown as Db;
}

async function open(url: string, options: ClientOptions = {}): Promise<OpenedDatabase> {
  const db = openClient(url, options);
  // WAL lets readers (GraphQL) proceed while the worker writes; NORMAL sync is durable across
  // process crashes in WAL mode (only an OS crash can lose the last commits).
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await db.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  await db.$queryRawUnsafe('PRAGMA busy_timeout = 10000');
  const connection = new Database(sqliteFile(url));
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 0'); // see jobStore.ts: never block this thread on a lock
  const prepared = prepareAll(connection);
  const { observe, onStatement } = statementObservers();
  return {
    db,
    jobs: new SqliteJobStore(connection, prepared, observe),
    reads: sqliteJobReads(connection, prepared, observe),
    pace: sqlitePaceStore(prepared, observe),
    // One machine: no cross-process signal; other processes find new jobs at their poll.
    signals: { health: () => ({}) },
    capabilities: { provider: 'sqlite', concurrentWrites: 1, bulkConcurrency: 1, enqueueInCallerTransaction: false, onStatement },
    async close() {
      connection.close();
      await db.$disconnect();
    },
  };
}

export const sqlite: DialectModule = {
  provider: 'sqlite',
  adapterFactory,
  openClient: async (url, options) => openClient(url, options),
  open,
};
