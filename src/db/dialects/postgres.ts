/**
 * PostgreSQL: many API and worker processes share one database. Claims lock rows with
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint batches without waiting on each
 * other (River's riverpgxv5 and graphile-worker do the same). Each hot-path operation is one
 * named statement over array parameters (`unnest`), prepared once per connection of a small pool
 * of its own; wake-ups ride in the same statement as the write that makes jobs due (`pg_notify`
 * in a CTE, delivered at commit), so they cost no round trip.
 *
 * Columns are `timestamp(3)` holding UTC (Prisma's convention): parameters are ISO-8601 strings
 * cast to timestamp (the zone is dropped, so the server's and the driver's time zones never
 * matter) and times come back as epoch milliseconds. A claimed row comes back as one JSON array
 * in jobColumns order: parsing 32 columns per row the ordinary way cost more CPU than the rest
 * of the drain together.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/postgresql/client.js';
import type { Db } from '../types.js';
import { attemptColumns, attemptDateColumns, attemptFromValues, jobColumns, jobDateColumns, jobFromValues } from '../jobRow.js';
import { jobFilterSql, type SqlFlavor } from '../jobFilter.js';
import { PgListener } from './pgListener.js';
import type { ClientOptions, Dialect, DialectModule, EventTransport, WrittenJob } from './index.js';
import { createHash } from 'node:crypto';

export const wakeChannel = 'syncbridge_jobs_available';
export const eventChannel = 'syncbridge_job_transitions';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const notifyPayloadBytes = 7_900;

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * Array parameters in PostgreSQL's literal form, built directly: node-postgres escapes every
 * element of every array one by one, which showed in the drain's profile. Numbers, booleans and
 * ISO times need no quoting; text is quoted with its backslashes and quotes escaped.
 */
const pgArray = {
  numbers: (values: readonly (number | null)[]) => `{${values.map((value) => (value === null ? 'NULL' : String(value))).join(',')}}`,
  booleans: (values: readonly boolean[]) => `{${values.map((value) => (value ? 't' : 'f')).join(',')}}`,
  times: (values: readonly (Date | null)[]) => `{${values.map((value) => (value === null ? 'NULL' : value.toISOString())).join(',')}}`,
  texts: (values: readonly (string | null)[]) => `{${values.map((value) => (value === null ? 'NULL' : `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`)).join(',')}}`,
};
/** A time column as epoch ms (date_part's float is exact to the ms here, and half the cost of extract's numeric). */
const ms = (column: string) => `round(date_part('epoch', ${column}) * 1000)::bigint`;
const asArray = (alias: string, columns: readonly string[], dates: Set<string>) =>
  `json_build_array(${columns.map((column) => (dates.has(column) ? ms(`${alias}."${column}"`) : `${alias}."${column}"`)).join(', ')})`;

/** A job row (or an attempt) as one JSON array in column order, times in epoch ms. */
const rowAsArray = asArray('j', jobColumns, jobDateColumns);
const attemptAsArray = asArray('a', attemptColumns, attemptDateColumns);

/** How filters and reads write parameters here (src/db/jobFilter.ts). */
const flavor: SqlFlavor = {
  placeholder: (index) => `$${index}`,
  time: (date) => date.toISOString(),
  timeParam: (placeholder) => `${placeholder}::timestamp`,
  bool: (value) => value,
  inList: (column, placeholder, values) => ({ sql: `${column} = ANY(${placeholder})`, value: values }),
  // The pattern operators compare bytes; the text_pattern_ops index on entityId serves them.
  byteRange: (column, low, high) => `${column} ~>=~ ${low}${high ? ` AND ${column} ~<~ ${high}` : ''}`,
};

/**
 * Prepared-statement names for Prisma's queries: one per distinct SQL text, so each connection
 * parses and plans a statement once (a name per call would prepare every query anew and leave
 * each one allocated on the server).
 */
function statementName(query: { sql: string }): string {
  return `sb_${createHash('sha1').update(query.sql).digest('hex').slice(0, 24)}`;
}

const auditedInsert = (insert: string) =>
  insert.replace(
    '), woke AS (',
    `), audited AS (
      INSERT INTO "AuditEvent" ("at", "actor", "role", "action", "jobId", "requestId", "outcome", "detail")
      SELECT $18::timestamp, $19::text, $20::text, $21::text, "id", $22::text, 'OK',
             CASE WHEN "replayOfId" IS NULL THEN NULL ELSE 'replay of job ' || "replayOfId" || ', attempt ' || "replayOfAttemptId" END
        FROM inserted
    ), woke AS (`,
  );

