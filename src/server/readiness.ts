/**
 * What /readyz answers: ready when the database answers, no migration is pending, and every
 * connection the process needs beyond queries (the LISTEN session, the live transport) is up.
 */
import type { Database } from '../db/client.js';
import { pendingMigrations } from '../db/migrations.js';
import type { LiveTransport } from '../live/transport.js';

export interface Readiness {
  ready: boolean;
  detail: Record<string, unknown>;
}

export function readinessCheck(database: Database, transport: LiveTransport | undefined): () => Promise<Readiness> {
  return async () => {
    try {
      await database.db.job.count({ take: 1 });
      const pending = await pendingMigrations(database.dialect.provider, database.db);
      const connections = { ...database.dialect.health(), ...(transport ? { liveEvents: transport.healthy() } : {}) };
      const healthy = Object.values(connections).every(Boolean);
      return { ready: pending.length === 0 && healthy, detail: { database: 'ok', pendingMigrations: pending, connections } };
    } catch (error) {
      return { ready: false, detail: { database: (error as Error).message } };
    }
  };
}
