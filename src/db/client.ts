/**
 * Opens the database named by DATABASE_URL: picks the dialect, applies pending migrations, then
 * opens the Prisma client generated for that provider. Both generated clients share one model
 * source (prisma/models.prisma), so the rest of the code types against the SQLite one.
 */
import type { Config } from '../config/index.js';
import type { PrismaClient as SqlitePrismaClient } from './generated/sqlite/client.js';
import { applyMigrations, pendingMigrations } from './migrations.js';
import { dialectFor, type ClientOptions, type Dialect } from './dialects/index.js';

export type Db = SqlitePrismaClient;
export type { Job, Attempt } from './generated/sqlite/client.js';

export interface Database {
  db: Db;
  dialect: Dialect;
  /** Migrations applied by this open (empty when the database was current). */
  appliedMigrations: string[];
  close(): Promise<void>;
}

export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'databaseProvider'>, options: ClientOptions = {}): Promise<Database> {
  const dialect = await dialectFor(config.databaseProvider);
  let db = await dialect.openClient(config.databaseUrl, options);
  let appliedMigrations: string[] = [];
  if ((await pendingMigrations(dialect.provider, db)).length) {
    // The schema engine migrates over its own connection; on SQLite ours would hold the lock it needs.
    await db.$disconnect();
    appliedMigrations = await applyMigrations(dialect.provider, dialect.adapterFactory(config.databaseUrl));
    db = await dialect.openClient(config.databaseUrl, options);
  }
  await dialect.prepareConnection(db);
  return {
    db,
    dialect,
    appliedMigrations,
    close: async () => {
      await db.$disconnect();
    },
  };
}

/** Calls `listener` with every SQL statement the client runs; needs `queryEvents` at open. */
export function onQuery(db: Db, listener: (sql: string) => void): void {
  (db as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on('query', (event) => listener(event.query));
}
