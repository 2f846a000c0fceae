/**
 * SQLite: the embedded default. Limits, up front: one machine and one database file; several
 * processes may share it (WAL, busy retries) but wake-ups and live events do not cross processes,
 * so another process sees new jobs at its poll interval.
 *
 * One writer at a time, so a claim needs no row locks: a single `UPDATE … WHERE id IN (SELECT …
 * LIMIT n) RETURNING` is atomic (River's riversqlite does the same). The hot path runs on a
 * better-sqlite3 connection of its own with every statement prepared once; a batch is one
 * transaction of per-row statements (microseconds each: there is no round trip to save).
 * Statements run on this thread, so that connection never waits for a lock (busy timeout 0):
 * when Prisma's connection holds the write lock across an await, the batch is retried a moment
 * later instead of blocking the event loop that would let Prisma finish.
 *
 * Times are stored as integer milliseconds since the epoch (Prisma's adapter option
 * `unixepoch-ms`), which keeps comparisons in SQL numeric and rows cheap to read.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import { PrismaClient } from '../generated/sqlite/client.js';
import type { Db } from '../types.js';
import { jobColumns, jobFromValues } from '../jobRow.js';
import type { Dialect, DialectModule, WrittenJob } from './index.js';

function sqliteFile(url: string): string {
  return url.replace(/^file:/, '');
}

const ms = (date: Date | null) => (date ? date.getTime() : null);
const columns = jobColumns.map((column) => `"${column}"`).join(', ');

/** How long a hot-path batch keeps retrying while another connection holds the write lock. */
const busyRetryMs = 10_000;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/** Runs `run` (a statement or an immediate transaction), retrying a moment later while the database is locked. */
async function retryWhileBusy<T>(run: () => T): Promise<T> {
  const deadline = Date.now() + busyRetryMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      return run();
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
    }
    await delay(wait);
  }
}

