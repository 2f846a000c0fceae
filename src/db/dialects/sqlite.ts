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
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from '../generated/sqlite/client.js';
import type { Db } from '../types.js';
import { attemptColumns, attemptFromValues, jobColumns, jobFromValues } from '../jobRow.js';
import { jobFilterSql, type SqlFlavor } from '../jobFilter.js';
import type { Dialect, DialectModule, WrittenJob } from './index.js';

function sqliteFile(url: string): string {
  return url.replace(/^file:/, '');
}

const ms = (date: Date | null) => (date ? date.getTime() : null);
const columns = jobColumns.map((column) => `"${column}"`).join(', ');
const attemptSelect = attemptColumns.map((column) => `"${column}"`).join(', ');

/** How filters and reads write parameters here (src/db/jobFilter.ts): times are epoch ms. */
const flavor: SqlFlavor = {
  placeholder: () => '?',
  time: (date) => date.getTime(),
  timeParam: (placeholder) => placeholder,
  bool: (value) => (value ? 1 : 0),
  inList: (column, placeholder, values) => ({ sql: `${column} IN (SELECT value FROM json_each(${placeholder}))`, value: JSON.stringify(values) }),
  // The column's collation is BINARY: comparisons are byte-wise already.
  byteRange: (column, low, high) => `${column} >= ${low}${high ? ` AND ${column} < ${high}` : ''}`,
};

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