/** Leases the rows of the `due` CTE: $1 now, $3 the worker, $4 the lease in ms (both claims). */
const leaseDue = `
    UPDATE "Job" AS j
       SET "status" = 'RUNNING', "leaseOwner" = $3, "leaseAcquiredAt" = $1::timestamp,
           "leaseExpiresAt" = $1::timestamp + $4 * interval '1 millisecond', "attemptCount" = j."attemptCount" + 1,
           "updatedAt" = $1::timestamp
      FROM due WHERE j."id" = due."id"
    RETURNING ${rowAsArray} AS r`;

const sql = {
  insert: `
    WITH inserted AS (
      INSERT INTO "Job" ("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "status", "priority",
                         "scheduledAt", "maxRetries", "attemptCount", "payloadVersion", "correlationId", "activeKey",
                         "createdAt", "updatedAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId")
      SELECT r."jobType", r."sourceSystem", r."targetSystem", r."entityType", r."entityId", 'PENDING', r."priority",
             r."scheduledAt", r."maxRetries", 0, r."payloadVersion", r."correlationId", r."activeKey",
             r."createdAt", r."createdAt", r."nextRunAt", r."isReplay", r."replayOfId", r."replayOfAttemptId"
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamp[], $8::int[],
                    $9::int[], $10::text[], $11::text[], $12::timestamp[], $13::timestamp[], $14::bool[], $15::int[], $16::int[])
          AS r("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "priority", "scheduledAt", "maxRetries",
               "payloadVersion", "correlationId", "activeKey", "createdAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId")
      ON CONFLICT ("activeKey") WHERE "activeKey" IS NOT NULL DO NOTHING
      RETURNING "id", "activeKey", "nextRunAt", "replayOfId", "replayOfAttemptId"
    ), woke AS (
      SELECT pg_notify('${wakeChannel}', '') WHERE EXISTS (SELECT 1 FROM inserted WHERE "nextRunAt" <= $17::timestamp)
    )
    SELECT "id", "activeKey", (SELECT count(*) FROM woke) AS woke FROM inserted`,
  get insertAudited(): string {
    return auditedInsert(this.insert);
  },

  claim: `
    WITH due AS (
      SELECT "id" FROM "Job"
       WHERE "status" = 'PENDING' AND "nextRunAt" <= $1::timestamp
         -- NOT EXISTS, not NOT IN: NOT IN made the planner give up the claim index (drain 21k → 1.5k jobs/s, measured)
         AND NOT EXISTS (SELECT 1 FROM "JobTypeState" AS t
                          WHERE t."jobType" = "Job"."jobType" AND (t."paused" OR t."concurrency" IS NOT NULL))
       ORDER BY "priority" DESC, "nextRunAt", "id"
       LIMIT $2
       FOR UPDATE SKIP LOCKED)
    ${leaseDue}`,

  // Holds the type's row until commit: claims of one limited type take turns across processes.
  typeLock: `SELECT "concurrency" FROM "JobTypeState" WHERE "jobType" = $1 AND NOT "paused" AND "concurrency" IS NOT NULL FOR UPDATE`,
  // Run after typeLock, in its transaction: a new snapshot, so the RUNNING count includes every
  // claim committed by the turns before this one.
  claimOfType: `
    WITH due AS (
      SELECT "id" FROM "Job"
       WHERE "status" = 'PENDING' AND "jobType" = $5 AND "nextRunAt" <= $1::timestamp
       ORDER BY "priority" DESC, "nextRunAt", "id"
       LIMIT greatest(0, least($2, $6 - (SELECT count(*) FROM "Job" AS r WHERE r."status" = 'RUNNING' AND r."jobType" = $5)))
       FOR UPDATE SKIP LOCKED)
    ${leaseDue}`,

  // One request slot every $2 ms after the last one and any pause, by the server's clock.
  paceReserve: `
    WITH clock AS (SELECT ${ms('clock_timestamp()')} AS now)
    INSERT INTO "UpstreamPace" ("target", "nextSlotMs", "pausedUntilMs") SELECT $1, clock.now + $2, 0 FROM clock
    ON CONFLICT ("target") DO UPDATE
       SET "nextSlotMs" = greatest("UpstreamPace"."nextSlotMs", "UpstreamPace"."pausedUntilMs", excluded."nextSlotMs" - $2) + $2
    RETURNING "nextSlotMs" - $2 - (SELECT now FROM clock) AS "waitMs"`,
  pausesLeft: `SELECT "target", "pausedUntilMs" - ${ms('clock_timestamp()')} AS "leftMs" FROM "UpstreamPace" WHERE "target" = ANY($1::text[])`,
  pacePause: `
    WITH clock AS (SELECT ${ms('clock_timestamp()')} AS now)
    INSERT INTO "UpstreamPace" ("target", "nextSlotMs", "pausedUntilMs") SELECT $1, clock.now, clock.now + $2 FROM clock
    ON CONFLICT ("target") DO UPDATE SET "pausedUntilMs" = greatest("UpstreamPace"."pausedUntilMs", excluded."pausedUntilMs")`,

  start: `
    UPDATE "Job" AS j SET "lastStartedAt" = s."startedAt"
      FROM unnest($2::int[], $3::timestamp[], $4::timestamp[]) AS s("id", "claimedAt", "startedAt")
     WHERE j."id" = s."id" AND j."leaseOwner" = $1 AND j."leaseAcquiredAt" = s."claimedAt" AND j."status" IN ('RUNNING', 'CANCELED')`,

  // One statement: the job updates and the attempt rows commit together; a retry due at once
  // wakes the other processes' workers at commit.
  finish: `
    WITH f AS (
      SELECT * FROM unnest($2::int[], $3::timestamp[], $4::int[], $5::text[], $6::timestamp[], $7::timestamp[], $8::bool[],
                           $9::int[], $10::timestamp[], $11::text[], $12::text[], $13::timestamp[], $16::text[], $17::bool[])
        AS f("id", "claimedAt", "attemptNumber", "status", "startedAt", "finishedAt", "success", "durationMs", "nextRunAt",
             "lastError", "lastErrorType", "deadAt", "details", "uncharged")
    ), updated AS (
      UPDATE "Job" AS j
         SET "status" = CASE WHEN j."status" = 'CANCELED' THEN 'CANCELED' ELSE f."status" END,
             "activeKey" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'PENDING' THEN j."activeKey" END,
             "nextRunAt" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'PENDING' THEN f."nextRunAt" ELSE j."nextRunAt" END,
             "deadAt" = CASE WHEN j."status" = 'RUNNING' THEN f."deadAt" END,
             "deadError" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'DEAD' THEN f."lastError" END,
             "deadErrorType" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'DEAD' THEN f."lastErrorType" END,
             "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL,
             "attemptCount" = f."attemptNumber",
             "unchargedAttempts" = j."unchargedAttempts" + CASE WHEN f."uncharged" THEN 1 ELSE 0 END,
             "lastStartedAt" = f."startedAt",
             "lastFinishedAt" = f."finishedAt",
             "lastDurationMs" = f."durationMs",
             "lastError" = f."lastError",
             "lastErrorType" = f."lastErrorType",
             "updatedAt" = f."finishedAt"
        FROM f
       WHERE j."id" = f."id"
         AND j."leaseOwner" = $1
         AND j."leaseAcquiredAt" = f."claimedAt"
         AND j."status" IN ('RUNNING', 'CANCELED')
         AND ($14::timestamp IS NULL OR j."leaseExpiresAt" < $14::timestamp)
      RETURNING j."id", j."status", j."canceledAt", j."nextRunAt"
    ), attempts AS (
      INSERT INTO "Attempt" ("jobId", "attemptNumber", "startedAt", "finishedAt", "success", "errorSummary", "errorType", "durationMs", "details")
      SELECT u."id", f."attemptNumber", f."startedAt", f."finishedAt", f."success", f."lastError", f."lastErrorType", f."durationMs", f."details"
        FROM updated AS u JOIN f ON f."id" = u."id"
    ), woke AS (
      SELECT pg_notify('${wakeChannel}', '') WHERE EXISTS (SELECT 1 FROM updated WHERE "status" = 'PENDING' AND "nextRunAt" <= $15::timestamp)
    )
    SELECT "id", "status", ${ms('"canceledAt"')} AS "canceledAt", (SELECT count(*) FROM woke) AS woke FROM updated`,

  release: `
    WITH released AS (
      UPDATE "Job" AS j
         SET "status" = CASE WHEN j."status" = 'CANCELED' THEN 'CANCELED' ELSE 'PENDING' END,
             "nextRunAt" = CASE WHEN j."status" = 'CANCELED' THEN j."nextRunAt" ELSE $4::timestamp END,
             "attemptCount" = j."attemptCount" - 1,
             "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = $4::timestamp
        FROM unnest($2::int[], $3::timestamp[]) AS r("id", "claimedAt")
       WHERE j."id" = r."id" AND j."leaseOwner" = $1 AND j."leaseAcquiredAt" = r."claimedAt"
         AND j."status" IN ('RUNNING', 'CANCELED')
         AND ($5::timestamp IS NULL OR j."leaseExpiresAt" < $5::timestamp)
      RETURNING j."id", j."status", j."canceledAt"
    ), woke AS (
      SELECT pg_notify('${wakeChannel}', '') WHERE EXISTS (SELECT 1 FROM released WHERE "status" = 'PENDING')
    )
    SELECT "id", "status", ${ms('"canceledAt"')} AS "canceledAt", (SELECT count(*) FROM woke) AS woke FROM released`,

  renew: `
    UPDATE "Job" AS j SET "leaseExpiresAt" = $4::timestamp
      FROM unnest($2::int[], $3::timestamp[]) AS r("id", "claimedAt")
     WHERE j."id" = r."id" AND j."leaseOwner" = $1 AND j."leaseAcquiredAt" = r."claimedAt" AND j."status" = 'RUNNING'
    RETURNING j."id"`,

  expired: `
    SELECT "id", "leaseOwner", ${ms('"leaseAcquiredAt"')} AS "claimedAt", ${ms('"leaseExpiresAt"')} AS "leaseExpiresAt",
           "attemptCount", "unchargedAttempts", "maxRetries",
           CASE WHEN "lastStartedAt" >= "leaseAcquiredAt" THEN ${ms('"lastStartedAt"')} END AS "startedAt"
      FROM "Job"
     WHERE "status" = 'RUNNING' AND "leaseExpiresAt" < $1::timestamp
     ORDER BY "leaseExpiresAt"
     LIMIT $2`,

  publish: `SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY n`,

  jobsByIds: `SELECT ${rowAsArray} AS r FROM "Job" AS j WHERE j."id" = ANY($1::int[])`,
  jobTypeControls: `SELECT "jobType", "paused", "concurrency" FROM "JobTypeState"`,
  attemptsByIds: `SELECT ${attemptAsArray} AS r FROM "Attempt" AS a WHERE a."id" = ANY($1::int[])`,
  attemptsByJobIds: `
    SELECT ${attemptAsArray} AS r FROM (
      SELECT *, row_number() OVER (PARTITION BY "jobId" ORDER BY "attemptNumber" DESC) AS n FROM "Attempt" WHERE "jobId" = ANY($1::int[])
    ) AS a WHERE a.n <= $2 ORDER BY a."jobId", a."attemptNumber" DESC`,
  replaysByReplayOfId: `
    SELECT ${rowAsArray} AS r FROM (
      SELECT *, row_number() OVER (PARTITION BY "replayOfId" ORDER BY "id" DESC) AS n FROM "Job" WHERE "replayOfId" = ANY($1::int[])
    ) AS j WHERE j.n <= $2 ORDER BY j."id" DESC`,
  replaysByReplayOfAttemptId: `
    SELECT ${rowAsArray} AS r FROM (
      SELECT *, row_number() OVER (PARTITION BY "replayOfAttemptId" ORDER BY "id" DESC) AS n FROM "Job" WHERE "replayOfAttemptId" = ANY($1::int[])
    ) AS j WHERE j.n <= $2 ORDER BY j."id" DESC`,
};

