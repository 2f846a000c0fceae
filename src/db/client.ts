/**
 * Opens the database named by DATABASE_URL: picks the dialect, applies pending migrations, then
 * opens Prisma (the one-off writes and rarer reads) and the ports (src/db/ports.ts) the rest of
 * the code base reaches the database through.
 */
import type { Config } from '../config/index.js';
import { applyMigrations, pendingMigrations } from './migrations.js';
import { dialectFor, type ClientOptions, type DialectModule, type OpenedDatabase } from './dialect.js';

import type { Db } from './types.js';

export type { Db, Job, Attempt } from './types.js';
export type { ClientOptions } from './dialect.js';

export interface Database extends OpenedDatabase {
  module: DialectModule;
  /** Migrations applied by this open (empty when the database was current). */
  appliedMigrations: string[];
}

export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'databaseProvider'>, options: ClientOptions = {}): Promise<Database> {
  const module = await dialectFor(config.databaseProvider);
  const check = await module.openClient(config.databaseUrl, options);
  let pending: string[];
  try {
    pending = await pendingMigrations(module.provider, check);
  } finally {
    // The schema engine migrates over its own connection; on SQLite ours would hold the lock it needs.
    await check.$disconnect();
  }
  const appliedMigrations = pending.length ? await applyMigrations(module.provider, module.adapterFactory(config.databaseUrl)) : [];
  const opened = await module.open(config.databaseUrl, options);
  return { ...opened, module, appliedMigrations };
}

/** The database could not be reached within the start-up wait. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.startsWith('file:') ? url : '(unparsable URL)';
  }
}

/**
 * Waits until the database answers (a server starting alongside us, a restart in progress),
 * retrying with backoff for up to `waitMs`; then gives up with one clear message.
 */
export async function waitForDatabase(
  config: Pick<Config, 'databaseUrl' | 'databaseProvider'>,
  options: ClientOptions & { waitMs: number; onRetry?(error: Error, delayMs: number): void },
): Promise<void> {
  const module = await dialectFor(config.databaseProvider);
  if (!module.probe) return;
  const deadline = Date.now() + options.waitMs;
  for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 5_000)) {
    try {
      await module.probe(config.databaseUrl, options);
      return;
    } catch (error) {
      const reason = (error as Error).message || String(error);
      if (Date.now() + delayMs > deadline) {
        throw new DatabaseUnreachableError(
          `Cannot reach the database at ${redactedUrl(config.databaseUrl)}: ${reason}. Is it running, and does DATABASE_URL point at it? ` +
            `(waited ${Math.round(options.waitMs / 1000)} s, SYNCBRIDGE_DB_STARTUP_WAIT_SECONDS)`,
        );
      }
      options.onRetry?.(error as Error, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** Calls `listener` with every SQL statement the client runs; needs `queryEvents` at open. */
export function onQuery(db: Db, listener: (sql: string) => void): void {
  (db as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void }).$on('query', (event) => listener(event.query));
}
