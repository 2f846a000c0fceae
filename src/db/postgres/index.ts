/**
 * PostgreSQL: many API and worker processes share one database. Two pools per process, one per
 * role, plus one LISTEN session: the work pool runs the hot path's named statements (with
 * planner settings of its own, below); the general pool serves Prisma (through its adapter) and
 * the API's reads, so one pool's burst never queues the other's statements.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/postgresql/client.js';
import type { Db } from '../types.js';
import { statementObservers, type ClientOptions, type DialectModule, type OpenedDatabase } from '../dialect.js';
import { connectionSettings, statementName } from './connections.js';
import { postgresJobReads } from './jobReads.js';
import { PostgresJobStore, workQuery } from './jobStore.js';
import { PgListener } from './listener.js';
import { postgresPaceStore } from './paceStore.js';
import { postgresSignals } from './signals.js';

function prismaOver(adapter: PrismaPg, options: ClientOptions = {}): Db {
  return new PrismaClient({ adapter, log: options.queryEvents ? [{ emit: 'event', level: 'query' }] : [] }) as unknown as Db;
}

async function open(url: string, options: ClientOptions = {}): Promise<OpenedDatabase> {
  // Every hot-path statement reaches its rows through an index in index order: the claim walks
  // its partial index and stops after `limit` rows, a batch of ids uses the primary key. Without
  // statistics (a young table, a burst of new rows) the planner may instead scan the table to
  // join a batch (200-500 ms per 800 outcomes under a drain, measured, instead of 2) or collect
  // and sort every due job to claim 200 (so each claim costs the whole backlog). These sessions
  // run only the hot path's statements, so they plan without scans and sorts; and without JIT: a
  // plan whose estimate a disabled scan inflated was compiled for 450 ms per claim (measured).
  const work = new pg.Pool({
    connectionString: url,
    max: 4,
    ...connectionSettings(options, '-c enable_seqscan=off -c enable_bitmapscan=off -c enable_sort=off -c jit=off'),
  });
  const general = new pg.Pool({ connectionString: url, max: 6, ...connectionSettings(options) });
  for (const pool of [work, general]) pool.on('error', () => {}); // an idle client's error: the next query on it reconnects
  const listener = new PgListener(url);
  const { observe, onStatement } = statementObservers();
  const query = workQuery(work, observe);
  const db = prismaOver(new PrismaPg(general, { statementNameGenerator: statementName }), options);
  return {
    db,
    jobs: new PostgresJobStore(work, query, observe),
    reads: postgresJobReads(general, observe),
    pace: postgresPaceStore(query),
    signals: postgresSignals(listener, query),
    capabilities: {
      provider: 'postgresql',
      concurrentWrites: 2,
      enqueueInCallerTransaction: true,
      bulkConcurrency: 8,
      exclusiveTurnSql: (id) => `SELECT pg_try_advisory_xact_lock(${Math.trunc(id)}) AS locked`,
      onStatement,
    },
    async close() {
      await listener.close();
      await db.$disconnect();
      await Promise.all([work.end(), general.end()]);
    },
  };
}

export const postgres: DialectModule = {
  provider: 'postgresql',
  adapterFactory: (url) => new PrismaPg({ connectionString: url, max: 3 }),
  openClient: async (url, options) =>
    prismaOver(new PrismaPg({ connectionString: url, max: 1, ...connectionSettings(options) }, { statementNameGenerator: statementName }), options),
  open,
  async probe(url, options) {
    const client = new pg.Client({ connectionString: url, ...connectionSettings(options) });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => {});
    }
  },
};
