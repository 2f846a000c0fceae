/**
 * Every statement SyncBridge runs on PostgreSQL through its own ports, by name: each is prepared
 * once per connection (node-postgres named statements) over array parameters (`unnest`), one
 * statement per batch. Wake-ups ride in the same statement as the write that makes jobs due
 * (`pg_notify` in a CTE, delivered at commit), so they cost no round trip.
 *
 * Times: columns are `timestamp(3)` holding UTC (Prisma's convention); parameters are ISO-8601
 * strings cast to timestamp (the zone is dropped, so the server's and the driver's time zones
 * never matter) and times come back as epoch milliseconds. A job comes back as one JSON array in
 * jobColumns order: parsing 32 columns per row the ordinary way cost more CPU than the rest of the
 * drain together.
 */
import { attemptColumns, attemptDateColumns, jobColumns, jobDateColumns } from '../jobRow.js';

export const wakeChannel = 'syncbridge_jobs_available';
export const eventChannel = 'syncbridge_job_transitions';

/** A time column as epoch ms (date_part's float is exact to the ms here, and half the cost of extract's numeric). */
export const ms = (column: string) => `round(date_part('epoch', ${column}) * 1000)::bigint`;
const asArray = (alias: string, columns: readonly string[], dates: Set<string>) =>
  `json_build_array(${columns.map((column) => (dates.has(column) ? ms(`${alias}."${column}"`) : `${alias}."${column}"`)).join(', ')})`;

/** A job row (or an attempt) as one JSON array in column order, times in epoch ms. */
export const jobAsArray = asArray('j', jobColumns, jobDateColumns);
export const attemptAsArray = asArray('a', attemptColumns, attemptDateColumns);

/**
 * The insert: $1-$16 and $18 the rows' columns as arrays, $17 now (a due job wakes the
 * workers). The audited variant adds one AuditEvent row per inserted job ($19-$23: at, actor,
 * role, action, request id) in the same statement.
 */
function insertStatement(audited: boolean): string {
  const audit = audited
    ? `, audited AS (
      INSERT INTO "AuditEvent" ("at", "actor", "role", "action", "jobId", "requestId", "outcome", "detail")
      SELECT $19::timestamp, $20::text, $21::text, $22::text, "id", $23::text, 'OK',
             CASE WHEN "replayOfId" IS NULL THEN NULL ELSE 'replay of job ' || "replayOfId" || ', attempt ' || "replayOfAttemptId" END
        FROM inserted
    )`
    : '';
  return `
    WITH inserted AS (
      INSERT INTO "Job" ("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "status", "priority",
                         "scheduledAt", "maxRetries", "attemptCount", "payloadVersion", "correlationId", "activeKey",
                         "createdAt", "updatedAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId", "payload")
      SELECT r."jobType", r."sourceSystem", r."targetSystem", r."entityType", r."entityId", 'PENDING', r."priority",
             r."scheduledAt", r."maxRetries", 0, r."payloadVersion", r."correlationId", r."activeKey",
             r."createdAt", r."createdAt", r."nextRunAt", r."isReplay", r."replayOfId", r."replayOfAttemptId", r."payload"
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamp[], $8::int[],
                    $9::int[], $10::text[], $11::text[], $12::timestamp[], $13::timestamp[], $14::bool[], $15::int[], $16::int[], $18::text[])
          AS r("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "priority", "scheduledAt", "maxRetries",
               "payloadVersion", "correlationId", "activeKey", "createdAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId", "payload")
      ON CONFLICT ("activeKey") WHERE "activeKey" IS NOT NULL DO NOTHING
      RETURNING "id", "activeKey", "nextRunAt", "replayOfId", "replayOfAttemptId"
    )${audit}, woke AS (
      SELECT pg_notify('${wakeChannel}', '') WHERE EXISTS (SELECT 1 FROM inserted WHERE "nextRunAt" <= $17::timestamp)
    )
    SELECT "id", "activeKey", (SELECT count(*) FROM woke) AS woke FROM inserted`;
}

/** Leases the rows of the `due` CTE: $1 now, $3 the worker, $4 the lease in ms (both claims; lifecycle `afterClaim`). */
const leaseDue = `
    UPDATE "Job" AS j
       SET "status" = 'RUNNING', "leaseOwner" = $3, "leaseAcquiredAt" = $1::timestamp,
           "leaseExpiresAt" = $1::timestamp + $4 * interval '1 millisecond', "attemptCount" = j."attemptCount" + 1,
           "updatedAt" = $1::timestamp
      FROM due WHERE j."id" = due."id"
    RETURNING ${jobAsArray} AS r`;

/** Statements of the work pool (the hot path), by name. */
export const workStatements = {
  insert: insertStatement(false),
  insertAudited: insertStatement(true),

  activeHolders: `SELECT "id", "activeKey" FROM "Job" WHERE "activeKey" = ANY($1::text[])`,

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

  start: `
    UPDATE "Job" AS j SET "lastStartedAt" = s."startedAt"
      FROM unnest($2::int[], $3::timestamp[], $4::timestamp[]) AS s("id", "claimedAt", "startedAt")
     WHERE j."id" = s."id" AND j."leaseOwner" = $1 AND j."leaseAcquiredAt" = s."claimedAt" AND j."status" IN ('RUNNING', 'CANCELED')`,

  // One statement: the job updates and the attempt rows commit together (lifecycle `afterFinish`);
  // a retry due at once wakes the other processes' workers at commit.
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

  // Lifecycle `afterRelease`.
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

  leasedTo: `SELECT "id", ${ms('"leaseAcquiredAt"')} AS "claimedAt" FROM "Job" WHERE "status" = 'RUNNING' AND "leaseOwner" = $1`,
  statuses: `SELECT "id", "status" FROM "Job" WHERE "id" = ANY($1::int[])`,
  controls: `SELECT "jobType", "paused", "concurrency" FROM "JobTypeState"`,

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

  wakeNotify: `SELECT pg_notify('${wakeChannel}', '')`,
  publish: `SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY n`,
} as const;

/** Statements of the general pool (the API's reads), by name. */
export const readStatements = {
  jobsByIds: `SELECT ${jobAsArray} AS r FROM "Job" AS j WHERE j."id" = ANY($1::int[])`,
  attemptsByIds: `SELECT ${attemptAsArray} AS r FROM "Attempt" AS a WHERE a."id" = ANY($1::int[])`,
  attemptsByJobIds: `
    SELECT ${attemptAsArray} AS r FROM (
      SELECT *, row_number() OVER (PARTITION BY "jobId" ORDER BY "attemptNumber" DESC) AS n FROM "Attempt" WHERE "jobId" = ANY($1::int[])
    ) AS a WHERE a.n <= $2 ORDER BY a."jobId", a."attemptNumber" DESC`,
  replaysByReplayOfId: `
    SELECT ${jobAsArray} AS r FROM (
      SELECT *, row_number() OVER (PARTITION BY "replayOfId" ORDER BY "id" DESC) AS n FROM "Job" WHERE "replayOfId" = ANY($1::int[])
    ) AS j WHERE j.n <= $2 ORDER BY j."id" DESC`,
  replaysByReplayOfAttemptId: `
    SELECT ${jobAsArray} AS r FROM (
      SELECT *, row_number() OVER (PARTITION BY "replayOfAttemptId" ORDER BY "id" DESC) AS n FROM "Job" WHERE "replayOfAttemptId" = ANY($1::int[])
    ) AS j WHERE j.n <= $2 ORDER BY j."id" DESC`,
} as const;