/** The written rows, as reported by finish and release. */
function written(rows: { id: number; status: string; canceledAt: string | null }[]): WrittenJob[] {
  return rows.map((row) => ({ id: row.id, status: row.status, canceledAt: row.canceledAt === null ? null : new Date(Number(row.canceledAt)) }));
}

/**
 * SQLSTATE classes that are about the data or the statement (22 data exception, 23 integrity
 * constraint, 42 syntax or access): retrying cannot help. Anything else (no code: the connection;
 * 08 connection, 53 resources, 57 operator intervention, 40 rollback) may pass.
 */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return !['22', '23', '42'].includes(code.slice(0, 2));
}

/**
 * Every connection of ours fails instead of hanging: a connect deadline, TCP keep-alive (a
 * vanished server is noticed), a server-side statement timeout, and a client-side deadline a
 * little longer for when the server cannot even answer (a network cut).
 */
function connectionSettings(options: ClientOptions = {}, sessionOptions = ''): pg.PoolConfig {
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  return {
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    keepAlive: true,
    query_timeout: statementTimeoutMs + 5_000,
    options: `-c statement_timeout=${statementTimeoutMs} ${sessionOptions}`.trim(),
  };
}

async function open(url: string, options: ClientOptions = {}): Promise<Dialect> {
  // The hot path's own connections: Prisma's pool serves the API meanwhile.
  // Every hot-path statement reaches its rows through an index in index order: the claim walks
  // its partial index and stops after `limit` rows, a batch of ids uses the primary key. Without
  // statistics (a young table, a burst of new rows) the planner may instead scan the table to
  // join a batch (200-500 ms per 800 outcomes under a drain, measured, instead of 2) or collect
  // and sort every due job to claim 200 (so each claim costs the whole backlog). These sessions
  // run only the statements below, so they plan without scans and sorts (the pool's options).
  const pool = new pg.Pool({ connectionString: url, max: 4, ...connectionSettings(options, '-c enable_seqscan=off -c enable_bitmapscan=off -c enable_sort=off') });
  pool.on('error', () => {}); // an idle client's error: the next query on it reconnects
  // The API's reads: a pool of their own, so a burst of reads never queues the worker's writes.
  const reads = new pg.Pool({ connectionString: url, max: 4, ...connectionSettings(options) });
  reads.on('error', () => {});
  const listener = new PgListener(url);
  const observers = new Set<(name: string) => void>();
  const observe = (name: string) => {
    if (observers.size) for (const observer of observers) observer(name);
  };
  const query = <R extends pg.QueryResultRow>(name: keyof typeof sql, values: unknown[]) => {
    observe(name);
    return pool.query<R>({ name, text: sql[name], values });
  };
  const read = async <T>(name: keyof typeof sql, values: unknown[], decode: (values: unknown[]) => T): Promise<T[]> => {
    observe(name);
    return (await reads.query<{ r: unknown[] }>({ name, text: sql[name], values })).rows.map((row) => decode(row.r));
  };

  return {
    provider: 'postgresql',
    concurrentWrites: 2,
    isTransient,
    health: () => ({ listener: listener.healthy || listener.idle }),
    exclusiveTurnSql: (id) => `SELECT pg_try_advisory_xact_lock(${Math.trunc(id)}) AS locked`,
    onStatement: (observer) => {
      observers.add(observer);
      return () => observers.delete(observer);
    },

    async jobsInsert(rows, audit) {
      const texts = (key: 'jobType' | 'sourceSystem' | 'targetSystem' | 'entityType' | 'entityId' | 'correlationId' | 'activeKey') => pgArray.texts(rows.map((row) => row[key]));
      const numbers = (key: 'priority' | 'maxRetries' | 'payloadVersion' | 'replayOfId' | 'replayOfAttemptId') => pgArray.numbers(rows.map((row) => row[key]));
      const times = (key: 'scheduledAt' | 'createdAt' | 'nextRunAt') => pgArray.times(rows.map((row) => row[key]));
      const values = [
        texts('jobType'),
        texts('sourceSystem'),
        texts('targetSystem'),
        texts('entityType'),
        texts('entityId'),
        numbers('priority'),
        times('scheduledAt'),
        numbers('maxRetries'),
        numbers('payloadVersion'),
        texts('correlationId'),
        texts('activeKey'),
        times('createdAt'),
        times('nextRunAt'),
        pgArray.booleans(rows.map((row) => row.isReplay)),
        numbers('replayOfId'),
        numbers('replayOfAttemptId'),
        iso(rows[0]?.createdAt ?? new Date()),
        ...(audit ? [iso(audit.at), audit.actor, audit.role, audit.action, audit.requestId] : []),
      ];
      const result = await query<{ id: number; activeKey: string }>(audit ? 'insertAudited' : 'insert', values);
      return result.rows.map((row) => ({ id: row.id, activeKey: row.activeKey }));
    },

    async jobsClaim({ workerId, now, leaseMs, limit }) {
      const result = await query<{ r: unknown[] }>('claim', [iso(now), limit, workerId, leaseMs]);
      return result.rows.map((row) => jobFromValues(row.r));
    },

    async jobsClaimOfType({ workerId, now, leaseMs, limit, jobType }) {
      observe('claimOfType');
      const client = await pool.connect();
      let failure: Error | undefined;
      try {
        await client.query('BEGIN');
        const lock = await client.query<{ concurrency: number }>({ name: 'typeLock', text: sql.typeLock, values: [jobType] });
        const concurrency = lock.rows[0]?.concurrency;
        const claimed =
          concurrency === undefined
            ? []
            : (await client.query<{ r: unknown[] }>({ name: 'claimOfType', text: sql.claimOfType, values: [iso(now), limit, workerId, leaseMs, jobType, concurrency] })).rows;
        await client.query('COMMIT');
        return claimed.map((row) => jobFromValues(row.r));
      } catch (error) {
        failure = error as Error;
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release(failure); // a failed connection is discarded, not pooled
      }
    },

    async jobsStart({ leaseOwner, rows }) {
      if (!rows.length) return;
      await query('start', [
        leaseOwner,
        pgArray.numbers(rows.map((row) => row.id)),
        pgArray.times(rows.map((row) => row.claimedAt)),
        pgArray.times(rows.map((row) => row.startedAt)),
      ]);
    },

    async jobsFinish({ leaseOwner, rows, expiredBy }) {
      if (!rows.length) return [];
      const now = new Date();
      const result = await query<{ id: number; status: string; canceledAt: string | null }>('finish', [
        leaseOwner,
        pgArray.numbers(rows.map((row) => row.id)),
        pgArray.times(rows.map((row) => row.claimedAt)),
        pgArray.numbers(rows.map((row) => row.attemptNumber)),
        pgArray.texts(rows.map((row) => row.status)),
        pgArray.times(rows.map((row) => row.startedAt)),
        pgArray.times(rows.map((row) => row.finishedAt)),
        pgArray.booleans(rows.map((row) => row.success)),
        pgArray.numbers(rows.map((row) => row.durationMs)),
        pgArray.times(rows.map((row) => row.nextRunAt)),
        pgArray.texts(rows.map((row) => row.lastError)),
        pgArray.texts(rows.map((row) => row.lastErrorType)),
        pgArray.times(rows.map((row) => row.deadAt)),
        iso(expiredBy ?? null),
        iso(now),
        pgArray.texts(rows.map((row) => row.details)),
        pgArray.booleans(rows.map((row) => row.uncharged)),
      ]);
      return written(result.rows);
    },

    async jobsRelease({ leaseOwner, jobs, now, expiredBy }) {
      if (!jobs.length) return [];
      const result = await query<{ id: number; status: string; canceledAt: string | null }>('release', [
        leaseOwner,
        pgArray.numbers(jobs.map((job) => job.id)),
        pgArray.times(jobs.map((job) => job.claimedAt)),
        iso(now),
        iso(expiredBy ?? null),
      ]);
      return written(result.rows);
    },

    async leasesRenew({ workerId, jobs, leaseExpiresAt }) {
      if (!jobs.length) return [];
      const result = await query<{ id: number }>('renew', [
        workerId,
        pgArray.numbers(jobs.map((job) => job.id)),
        pgArray.times(jobs.map((job) => job.claimedAt)),
        iso(leaseExpiresAt),
      ]);
      return result.rows.map((row) => row.id);
    },

    async leasesExpired({ now, limit }) {
      const result = await query<{
        id: number;
        leaseOwner: string;
        claimedAt: string;
        leaseExpiresAt: string;
        attemptCount: number;
        unchargedAttempts: number;
        maxRetries: number;
        startedAt: string | null;
      }>('expired', [iso(now), limit]);
      return result.rows.map((row) => ({
        id: row.id,
        leaseOwner: row.leaseOwner,
        claimedAt: new Date(Number(row.claimedAt)),
        leaseExpiresAt: new Date(Number(row.leaseExpiresAt)),
        attemptCount: row.attemptCount,
        unchargedAttempts: row.unchargedAttempts,
        maxRetries: row.maxRetries,
        startedAt: row.startedAt === null ? null : new Date(Number(row.startedAt)),
      }));
    },

    jobsByIds: (ids) => (ids.length ? read('jobsByIds', [pgArray.numbers(ids)], jobFromValues) : Promise.resolve([])),
    jobTypeControls: async () => (await reads.query<{ jobType: string; paused: boolean; concurrency: number | null }>({ name: 'jobTypeControls', text: sql.jobTypeControls })).rows,
    async upstreamSlotReserve(target, intervalMs) {
      const result = await query<{ waitMs: string }>('paceReserve', [target, Math.ceil(intervalMs)]);
      return Math.max(0, Number(result.rows[0]!.waitMs));
    },
    async upstreamPausesLeft(targets) {
      const result = await query<{ target: string; leftMs: string }>('pausesLeft', [pgArray.texts(targets)]);
      return new Map(result.rows.map((row) => [row.target, Number(row.leftMs)]));
    },
    async upstreamPause(target, pauseMs) {
      await query('pacePause', [target, Math.ceil(pauseMs)]);
    },
    attemptsByIds: (ids) => (ids.length ? read('attemptsByIds', [pgArray.numbers(ids)], attemptFromValues) : Promise.resolve([])),
    attemptsByJobIds: (jobIds, perJob) => (jobIds.length ? read('attemptsByJobIds', [pgArray.numbers(jobIds), perJob], attemptFromValues) : Promise.resolve([])),
    replaysByParents: (parent, parentIds, perParent) =>
      parentIds.length
        ? read(parent === 'replayOfId' ? 'replaysByReplayOfId' : 'replaysByReplayOfAttemptId', [pgArray.numbers(parentIds), perParent], jobFromValues)
        : Promise.resolve([]),

    async jobsPage({ filter, now, limit, afterId, beforeId, backward }) {
      observe('jobsPage');
      const where = jobFilterSql(filter, now, flavor);
      const params = [...where.params];
      const cursor = afterId !== undefined ? `AND j."id" < $${params.push(afterId)}` : beforeId !== undefined ? `AND j."id" > $${params.push(beforeId)}` : '';
      const order = backward ? 'ASC' : 'DESC';
      const text = `SELECT ${rowAsArray} AS r FROM "Job" AS j WHERE ${where.sql} ${cursor} ORDER BY j."id" ${order} LIMIT $${params.push(limit)}`;
      // Unnamed: filters vary; the planner sees the real values.
      return (await reads.query<{ r: unknown[] }>(text, params)).rows.map((row) => jobFromValues(row.r));
    },

    async jobsCount(filter, now) {
      observe('jobsCount');
      const where = jobFilterSql(filter, now, flavor);
      const result = await reads.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE ${where.sql}`, where.params);
      return result.rows[0]!.n;
    },

    wakeListen: (onWake) => listener.listen(wakeChannel, onWake, onWake),

    async wakeNotify() {
      await pool.query(`SELECT pg_notify('${wakeChannel}', '')`);
    },

    async eventTransport(onError): Promise<EventTransport> {
      listener.onError(onError);
      let stop: (() => Promise<void>) | undefined;
      return {
        name: 'postgres-notify',
        maxPayloadBytes: notifyPayloadBytes,
        publish: async (payloads) => {
          // Many payloads, one round trip; delivered in order at commit.
          await query('publish', [eventChannel, pgArray.texts(payloads)]);
        },
        subscribe: async (onMessage, onResubscribed) => {
          stop = await listener.listen(eventChannel, onMessage, (lostAt) => onResubscribed?.(lostAt));
        },
        healthy: () => listener.healthy,
        close: async () => {
          await stop?.();
        },
      };
    },

    async close() {
      await listener.close();
      await Promise.all([pool.end(), reads.end()]);
    },
  };
}

export const postgres: DialectModule = {
  provider: 'postgresql',
  adapterFactory: (url) => new PrismaPg({ connectionString: url, max: 3 }),
  async openClient(url, options) {
    // Prisma serves the one-off writes and the rarer reads now: a small pool.
    const adapter = new PrismaPg({ connectionString: url, max: 3, ...connectionSettings(options) }, { statementNameGenerator: statementName });
    return new PrismaClient({ adapter, log: options?.queryEvents ? [{ emit: 'event', level: 'query' }] : [] }) as unknown as Db;
  },
  async prepareClient() {},
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
