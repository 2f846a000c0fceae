/**
 * PostgreSQL: many API and worker processes share one database. Claims lock rows with
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint batches without waiting on each
 * other (River's riverpgxv5 and graphile-worker do the same). Enqueues NOTIFY a channel that every
 * worker LISTENs on, so a job enqueued in one process wakes workers in all of them.
 * Columns are `timestamp(3)` holding UTC (Prisma's convention); raw SQL binds ISO-8601 text and
 * casts it, which is independent of the server's and the driver's time zones.
 */
import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/postgresql/client.js';
import type { Db, Job } from '../client.js';
import type { Dialect } from './index.js';

export const wakeChannel = 'syncbridge_jobs_available';
export const eventChannel = 'syncbridge_job_transitions';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * Prepared-statement names: one per distinct SQL text, so each connection parses and plans a
 * statement once and reuses it (pg skips the Parse step for a name it has prepared). A name per
 * call would prepare every query anew and leave each one allocated on the server.
 */
function statementName(query: { sql: string }): string {
  return `sb_${createHash('sha1').update(query.sql).digest('hex').slice(0, 24)}`;
}

export const postgresDialect: Dialect = {
  provider: 'postgresql',
  supportsListenNotify: true,

  adapterFactory: (url) => new PrismaPg({ connectionString: url, max: 10 }),

  async openClient(url, options) {
    const adapter = new PrismaPg({ connectionString: url, max: 10 }, { statementNameGenerator: statementName });
    return new PrismaClient({ adapter, log: options?.queryEvents ? [{ emit: 'event', level: 'query' }] : [] }) as unknown as Db;
  },

  async prepareConnection() {},

  async claimJobs(db, { workerId, now, leaseExpiresAt, limit }) {
    return db.$queryRaw<Job[]>`
      WITH due AS (
        SELECT "id" FROM "Job"
         WHERE "status" = 'PENDING' AND "nextRunAt" <= ${iso(now)}::timestamp
         ORDER BY "priority" DESC, "nextRunAt", "id"
         LIMIT ${limit}
         FOR UPDATE SKIP LOCKED)
      UPDATE "Job" AS j
         SET "status" = 'RUNNING',
             "leaseOwner" = ${workerId},
             "leaseAcquiredAt" = ${iso(now)}::timestamp,
             "leaseExpiresAt" = ${iso(leaseExpiresAt)}::timestamp,
             "attemptCount" = j."attemptCount" + 1,
             "lastStartedAt" = ${iso(now)}::timestamp,
             "updatedAt" = ${iso(now)}::timestamp
        FROM due WHERE j."id" = due."id"
      RETURNING j.*`;
  },

  async insertJobs(db, rows) {
    const payload = JSON.stringify(
      rows.map((row) => ({ ...row, scheduledAt: iso(row.scheduledAt), createdAt: iso(row.createdAt), nextRunAt: iso(row.nextRunAt) })),
    );
    const inserted = await db.$queryRaw<{ id: number; activeKey: string }[]>`
      INSERT INTO "Job" ("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "status", "priority",
                         "scheduledAt", "maxRetries", "attemptCount", "payloadVersion", "correlationId", "activeKey",
                         "createdAt", "updatedAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId")
      SELECT r."jobType", r."sourceSystem", r."targetSystem", r."entityType", r."entityId", 'PENDING', r."priority",
             r."scheduledAt", r."maxRetries", 0, r."payloadVersion", r."correlationId", r."activeKey",
             r."createdAt", r."createdAt", r."nextRunAt", r."isReplay", r."replayOfId", r."replayOfAttemptId"
        FROM jsonb_to_recordset(${payload}::jsonb) AS r(
               "jobType" text, "sourceSystem" text, "targetSystem" text, "entityType" text, "entityId" text,
               "priority" int, "scheduledAt" timestamp, "maxRetries" int, "payloadVersion" int, "correlationId" text,
               "activeKey" text, "createdAt" timestamp, "nextRunAt" timestamp, "isReplay" boolean,
               "replayOfId" int, "replayOfAttemptId" int)
      ON CONFLICT ("activeKey") DO NOTHING
      RETURNING "id", "activeKey"`;
    return inserted.map((row) => ({ id: Number(row.id), activeKey: row.activeKey }));
  },

  async finishJobs(db, { leaseOwner, rows }) {
    const payload = JSON.stringify(
      rows.map((row) => ({
        ...row,
        startedAt: iso(row.startedAt),
        finishedAt: iso(row.finishedAt),
        nextRunAt: iso(row.nextRunAt),
        deadAt: iso(row.deadAt),
      })),
    );
    // One statement: the job update and the attempt insert commit together, no transaction round trips.
    return db.$queryRaw<Job[]>`
      WITH f AS (
        SELECT * FROM jsonb_to_recordset(${payload}::jsonb) AS f(
          "id" int, "attemptNumber" int, "status" text, "startedAt" timestamp, "finishedAt" timestamp, "success" boolean,
          "durationMs" int, "nextRunAt" timestamp, "lastError" text, "lastErrorType" text, "deadAt" timestamp)
      ), updated AS (
        UPDATE "Job" AS j
           SET "status" = CASE WHEN j."status" = 'CANCELED' THEN 'CANCELED' ELSE f."status" END,
               "activeKey" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'PENDING' THEN j."activeKey" END,
               "nextRunAt" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'PENDING' THEN f."nextRunAt" ELSE j."nextRunAt" END,
               "deadAt" = CASE WHEN j."status" = 'RUNNING' THEN f."deadAt" END,
               "deadError" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'DEAD' THEN f."lastError" END,
               "deadErrorType" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'DEAD' THEN f."lastErrorType" END,
               "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL,
               "lastFinishedAt" = f."finishedAt",
               "lastDurationMs" = f."durationMs",
               "lastError" = f."lastError",
               "lastErrorType" = f."lastErrorType",
               "updatedAt" = f."finishedAt"
          FROM f
         WHERE j."id" = f."id"
           AND j."leaseOwner" = ${leaseOwner}
           AND j."attemptCount" = f."attemptNumber"
           AND j."status" IN ('RUNNING', 'CANCELED')
        RETURNING j.*
      ), attempts AS (
        INSERT INTO "Attempt" ("jobId", "attemptNumber", "startedAt", "finishedAt", "success", "errorSummary", "errorType", "durationMs")
        SELECT u."id", f."attemptNumber", f."startedAt", f."finishedAt", f."success", f."lastError", f."lastErrorType", f."durationMs"
          FROM updated AS u JOIN f ON f."id" = u."id"
      )
      SELECT * FROM updated`;
  },

  async renewLeases(db, { workerId, ids, leaseExpiresAt }) {
    const rows = await db.$queryRaw<{ id: number }[]>`
      UPDATE "Job" SET "leaseExpiresAt" = ${iso(leaseExpiresAt)}::timestamp
       WHERE "id" = ANY(${ids}::int[]) AND "leaseOwner" = ${workerId} AND "status" = 'RUNNING'
      RETURNING "id"`;
    return rows.map((row) => Number(row.id));
  },

  async notifyJobsAvailable(db) {
    await db.$executeRaw`SELECT pg_notify(${wakeChannel}, '')`;
  },

  async listenJobsAvailable(url, onWake) {
    // A dedicated connection: LISTEN needs a session that the pool will not hand to queries.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on('notification', onWake);
    client.on('error', () => {}); // a lost listener degrades to the poll interval; the worker logs via its poll.
    await client.query(`LISTEN ${wakeChannel}`);
    return async () => {
      await client.end().catch(() => {});
    };
  },

  async openEventTransport(url, onError) {
    // One dedicated session: LISTEN needs one the pool will not reuse; NOTIFYs from it are
    // delivered in order. Payloads are published after the transitions committed.
    const client = new pg.Client({ connectionString: url });
    client.on('error', onError);
    await client.connect();
    return {
      name: 'postgres-notify',
      maxPayloadBytes: 7900,
      publish: async (payload) => {
        await client.query('SELECT pg_notify($1, $2)', [eventChannel, payload]);
      },
      subscribe: async (onMessage) => {
        client.on('notification', (message) => {
          if (message.channel === eventChannel && message.payload) onMessage(message.payload);
        });
        await client.query(`LISTEN ${eventChannel}`);
      },
      close: async () => {
        await client.end().catch(() => {});
      },
    };
  },
};