/** Leases the rows the subquery that follows picks (both claims): @now, @workerId, @expires. */
const leaseWhere = `UPDATE "Job"
            SET "status" = 'RUNNING', "leaseOwner" = @workerId, "leaseAcquiredAt" = @now,
                "leaseExpiresAt" = @expires, "attemptCount" = "attemptCount" + 1, "updatedAt" = @now
          WHERE "id" IN`;

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
    audit: connection.prepare(`
      INSERT INTO "AuditEvent" ("at", "actor", "role", "action", "jobId", "requestId", "outcome", "detail")
      VALUES (?, ?, ?, ?, ?, ?, 'OK', ?)`),
    claim: connection
      .prepare(
        `${leaseWhere} (
                SELECT "id" FROM "Job"
                 WHERE "status" = 'PENDING' AND "nextRunAt" <= @now
                   AND NOT EXISTS (SELECT 1 FROM "JobTypeState" AS t
                                    WHERE t."jobType" = "Job"."jobType" AND (t."paused" OR t."concurrency" IS NOT NULL))
                 ORDER BY "priority" DESC, "nextRunAt", "id"
                 LIMIT @limit)
        RETURNING ${columns}`,
      )
      .raw(true),
    // One writer at a time: the RUNNING count read here is the count this statement leaves.
    claimOfType: connection
      .prepare(
        `${leaseWhere} (
                SELECT "id" FROM "Job"
                 WHERE "status" = 'PENDING' AND "jobType" = @jobType AND "nextRunAt" <= @now
                 ORDER BY "priority" DESC, "nextRunAt", "id"
                 LIMIT coalesce((
                   SELECT max(0, min(@limit, t."concurrency" - (SELECT count(*) FROM "Job" AS r WHERE r."status" = 'RUNNING' AND r."jobType" = @jobType)))
                     FROM "JobTypeState" AS t WHERE t."jobType" = @jobType AND NOT t."paused" AND t."concurrency" IS NOT NULL), 0))
        RETURNING ${columns}`,
      )
      .raw(true),
    paceReserve: connection.prepare(
      `INSERT INTO "UpstreamPace" ("target", "nextSlotMs", "pausedUntilMs") VALUES (@target, @now + @interval, 0)
       ON CONFLICT ("target") DO UPDATE SET "nextSlotMs" = max("nextSlotMs", "pausedUntilMs", @now) + @interval
       RETURNING "nextSlotMs" - @interval - @now AS "waitMs"`,
    ),
    pausesLeft: connection.prepare(`SELECT "target", "pausedUntilMs" - ? AS "leftMs" FROM "UpstreamPace" WHERE "target" IN (SELECT value FROM json_each(?))`),
    pacePause: connection.prepare(
      `INSERT INTO "UpstreamPace" ("target", "nextSlotMs", "pausedUntilMs") VALUES (@target, @now, @until)
       ON CONFLICT ("target") DO UPDATE SET "pausedUntilMs" = max("pausedUntilMs", @until)`,
    ),
    start: connection.prepare(
      `UPDATE "Job" SET "lastStartedAt" = ?
        WHERE "id" = ? AND "leaseOwner" = ? AND "leaseAcquiredAt" = ? AND "status" IN ('RUNNING', 'CANCELED')`,
    ),
    // The attempt first, under the same conditions the update checks, while the row still shows the lease.
    attempt: connection.prepare(
      `INSERT INTO "Attempt" ("jobId", "attemptNumber", "startedAt", "finishedAt", "success", "errorSummary", "errorType", "durationMs", "details")
       SELECT "id", @attemptNumber, @startedAt, @finishedAt, @success, @lastError, @lastErrorType, @durationMs, @details FROM "Job"
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
              "unchargedAttempts" = "unchargedAttempts" + @uncharged,
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
    jobsByIds: connection.prepare(`SELECT ${columns} FROM "Job" WHERE "id" IN (SELECT value FROM json_each(?))`).raw(true),
    jobTypeControls: connection.prepare(`SELECT "jobType", "paused", "concurrency" FROM "JobTypeState"`),
    attemptsByIds: connection.prepare(`SELECT ${attemptSelect} FROM "Attempt" WHERE "id" IN (SELECT value FROM json_each(?))`).raw(true),
    attemptsByJobIds: connection
      .prepare(
        `SELECT ${attemptSelect} FROM (
           SELECT *, row_number() OVER (PARTITION BY "jobId" ORDER BY "attemptNumber" DESC) AS n FROM "Attempt"
            WHERE "jobId" IN (SELECT value FROM json_each(?))
         ) WHERE n <= ? ORDER BY "jobId", "attemptNumber" DESC`,
      )
      .raw(true),
    replaysByReplayOfId: connection
      .prepare(
        `SELECT ${columns} FROM (
           SELECT *, row_number() OVER (PARTITION BY "replayOfId" ORDER BY "id" DESC) AS n FROM "Job"
            WHERE "replayOfId" IN (SELECT value FROM json_each(?))
         ) WHERE n <= ? ORDER BY "id" DESC`,
      )
      .raw(true),
    replaysByReplayOfAttemptId: connection
      .prepare(
        `SELECT ${columns} FROM (
           SELECT *, row_number() OVER (PARTITION BY "replayOfAttemptId" ORDER BY "id" DESC) AS n FROM "Job"
            WHERE "replayOfAttemptId" IN (SELECT value FROM json_each(?))
         ) WHERE n <= ? ORDER BY "id" DESC`,
      )
      .raw(true),
    expired: connection.prepare(
      `SELECT "id", "leaseOwner", "leaseAcquiredAt" AS "claimedAt", "leaseExpiresAt", "attemptCount", "unchargedAttempts", "maxRetries",
              CASE WHEN "lastStartedAt" >= "leaseAcquiredAt" THEN "lastStartedAt" END AS "startedAt"
         FROM "Job" WHERE "status" = 'RUNNING' AND "leaseExpiresAt" < ? ORDER BY "leaseExpiresAt" LIMIT ?`,
    ),
  };

  const observers = new Set<(name: string) => void>();
  const observe = (name: string) => {
    if (observers.size) for (const observer of observers) observer(name);
  };

  /** Filtered reads: a statement per distinct filter shape, prepared once (bounded). */
  const readCache = new Map<string, Database.Statement>();
  const cachedRead = (text: string) => {
    let statement = readCache.get(text);
    if (!statement) {
      if (readCache.size >= 200) readCache.delete(readCache.keys().next().value!);
      readCache.set(text, (statement = connection.prepare(text).raw(true)));
    }
    return statement;
  };

  type WrittenRow = { id: number; status: string; canceledAt: number | null };
  const written = (row: WrittenRow): WrittenJob => ({ id: row.id, status: row.status, canceledAt: row.canceledAt === null ? null : new Date(row.canceledAt) });

  const dialect: Dialect = {
    provider: 'sqlite',
    concurrentWrites: 1,
    // Busy is retried inside; what reaches the caller is about the data, or the disk.
    isTransient: (error) => /^SQLITE_(IOERR|FULL|CANTOPEN|BUSY|LOCKED)/.test(String((error as { code?: unknown }).code ?? '')),
    health: () => ({}),
    onStatement: (observer) => {
      observers.add(observer);
      return () => observers.delete(observer);
    },

    jobsInsert: (rows, audit) =>
      retryWhileBusy(
        connection.transaction(() => {
          const inserted: { id: number; activeKey: string }[] = [];
          for (const row of rows) {
            const result = statements.insert.get(
              row.jobType,
              row.sourceSystem,
              row.targetSystem,
              row.entityType,
              row.entityId,
              row.priority,
              ms(row.scheduledAt),
              row.maxRetries,
              row.payloadVersion,
              row.correlationId,
              row.activeKey,
              ms(row.createdAt),
              ms(row.createdAt),
              ms(row.nextRunAt),
              row.isReplay ? 1 : 0,
              row.replayOfId,
              row.replayOfAttemptId,
            ) as { id: number } | undefined;
            if (!result) continue;
            inserted.push({ id: result.id, activeKey: row.activeKey });
            if (audit) {
              const detail = row.replayOfId === null ? null : `replay of job ${row.replayOfId}, attempt ${row.replayOfAttemptId}`;
              statements.audit.run(ms(audit.at), audit.actor, audit.role, audit.action, result.id, audit.requestId, detail);
            }
          }
          return inserted;
        }).immediate,
      ),

    jobsClaim: ({ workerId, now, leaseMs, limit }) =>
      retryWhileBusy(() => (statements.claim.all({ workerId, now: now.getTime(), expires: now.getTime() + leaseMs, limit }) as unknown[][]).map(jobFromValues)),

    jobsClaimOfType: ({ workerId, now, leaseMs, limit, jobType }) =>
      retryWhileBusy(() => (statements.claimOfType.all({ workerId, now: now.getTime(), expires: now.getTime() + leaseMs, limit, jobType }) as unknown[][]).map(jobFromValues)),

    jobsStart: async ({ leaseOwner, rows }) => {
      if (!rows.length) return;
      await retryWhileBusy(
        connection.transaction(() => {
          for (const row of rows) statements.start.run(ms(row.startedAt), row.id, leaseOwner, ms(row.claimedAt));
        }).immediate,
      );
    },

    jobsFinish: async ({ leaseOwner, rows, expiredBy }) => {
      if (!rows.length) return [];
      return retryWhileBusy(
        connection.transaction(() => {
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
              details: row.details,
              uncharged: row.uncharged ? 1 : 0,
            };
            statements.attempt.run(params);
            // Named parameters: each statement reads the ones it names.
            const updated = statements.finish.get(params) as WrittenRow | undefined;
            if (updated) result.push(written(updated));
          }
          return result;
        }).immediate,
      );
    },

    jobsRelease: async ({ leaseOwner, jobs, now, expiredBy }) => {
      if (!jobs.length) return [];
      return retryWhileBusy(
        connection.transaction(() => {
          const result: WrittenJob[] = [];
          for (const job of jobs) {
            const updated = statements.release.get({ id: job.id, leaseOwner, claimedAt: ms(job.claimedAt), now: now.getTime(), expiredBy: ms(expiredBy ?? null) }) as
              WrittenRow | undefined;
            if (updated) result.push(written(updated));
          }
          return result;
        }).immediate,
      );
    },

    leasesRenew: async ({ workerId, jobs, leaseExpiresAt }) => {
      if (!jobs.length) return [];
      return retryWhileBusy(
        connection.transaction(() => {
          const held: number[] = [];
          for (const job of jobs) if (statements.renew.get(leaseExpiresAt.getTime(), job.id, workerId, ms(job.claimedAt))) held.push(job.id);
          return held;
        }).immediate,
      );
    },

    leasesExpired: async ({ now, limit }) =>
      (
        statements.expired.all(now.getTime(), limit) as {
          id: number;
          leaseOwner: string;
          claimedAt: number;
          leaseExpiresAt: number;
          attemptCount: number;
          unchargedAttempts: number;
          maxRetries: number;
          startedAt: number | null;
        }[]
      ).map((row) => ({
        ...row,
        claimedAt: new Date(row.claimedAt),
        leaseExpiresAt: new Date(row.leaseExpiresAt),
        startedAt: row.startedAt === null ? null : new Date(row.startedAt),
      })),

    jobTypeControls: async () =>
      (statements.jobTypeControls.all() as { jobType: string; paused: number; concurrency: number | null }[]).map((row) => ({ ...row, paused: Boolean(row.paused) })),
    // This machine's clock is the database's: one file, one machine.
    upstreamSlotReserve: (target, intervalMs) =>
      retryWhileBusy(() => Math.max(0, (statements.paceReserve.get({ target, interval: Math.ceil(intervalMs), now: Date.now() }) as { waitMs: number }).waitMs)),
    upstreamPausesLeft: async (targets) =>
      new Map((statements.pausesLeft.all(Date.now(), JSON.stringify(targets)) as { target: string; leftMs: number }[]).map((row) => [row.target, row.leftMs])),
    upstreamPause: async (target, pauseMs) => {
      const now = Date.now();
      await retryWhileBusy(() => statements.pacePause.run({ target, now, until: now + Math.ceil(pauseMs) }));
    },
    jobsByIds: async (ids) => (ids.length ? (observe('jobsByIds'), (statements.jobsByIds.all(JSON.stringify(ids)) as unknown[][]).map(jobFromValues)) : []),
    attemptsByIds: async (ids) => (ids.length ? (observe('attemptsByIds'), (statements.attemptsByIds.all(JSON.stringify(ids)) as unknown[][]).map(attemptFromValues)) : []),
    attemptsByJobIds: async (jobIds, perJob) =>
      jobIds.length ? (observe('attemptsByJobIds'), (statements.attemptsByJobIds.all(JSON.stringify(jobIds), perJob) as unknown[][]).map(attemptFromValues)) : [],
    replaysByParents: async (parent, parentIds, perParent) =>
      parentIds.length
        ? (observe(`replaysBy${parent}`),
          ((parent === 'replayOfId' ? statements.replaysByReplayOfId : statements.replaysByReplayOfAttemptId).all(JSON.stringify(parentIds), perParent) as unknown[][]).map(
            jobFromValues,
          ))
        : [],

    async jobsPage({ filter, now, limit, afterId, beforeId, backward }) {
      observe('jobsPage');
      const where = jobFilterSql(filter, now, flavor);
      const params = [...where.params];
      let cursor = '';
      if (afterId !== undefined) {
        cursor = 'AND "id" < ?';
        params.push(afterId);
      } else if (beforeId !== undefined) {
        cursor = 'AND "id" > ?';
        params.push(beforeId);
      }
      params.push(limit);
      const text = `SELECT ${columns} FROM "Job" WHERE ${where.sql} ${cursor} ORDER BY "id" ${backward ? 'ASC' : 'DESC'} LIMIT ?`;
      return (cachedRead(text).all(...params) as unknown[][]).map(jobFromValues);
    },

    async jobsCount(filter, now) {
      observe('jobsCount');
      const where = jobFilterSql(filter, now, flavor);
      return (cachedRead(`SELECT count(*) FROM "Job" WHERE ${where.sql}`).get(...where.params) as unknown[])[0] as number;
    },

    async close() {
      connection.close();
    },
  };
  return Promise.resolve(dialect);
}

/**
 * Prisma's better-sqlite3 adapter prepares every statement anew (`client.prepare(sql).bind(args)`
 * per query): a tenth of a GraphQL read's CPU in a profile. This keeps one prepared statement per
 * SQL text (bounded) and binds each call's arguments at execution instead, since better-sqlite3
 * binds a statement for good with `bind()`.
 */
function cacheStatements(client: Database.Database, max = 500): void {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, Database.Statement>();
  (client as unknown as { prepare: unknown }).prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(sql, (statement = prepare(sql)));
    }
    const prepared = statement;
    return {
      bind: (args: unknown[]) => ({
        reader: prepared.reader,
        columns: () => prepared.columns(),
        run: () => prepared.run(args),
        raw: () => ({ all: () => prepared.raw(true).all(args) }),
      }),
      run: (...args: unknown[]) => prepared.run(...args),
    };
  };
}

/** The adapter factory for the service's Prisma client (migrations use the plain one). */
function clientAdapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory {
  const inner = sqlite.adapterFactory(url);
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => {
      const adapter = await inner.connect();
      cacheStatements((adapter as unknown as { client: Database.Database }).client);
      return adapter;
    },
    connectToShadowDb: () => inner.connectToShadowDb(),
  };
}

export const sqlite: DialectModule = {
  provider: 'sqlite',

  adapterFactory: (url) => new PrismaBetterSqlite3({ url: sqliteFile(url), timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' }),

  async openClient(url, options) {
    return new PrismaClient({
      adapter: clientAdapterFactory(url),
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
