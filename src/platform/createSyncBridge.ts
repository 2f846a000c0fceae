/**
 * SyncBridge as a library: the same engine and server, started from a team's own Node process.
 *
 *   const bridge = createSyncBridge({ jobTypes, upstreams, env: { PORT: '0', DATABASE_URL: 'file:./x.db' } });
 *   await bridge.start();            // migrates, listens; bridge.url says where
 *   await bridge.enqueue({ jobType: 'contact_sync', entityId: 'h_1', payload: { … } });
 *   await bridge.stop();
 *
 * `env` holds the configuration under the environment's variable names and takes precedence
 * over process.env. The server's modules load on start(), so importing this package to define job
 * types costs nothing.
 */
import type { Logger } from 'pino';
import type { Job } from '../db/types.js';
import type { EnqueueInput } from '../queue/services/jobsEnqueue.js';
import type { JobTypeDefinition } from './defineJobType.js';
import type { UpstreamConfig } from './upstreamClient.js';
import type { WebhookSource } from './webhooks.js';

export interface SyncBridgeOptions {
  jobTypes: readonly JobTypeDefinition[];
  upstreams?: Record<string, UpstreamConfig>;
  /** Webhook sources served at POST /hooks/<name>, each enabled by its secret (SYNCBRIDGE_WEBHOOK_SECRETS or its secretEnv). */
  webhooks?: Record<string, WebhookSource>;
  /** Configuration by variable name (PORT, DATABASE_URL, SYNCBRIDGE_…), over process.env. */
  env?: Record<string, string | undefined>;
  /** Where the service logs (default: pino JSON to stdout at LOG_LEVEL). */
  logger?: Logger;
}

/** What an enqueue takes: the job type by its name, and the rest as EnqueueJobInput says. */
export type EmbeddedEnqueueInput = Omit<EnqueueInput, 'jobType'> & { jobType: string };

export interface EmbeddedSyncBridge {
  /** Where it listens, once start() resolved (with PORT 0, the port the system gave). */
  readonly url: string;
  start(): Promise<void>;
  /** Stops claiming, lets running handlers finish within the grace period, closes everything. */
  stop(): Promise<void>;
  /**
   * Enqueues in this process (audited as `library`); resolves to the job that holds the change (a
   * new one, or the pair's PENDING job under ifActive COALESCE); throws DuplicateActiveJobError or
   * InputError.
   *
   * With `tx` (PostgreSQL): inside your own transaction, a `pg` client that began it or a Prisma
   * interactive transaction on the same database. The job exists if and only if that transaction
   * commits (syncbridge_enqueue); resolves to the job's id. The input is checked here first, its
   * payload by the type's schema.
   */
  enqueue(input: EmbeddedEnqueueInput): Promise<Job>;
  enqueue(input: EmbeddedEnqueueInput, options: { tx: SqlTransaction }): Promise<number>;
}

/** A transaction to enqueue in: a `pg` client (or pool client) inside BEGIN, or a Prisma interactive transaction client. */
export type SqlTransaction =
  { query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> } | { $queryRawUnsafe(query: string, ...values: unknown[]): Promise<unknown> };

export function createSyncBridge(options: SyncBridgeOptions): EmbeddedSyncBridge {
  let app: Awaited<ReturnType<typeof import('../main.js').startSyncBridge>> | undefined;
  const started = () => {
    if (!app) throw new Error('SyncBridge is not started: await start() first.');
    return app;
  };
  return {
    get url() {
      return started().url;
    },
    async start() {
      if (app) return;
      const [{ loadConfig }, { startSyncBridge }] = await Promise.all([import('../config/index.js'), import('../main.js')]);
      const config = loadConfig({ ...process.env, ...options.env });
      app = await startSyncBridge(config, { jobTypes: options.jobTypes, upstreams: options.upstreams ?? {}, webhooks: options.webhooks ?? {}, logger: options.logger });
    },
    async stop() {
      const running = app;
      app = undefined;
      await running?.stop();
    },
    enqueue: (async (input: EmbeddedEnqueueInput, options?: { tx: SqlTransaction }) => {
      const { jobEnqueue, validateEnqueueInput } = await import('../queue/services/jobsEnqueue.js');
      const { context } = started();
      if (!options?.tx) return jobEnqueue(context, input, { name: 'library', role: null, requestId: null });
      if (!context.capabilities.enqueueInCallerTransaction) throw new Error('enqueue with { tx } needs PostgreSQL: SQLite has no transaction another connection could share.');
      const checked = await validateEnqueueInput(input, context);
      return enqueueInTransaction(options.tx, checked.jobType, checked.entityId, checked.payload, input.ifActive ?? null, checked.groupKey);
    }) as EmbeddedSyncBridge['enqueue'],
  };
}

/** syncbridge_enqueue through the caller's transaction: a pg client's query, or Prisma's raw query. */
async function enqueueInTransaction(
  tx: SqlTransaction,
  jobType: string,
  entityId: string,
  payload: string | null,
  ifActive: string | null,
  groupKey: string | null,
): Promise<number> {
  const sql = 'SELECT syncbridge_enqueue($1, $2, $3::jsonb, $4, $5) AS id';
  const values = [jobType, entityId, payload, ifActive, groupKey];
  const rows = 'query' in tx ? (await tx.query(sql, values)).rows : ((await tx.$queryRawUnsafe(sql, ...values)) as Record<string, unknown>[]);
  return Number(rows[0]!.id);
}
