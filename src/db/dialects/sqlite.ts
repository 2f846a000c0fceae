/**
 * SQLite: the embedded default. One writer at a time, so a claim needs no row locks: a single
 * `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING` is atomic (River's riversqlite does the
 * same). Limits: one machine, one database file; several processes may share it (WAL, busy
 * timeout) but wake-ups do not cross processes, so other processes see new jobs at their poll.
 * Times are stored as integer milliseconds since the epoch (adapter option `unixepoch-ms`), which
 * keeps comparisons in raw SQL numeric.
 */
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/sqlite/client.js';
import type { Db, Job } from '../client.js';
import type { Dialect } from './index.js';

function sqliteFile(url: string): string {
  return url.replace(/^file:/, '');
}

const ms = (date: Date | null) => (date ? date.getTime() : null);

export const sqliteDialect: Dialect = {
  provider: 'sqlite',
  supportsListenNotify: false,

  adapterFactory: (url) =>
    new PrismaBetterSqlite3({ url: sqliteFile(url), timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' }),

  async openClient(url, options) {
    return new PrismaClient({
      adapter: sqliteDialect.adapterFactory(url),
      log: options?.queryEvents ? [{ emit: 'event', level: 'query' }] : [],
    }) as unknown as Db;
  },

  async prepareConnection(db) {
    // WAL lets readers (GraphQL) proceed while the worker writes; NORMAL sync is durable across
    // process crashes in WAL mode (only an OS crash can lose the last commits).
    await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
    await db.$queryRawUnsafe('PRAGMA foreign_keys = ON');
    await db.$queryRawUnsafe('PRAGMA busy_timeout = 10000');
  },

  async claimJobs(db, { workerId, now, leaseExpiresAt, limit }) {
    return db.$queryRaw<Job[]>`
      UPDATE "Job"
         SET "status" = 'RUNNING',
             "leaseOwner" = ${workerId},
             "leaseAcquiredAt" = ${now.getTime()},
             "leaseExpiresAt" = ${leaseExpiresAt.getTime()},
             "attemptCount" = "attemptCount" + 1,
             "lastStartedAt" = ${now.getTime()},
             "updatedAt" = ${now.getTime()}
       WHERE "id" IN (
             SELECT "id" FROM "Job"
              WHERE "status" = 'PENDING' AND "nextRunAt" <= ${now.getTime()}
              ORDER BY "priority" DESC, "nextRunAt", "id"
              LIMIT ${limit})
      RETURNING *`;
  },

  async insertJobs(db, rows) {
    const payload = JSON.stringify(
      rows.map((row) => ({ ...row, scheduledAt: ms(row.scheduledAt), createdAt: ms(row.createdAt), nextRunAt: ms(row.nextRunAt), isReplay: row.isReplay ? 1 : 0 })),
    );
    // `WHERE true` resolves SQLite's parsing ambiguity between INSERT…SELECT and ON CONFLICT.
    const inserted = await db.$queryRaw<{ id: number; activeKey: string }[]>`
      INSERT INTO "Job" ("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "status", "priority",
                         "scheduledAt", "maxRetries", "attemptCount", "payloadVersion", "correlationId", "activeKey",
                         "createdAt", "updatedAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId")
      SELECT value ->> 'jobType', value ->> 'sourceSystem', value ->> 'targetSystem', value ->> 'entityType',
             value ->> 'entityId', 'PENDING', value ->> 'priority', value ->> 'scheduledAt', value ->> 'maxRetries', 0,
             value ->> 'payloadVersion', value ->> 'correlationId', value ->> 'activeKey', value ->> 'createdAt',
             value ->> 'createdAt', value ->> 'nextRunAt', value ->> 'isReplay', value ->> 'replayOfId',
             value ->> 'replayOfAttemptId'
        FROM json_each(${payload}) WHERE true
      ON CONFLICT ("activeKey") DO NOTHING
      RETURNING "id", "activeKey"`;
    return inserted.map((row) => ({ id: Number(row.id), activeKey: row.activeKey }));
  },

  async finishJobs(db, { leaseOwner, rows }) {
    const payload = JSON.stringify(
      rows.map((row) => ({
        ...row,
        startedAt: ms(row.startedAt),
        finishedAt: ms(row.finishedAt),
        nextRunAt: ms(row.nextRunAt),
        deadAt: ms(row.deadAt),
        success: row.success ? 1 : 0,
      })),
    );
    // SQLite has no DML in CTEs: two statements in one (batch) transaction. The attempts go first,
    // under the same conditions the update checks, while the rows still show the attempt.
    const [, written] = await db.$transaction([
      db.$executeRaw`
        INSERT INTO "Attempt" ("jobId", "attemptNumber", "startedAt", "finishedAt", "success", "errorSummary", "errorType", "durationMs")
        SELECT "Job"."id", f.value ->> 'attemptNumber', f.value ->> 'startedAt', f.value ->> 'finishedAt', f.value ->> 'success',
               f.value ->> 'lastError', f.value ->> 'lastErrorType', f.value ->> 'durationMs'
          FROM json_each(${payload}) AS f JOIN "Job" ON "Job"."id" = f.value ->> 'id'
         WHERE "Job"."leaseOwner" = ${leaseOwner}
           AND "Job"."attemptCount" = f.value ->> 'attemptNumber'
           AND "Job"."status" IN ('RUNNING', 'CANCELED')`,
      db.$queryRaw<Job[]>`
        UPDATE "Job"
           SET "status" = CASE WHEN "Job"."status" = 'CANCELED' THEN 'CANCELED' ELSE f."status" END,
               "activeKey" = CASE WHEN "Job"."status" = 'RUNNING' AND f."status" = 'PENDING' THEN "Job"."activeKey" END,
               "nextRunAt" = CASE WHEN "Job"."status" = 'RUNNING' AND f."status" = 'PENDING' THEN f."nextRunAt" ELSE "Job"."nextRunAt" END,
               "deadAt" = CASE WHEN "Job"."status" = 'RUNNING' THEN f."deadAt" END,
               "deadError" = CASE WHEN "Job"."status" = 'RUNNING' AND f."status" = 'DEAD' THEN f."lastError" END,
               "deadErrorType" = CASE WHEN "Job"."status" = 'RUNNING' AND f."status" = 'DEAD' THEN f."lastErrorType" END,
               "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL,
               "lastFinishedAt" = f."finishedAt",
               "lastDurationMs" = f."durationMs",
               "lastError" = f."lastError",
               "lastErrorType" = f."lastErrorType",
               "updatedAt" = f."finishedAt"
          FROM (SELECT value ->> 'id' AS "id", value ->> 'attemptNumber' AS "attemptNumber",
                       value ->> 'status' AS "status", value ->> 'finishedAt' AS "finishedAt",
                       value ->> 'durationMs' AS "durationMs", value ->> 'nextRunAt' AS "nextRunAt",
                       value ->> 'lastError' AS "lastError", value ->> 'lastErrorType' AS "lastErrorType",
                       value ->> 'deadAt' AS "deadAt"
                  FROM json_each(${payload})) AS f
         WHERE "Job"."id" = f."id"
           AND "Job"."leaseOwner" = ${leaseOwner}
           AND "Job"."attemptCount" = f."attemptNumber"
           AND "Job"."status" IN ('RUNNING', 'CANCELED')
        RETURNING *`,
    ]);
    return written;
  },

  async renewLeases(db, { workerId, ids, leaseExpiresAt }) {
    const rows = await db.$queryRaw<{ id: number }[]>`
      UPDATE "Job" SET "leaseExpiresAt" = ${leaseExpiresAt.getTime()}
       WHERE "id" IN (SELECT value FROM json_each(${JSON.stringify(ids)}))
         AND "leaseOwner" = ${workerId} AND "status" = 'RUNNING'
      RETURNING "id"`;
    return rows.map((row) => Number(row.id));
  },
};
