/**
 * Opens the database named by DATABASE_URL: picks the dialect, applies pending migrations, then
 * opens the Prisma client generated for that provider (the API's reads and one-off writes) and
 * the dialect's hot path (the statements that run per job).
 */
import type { Config } from '../config/index.js';
import { applyMigrations, pendingMigrations } from './migrations.js';
import { dialectFor, type ClientOptions, type Dialect, type DialectModule } from './dialects/index.js';
import type { Db } from './types.js';

export type { Db, Job, Attempt } from './types.js';

export interface Database {
  db: Db;
  dialect: Dialect;
  module: DialectModule;
  /** Migrations applied by this open (empty when the database was current). */
  appliedMigrations: string[];
  close(): Promise<void>;
}

export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'databaseProvider'>, options: ClientOptions = {}): Promise<Database> {
  const module = await dialectFor(config.databaseProvider);
  let db = await module.openClient(config.databaseUrl, options);
  let appliedMigrations: string[] = [];
  if ((await pendingMigrations(module.provider, db)).length) {
    // The schema engine migrates over its own connection; on SQLite ours would hold the lock it needs.
    await db.$disconnect();
    appliedMigrations = await applyMigrations(module.provider, module.adapterFactory(config.databaseUrl));
    db = await module.openClient(config.databaseUrl, options);
  }
  await module.prepareClient(db);
  const dialect = await module.open(config.databaseUrl);
  return {
    db,
    dialect,
    module,
    appliedMigrations,
    close: async () => {
      await dialect.close();
      await db.$disconnect();
    },
  };
}

/** Calls `listener` with every SQL statement the client runs; needs `queryEvents` at open. */
export function onQuery(db: Db, listener: (sql: string) => void): void {
  (db as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on('query', (event) => listener(event.query));
}
