/**
 * A database provider as the rest of src/db sees it: how Prisma reaches it (migrations, the
 * client) and how its ports are opened. The one place that picks a provider by name.
 */
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseProvider } from '../config/index.js';
import type { JobReads, JobStore, PaceStore, Signals, StoreCapabilities } from './ports.js';
import type { Db } from './types.js';

export interface ClientOptions {
  /** Emit Prisma `query` events (statement counting in tests and benchmarks). */
  queryEvents?: boolean;
  /** PostgreSQL: a statement running longer is canceled by the server. */
  statementTimeoutMs?: number;
  /** PostgreSQL: connecting (TCP and authentication) longer fails the attempt. */
  connectTimeoutMs?: number;
}

/** An open database: Prisma for the one-off writes and rarer reads, and the ports for the rest. */
export interface OpenedDatabase {
  db: Db;
  jobs: JobStore;
  reads: JobReads;
  pace: PaceStore;
  signals: Signals;
  capabilities: StoreCapabilities;
  close(): Promise<void>;
}

export interface DialectModule {
  readonly provider: DatabaseProvider;
  /** What the schema engine migrates through. */
  adapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory;
  /** A Prisma client alone (the migration check before anything else opens). */
  openClient(url: string, options?: ClientOptions): Promise<Db>;
  /** Everything, once the schema is current (the ports prepare their statements at open). */
  open(url: string, options?: ClientOptions): Promise<OpenedDatabase>;
  /** Connects once and lets go: throws if the server cannot be reached (none for an embedded database). */
  probe?(url: string, options?: ClientOptions): Promise<void>;
}

export async function dialectFor(provider: DatabaseProvider): Promise<DialectModule> {
  return provider === 'sqlite' ? (await import('./sqlite/index.js')).sqlite : (await import('./postgres/index.js')).postgres;
}

/** Observers of the statements a database's ports run. */
export function statementObservers() {
  const observers = new Set<(name: string) => void>();
  return {
    observe: (name: string) => {
      if (observers.size) for (const observer of observers) observer(name);
    },
    onStatement: (observer: (name: string) => void) => {
      observers.add(observer);
      return () => void observers.delete(observer);
    },
  };
}