function open(url: string): Promise<Dialect> {
  const connection = new Database(sqliteFile(url));
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 0');

  const statements = {
    insert: connection.prepare(`
      INSERT INTO "Job" ("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "status", "priority",
                         "scheduledAt", "maxRetries", "attemptCount", "payloadVersion", "correlationId", "activeKey",
                         "createdAt", "updatedAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId")
      VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT ("activeKey") WHERE "activeKey" IS NOT NULL DO NOTHING
      RETURNING "id"`),
    claim: connection
      .prepare(
        `UPDATE "Job"
            SET "status" = 'RUNNING', "leaseOwner" = @workerId, "leaseAcquiredAt" = @now,
                "leaseExpiresAt" = @expires, "attemptCount" = "attemptCount" + 1, "updatedAt" = @now
          WHERE "id" IN (
                SELECT "id" FROM "Job"
                 WHERE "status" = 'PENDING' AND "nextRunAt" <= @now
                 ORDER BY "priority" DESC, "nextRunAt", "id"
                 LIMIT @limit)
        RETURNING ${columns}`,
      )
      .raw(true),
    start: connection.prepare(
      `UPDATE "Job" SET "lastStartedAt" = ?
        WHERE "id" = ? AND "leaseOwner" = ? AND "leaseAcquiredAt" = ? AND "status" IN ('RUNNING', 'CANCELED')`,
    ),
    // The attempt first, under the same conditions the update checks, while the row still shows the lease.
    attempt: connection.prepare(
      `INSERT INTO "Attempt" ("jobId", "attemptNumber", "startedAt", "finishedAt", "success", "errorSummary", "errorType", "durationMs")
       SELECT "id", @attemptNumber, @startedAt, @finishedAt, @success, @lastError, @lastErrorType, @durationMs FROM "Job"
        WHERE "id" = @id AND "leaseOwner" = @leaseOwner AND "leaseAcquiredAt" = @claimedAt AND "status" IN ('RUNNING', 'CANCELED')
          AND (@expiredBy IS NULL OR "leaseExpiresAt" < @expiredBy)`,
    ),
    finish: connection.prepare(
      `UPDATE "Job"
          SET "status" = CASE WHEN "status" = 'CANCELED' THEN 'CANCELED' ELSE @status END,
              "activeKey" = CASE WHEN "status" = 'RUNNING' AND @status = 'PENDING' THEN "activeKey" END,
              "nextRunAt" = CASE WHEN "status" = 'RUNNING' AND @status = 'PENDING' THEN @nextRunAt ELSE "nextRunAt" END,
              "deadAt" = CASE WHEN "status" = 'RUNNING' THEN @deadAt END,
              "deadError" = CASE WHEN "status" = 'RUNNING' AND @status = 'DEAD' THEN @lastError END,
              "deadErrorType" = CASE WHEN "status" = 'RUNNING' AND @status = 'DEAD' THEN @lastErrorType END,
              "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL,
              "attemptCount" = @attemptNumber,
              "lastStartedAt" = @startedAt,
              "lastFinishedAt" = @finishedAt,
              "lastDurationMs" = @durationMs,
              "lastError" = @lastError,
              "lastErrorType" = @lastErrorType,
              "updatedAt" = @finishedAt
        WHERE "id" = @id AND "leaseOwner" = @leaseOwner AND "leaseAcquiredAt" = @claimedAt AND "status" IN ('RUNNING', 'CANCELED')
          AND (@expiredBy IS NULL OR "leaseExpiresAt" < @expiredBy)
      RETURNING "id", "status", "canceledAt"`,
    ),
    release: connection.prepare(
      `UPDATE "Job"
          SET "status" = CASE WHEN "status" = 'CANCELED' THEN 'CANCELED' ELSE 'PENDING' END,
              "nextRunAt" = CASE WHEN "status" = 'CANCELED' THEN "nextRunAt" ELSE @now END,
              "attemptCount" = "attemptCount" - 1,
              "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = @now
        WHERE "id" = @id AND "leaseOwner" = @leaseOwner AND "leaseAcquiredAt" = @claimedAt AND "status" IN ('RUNNING', 'CANCELED')
          AND (@expiredBy IS NULL OR "leaseExpiresAt" < @expiredBy)
      RETURNING "id", "status", "canceledAt"`,
    ),
    renew: connection.prepare(
      `UPDATE "Job" SET "leaseExpiresAt" = ?
        WHERE "id" = ? AND "leaseOwner" = ? AND "leaseAcquiredAt" = ? AND "status" = 'RUNNING'
      RETURNING "id"`,
    ),
    expired: connection.prepare(
      `SELECT "id", "leaseOwner", "leaseAcquiredAt" AS "claimedAt", "leaseExpiresAt", "attemptCount", "maxRetries",
              CASE WHEN "lastStartedAt" >= "leaseAcquiredAt" THEN "lastStartedAt" END AS "startedAt"
         FROM "Job" WHERE "status" = 'RUNNING' AND "leaseExpiresAt" < ? ORDER BY "leaseExpiresAt" LIMIT ?`,
    ),
  };

  type WrittenRow = { id: number; status: string; canceledAt: number | null };
  const written = (row: WrittenRow): WrittenJob => ({ id: row.id, status: row.status, canceledAt: row.canceledAt === null ? null : new Date(row.canceledAt) });

  const dialect: Dialect = {
    provider: 'sqlite',
    concurrentWrites: 1,
    // Busy is retried inside; what reaches the caller is about the data, or the disk.
    isTransient: (error) => /^SQLITE_(IOERR|FULL|CANTOPEN|BUSY|LOCKED)/.test(String((error as { code?: unknown }).code ?? '')),
    health: () => ({}),

    jobsInsert: (rows) =>
      retryWhileBusy(
        connection
          .transaction(() => {
            const inserted: { id: number; activeKey: string }[] = [];
            for (const row of rows) {
              const result = statements.insert.get(
                row.jobType, row.sourceSystem, row.targetSystem, row.entityType, row.entityId, row.priority, ms(row.scheduledAt),
                row.maxRetries, row.payloadVersion, row.correlationId, row.activeKey, ms(row.createdAt), ms(row.createdAt),
                ms(row.nextRunAt), row.isReplay ? 1 : 0, row.replayOfId, row.replayOfAttemptId,
              ) as { id: number } | undefined;
              if (result) inserted.push({ id: result.id, activeKey: row.activeKey });
            }
            return inserted;
          })
          .immediate,
      ),

    jobsClaim: ({ workerId, now, leaseMs, limit }) =>
      retryWhileBusy(() =>
        (statements.claim.all({ workerId, now: now.getTime(), expires: now.getTime() + leaseMs, limit }) as unknown[][]).map(jobFromValues),
      ),

    jobsStart: async ({ leaseOwner, rows }) => {
      if (!rows.length) return;
      await retryWhileBusy(
        connection
          .transaction(() => {
            for (const row of rows) statements.start.run(ms(row.startedAt), row.id, leaseOwner, ms(row.claimedAt));
          })
          .immediate,
      );
    },

    jobsFinish: async ({ leaseOwner, rows, expiredBy }) => {
      if (!rows.length) return [];
      return retryWhileBusy(
        connection
          .transaction(() => {
            const result: WrittenJob[] = [];
            for (const row of rows) {
              const params = {
                id: row.id,
                leaseOwner,
                claimedAt: ms(row.claimedAt),
                expiredBy: ms(expiredBy ?? null),
                attemptNumber: row.attemptNumber,
                status: row.status,
                startedAt: ms(row.startedAt),
                finishedAt: ms(row.finishedAt),
                success: row.success ? 1 : 0,
                durationMs: row.durationMs,
                nextRunAt: ms(row.nextRunAt),
                lastError: row.lastError,
                lastErrorType: row.lastErrorType,
                deadAt: ms(row.deadAt),
              };
              statements.attempt.run(params);
              // Named parameters: each statement reads the ones it names.
              const updated = statements.finish.get(params) as WrittenRow | undefined;
              if (updated) result.push(written(updated));
            }
            return result;
          })
          .immediate,
      );
    },

    jobsRelease: async ({ leaseOwner, jobs, now, expiredBy }) => {
      if (!jobs.length) return [];
      return retryWhileBusy(
        connection
          .transaction(() => {
            const result: WrittenJob[] = [];
            for (const job of jobs) {
              const updated = statements.release.get({ id: job.id, leaseOwner, claimedAt: ms(job.claimedAt), now: now.getTime(), expiredBy: ms(expiredBy ?? null) }) as WrittenRow | undefined;
              if (updated) result.push(written(updated));
            }
            return result;
          })
          .immediate,
      );
    },

    leasesRenew: async ({ workerId, jobs, leaseExpiresAt }) => {
      if (!jobs.length) return [];
      return retryWhileBusy(
        connection
          .transaction(() => {
            const held: number[] = [];
            for (const job of jobs) if (statements.renew.get(leaseExpiresAt.getTime(), job.id, workerId, ms(job.claimedAt))) held.push(job.id);
            return held;
          })
          .immediate,
      );
    },

    leasesExpired: async ({ now, limit }) =>
      (statements.expired.all(now.getTime(), limit) as { id: number; leaseOwner: string; claimedAt: number; leaseExpiresAt: number; attemptCount: number; maxRetries: number; startedAt: number | null }[]).map(
        (row) => ({
          ...row,
          claimedAt: new Date(row.claimedAt),
          leaseExpiresAt: new Date(row.leaseExpiresAt),
          startedAt: row.startedAt === null ? null : new Date(row.startedAt),
        }),
      ),

    async close() {
      connection.close();
    },
  };
  return Promise.resolve(dialect);
}

export const sqlite: DialectModule = {
  provider: 'sqlite',

  adapterFactory: (url) => new PrismaBetterSqlite3({ url: sqliteFile(url), timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' }),

  async openClient(url, options) {
    return new PrismaClient({
      adapter: sqlite.adapterFactory(url),
      log: options?.queryEvents ? [{ emit: 'event', level: 'query' }] : [],
    }) as unknown as Db;
  },

  async prepareClient(db) {
    // WAL lets readers (GraphQL) proceed while the worker writes; NORMAL sync is durable across
    // process crashes in WAL mode (only an OS crash can lose the last commits).
    await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
    await db.$queryRawUnsafe('PRAGMA foreign_keys = ON');
    await db.$queryRawUnsafe('PRAGMA busy_timeout = 10000');
  },

  open,
};
