/**
 * What /readyz answers: ready when the database answers, no migration is pending, and every
 * connection the process needs beyond queries (the LISTEN session, the live transport) is up.
 */
import type { Database } from '../db/client.js';
import { pendingMigrations } from '../db/migrations.js';
import type { EventTransport } from '../events/transport.js';

export interface Readiness {
  ready: boolean;
  detail: Record<string, unknown>;
}

export function readinessCheck(database: Database, transport: EventTransport | undefined): () => Promise<Readiness> {
  return async () => {
    try {
      await database.db.job.count({ take: 1 });
      const pending = await pendingMigrations(database.capabilities.provider, database.db);
      const connections = { ...database.signals.health(), ...(transport ? { liveEvents: transport.healthy() } : {}) };
      const healthy = Object.values(connections).every(Boolean);
      return { ready: pending.length === 0 && healthy, detail: { database: 'ok', pendingMigrations: pending, connections } };
    } catch (error) {
      return { ready: false, detail: { database: (error as Error).message } };
    }
  };
}
