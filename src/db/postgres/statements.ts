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
import { supersededWords, systemErrorTypes } from '../../domain/index.js';

/** The lastError a superseded job gets, around the follow-up's id (lifecycle `supersededError`). */
const supersededText = (followUpId: string) => `'${supersededWords[0]}' || ${followUpId} || '${supersededWords[1]}'`;
/**
 * The pairs' follow-ups of the jobs `ids` (a from-item `i` with an "id" column) names, looked up before
 * their owners' rows change: driven by those rows, two index probes each (an `= ANY` filter here
 * cost the drain a third of its rate, measured), materialized: computed once, not once per row of the update.
 */
const followUpsOf = (ids: string) => `fu AS MATERIALIZED (
      SELECT i."id" AS "jobId", o."id" AS "followUpId"
        FROM ${ids} JOIN "Job" AS j ON j."id" = i."id" JOIN "Job" AS o ON o."followUpKey" = j."jobType" || ':' || j."entityId"
    )`;

export const wakeChannel = 'syncbridge_jobs_available';
export const eventChannel = 'syncbridge_job_transitions';
/** syncbridge_enqueue (the migration's SQL function) notifies each job's id here at commit. */
export const sqlEnqueuedChannel = 'syncbridge_sql_enqueued';

/** A time column as epoch ms (date_part's float is exact to the ms here, and half the cost of extract's numeric). */
export const ms = (column: string) => `round(date_part('epoch', ${column}) * 1000)::bigint`;
/** domain `debouncedStartMs` in SQL: now + debounce rounded up to a tenth of the debounce, exact in integer ms. */
const debouncedStart = (now: string, debounceMs: string) => {
  const step = `greatest(1, ${debounceMs} / 10)`;
  return `(timestamp 'epoch' + ceil((${ms(now)} + ${debounceMs})::numeric / ${step})::bigint * ${step} * interval '1 millisecond')`;
};
const asArray = (alias: string, columns: readonly string[], dates: Set<string>) =>
  `json_build_array(${columns.map((column) => (dates.has(column) ? ms(`${alias}."${column}"`) : `${alias}."${column}"`)).join(', ')})`;

/** A job row (or an attempt) as one JSON array in column order, times in epoch ms. */
export const jobAsArray = asArray('j', jobColumns, jobDateColumns);
export const attemptAsArray = asArray('a', attemptColumns, attemptDateColumns);

/**
 * The insert: $1-$16 and $18-$21 the rows' columns as arrays, $17 now (a due job wakes the
 * workers). A pair held already, by an owner or a follow-up, is skipped (ON CONFLICT covers both
 * unique keys; the NOT EXISTS an owner inserted while only a follow-up holds it). The audited
 * variant adds one AuditEvent row per inserted job ($22-$26: at, actor, role, action, request id)
 * in the same statement.
 */
function insertStatement(audited: boolean): string {
  const audit = audited
    ? `, audited AS (
      INSERT INTO "AuditEvent" ("at", "actor", "role", "action", "jobId", "requestId", "outcome", "detail")
      SELECT $22::timestamp, $23::text, $24::text, $25::text, "id", $26::text, 'OK',
             CASE WHEN "replayOfId" IS NULL THEN NULL ELSE 'replay of job ' || "replayOfId" || ', attempt ' || "replayOfAttemptId" END
        FROM inserted
    )`
    : '';
  return `
    WITH inserted AS (
      INSERT INTO "Job" ("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "status", "priority",
                         "scheduledAt", "maxRetries", "attemptCount", "payloadVersion", "correlationId", "activeKey",
                         "createdAt", "updatedAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId", "payload",
                         "followUpKey", "coalescedCount", "groupKey")
      SELECT r."jobType", r."sourceSystem", r."targetSystem", r."entityType", r."entityId", 'PENDING', r."priority",
             r."scheduledAt", r."maxRetries", 0, r."payloadVersion", r."correlationId", r."activeKey",
             r."createdAt", r."createdAt", r."nextRunAt", r."isReplay", r."replayOfId", r."replayOfAttemptId", r."payload",
             r."followUpKey", r."coalescedCount", r."groupKey"
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamp[], $8::int[],
                    $9::int[], $10::text[], $11::text[], $12::timestamp[], $13::timestamp[], $14::bool[], $15::int[], $16::int[], $18::text[],
                    $19::text[], $20::int[], $21::text[])
          AS r("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "priority", "scheduledAt", "maxRetries",
               "payloadVersion", "correlationId", "activeKey", "createdAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId", "payload",
               "followUpKey", "coalescedCount", "groupKey")
       WHERE NOT EXISTS (SELECT 1 FROM "Job" AS f WHERE f."followUpKey" = coalesce(r."activeKey", r."followUpKey"))
      ON CONFLICT DO NOTHING
      RETURNING "id", coalesce("activeKey", "followUpKey") AS "activeKey", "nextRunAt", "replayOfId", "replayOfAttemptId"
    )${audit}, woke AS (
      SELECT pg_notify('${wakeChannel}', '') WHERE EXISTS (SELECT 1 FROM inserted WHERE "nextRunAt" <= $17::timestamp)
    )
    SELECT "id", "activeKey", (SELECT count(*) FROM woke) AS woke FROM inserted`;
}

/**
 * Leases the rows of the `due` CTE: $1 now, $3 the worker, $4 the lease in ms (both claims;
 * lifecycle `afterClaim`). A follow-up claimed takes its pair over.
 */
const leaseDue = `
    UPDATE "Job" AS j
       SET "status" = 'RUNNING', "activeKey" = coalesce(j."activeKey", j."followUpKey"), "followUpKey" = NULL,
           "leaseOwner" = $3, "leaseAcquiredAt" = $1::timestamp,
           "leaseExpiresAt" = $1::timestamp + $4 * interval '1 millisecond', "attemptCount" = j."attemptCount" + 1,
           "updatedAt" = $1::timestamp
      FROM due WHERE j."id" = due."id"
    RETURNING ${jobAsArray} AS r`;

/** Statements of the work pool (the hot path), by name. */
export const workStatements = {
  insert: insertStatement(false),
  insertAudited: insertStatement(true),

  // Owners last: they name the pair when it also has a follow-up. Two index lookups, not an OR
  // (this pool plans without bitmap scans).
  activeHolders: `
    SELECT "id", "followUpKey" AS "activeKey" FROM "Job" WHERE "followUpKey" = ANY($1::text[])
    UNION ALL
    SELECT "id", "activeKey" FROM "Job" WHERE "activeKey" = ANY($1::text[])`,

  claim: `
    WITH due AS (
      SELECT "id" FROM "Job"
       WHERE "status" = 'PENDING' AND "nextRunAt" <= $1::timestamp
         -- a follow-up waits until no job owns its pair, nor a canceled one still runs under its lease
         AND ("followUpKey" IS NULL
              OR (NOT EXISTS (SELECT 1 FROM "Job" AS o WHERE o."activeKey" = "Job"."followUpKey")
                  AND NOT EXISTS (SELECT 1 FROM "Job" AS c WHERE c."entityId" = "Job"."entityId" AND c."jobType" = "Job"."jobType"
                                                             AND c."status" = 'CANCELED' AND c."leaseExpiresAt" > $1::timestamp)))
         -- NOT EXISTS, not NOT IN: NOT IN made the planner give up the claim index (drain 21k → 1.5k jobs/s, measured)
         AND NOT EXISTS (SELECT 1 FROM "JobTypeState" AS t
                          WHERE t."jobType" = "Job"."jobType"
                            AND (t."paused" OR t."concurrency" IS NOT NULL OR t."heldBy" IS NOT NULL OR (t."grouped" AND "Job"."groupKey" IS NOT NULL)))
       ORDER BY "priority" DESC, "nextRunAt", "id"
       LIMIT $2
       FOR UPDATE SKIP LOCKED)
    ${leaseDue}`,

  // Coalescing (in one transaction): each pair's turn, in key order (no deadlock between batches)…
  // The transaction also plans joins as nested loops over index lookups only: a young table's
  // statistics made hash joins over whole-index scans look cheaper (N² at 1,000 rows, measured).
  pairLocks: `
    SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), set_config('enable_material', 'off', true),
           (SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtextextended(k, 7)) FROM (SELECT DISTINCT unnest($1::text[]) AS k ORDER BY 1) AS keys) AS locked)`,
  // …then the pair's PENDING job (its follow-up first) absorbs the enqueue (domain `debouncedStartMs`)…
  coalesceInto: `
    WITH r AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[])
        AS r("key", "payload", "payloadVersion", "count", "debounceMs", "maxDelayMs")
    ), target AS (
      -- Per change, by its key (a LATERAL with LIMIT stays a lookup per row, whatever the statistics say):
      -- the pair's follow-up, else its owner.
      SELECT h."id", h."status" AS "was", r.* FROM r CROSS JOIN LATERAL (
        SELECT f."id", f."status" FROM "Job" AS f WHERE f."followUpKey" = r."key"
        UNION ALL
        SELECT o."id", o."status" FROM "Job" AS o WHERE o."activeKey" = r."key"
        LIMIT 1
      ) AS h
    )
    UPDATE "Job" AS j
       SET "payload" = coalesce(t."payload", j."payload"),
           "payloadVersion" = CASE WHEN t."payload" IS NULL THEN j."payloadVersion" ELSE t."payloadVersion" END,
           "coalescedCount" = j."coalescedCount" + t."count",
           "nextRunAt" = CASE WHEN j."attemptCount" = 0 AND t."debounceMs" > 0
                              THEN greatest(least(${debouncedStart('$7::timestamp', 't."debounceMs"')}, j."createdAt" + t."maxDelayMs" * interval '1 millisecond'),
                                            coalesce(j."scheduledAt", j."createdAt"))
                              ELSE j."nextRunAt" END,
           "updatedAt" = $7::timestamp
      FROM target AS t
     -- PENDING, and still so (a claim may have come first), said of the target, never as a literal
     -- on the table: that matched the claim index, and the plan scanned it for every row (N² at
     -- 1,000 rows, measured)
     WHERE j."id" = t."id" AND t."was" = 'PENDING' AND j."status" = t."was"
    RETURNING ${jobAsArray} AS r, t."key"`,
  // …or, where none is PENDING, the new job is a follow-up if an owner holds the pair.
  ownedPairs: `SELECT "activeKey" FROM "Job" WHERE "activeKey" = ANY($1::text[])`,
  auditCoalesced: `
    INSERT INTO "AuditEvent" ("at", "actor", "role", "action", "jobId", "requestId", "outcome", "detail")
    SELECT $1::timestamp, $2::text, $3::text, $4::text, c."jobId", $5::text, 'OK', 'coalesced ' || c."count" || ' enqueue(s)'
      FROM unnest($6::int[], $7::int[]) AS c("jobId", "count")`,

  // A webhook delivery (in one transaction with its jobs): a repeat of (source, deliveryId) inserts
  // nothing (after waiting for a concurrent first to commit or roll back).
  deliveryInsert: `
    INSERT INTO "WebhookDelivery" ("source", "deliveryId", "eventType", "receivedAt", "requestId", "bodyBytes")
    VALUES ($1, $2, $3, $4::timestamp, $5, $6)
    ON CONFLICT DO NOTHING
    RETURNING "id"`,
  deliveryBySourceId: `SELECT "id" FROM "WebhookDelivery" WHERE "source" = $1 AND "deliveryId" = $2`,
  deliveryJobs: `
    INSERT INTO "WebhookDeliveryJob" ("webhookDeliveryId", "jobId", "outcome")
    SELECT $1::int, j."jobId", j."outcome" FROM unnest($2::int[], $3::text[]) AS j("jobId", "outcome")
    ON CONFLICT DO NOTHING`,

  // Holds the type's row until commit: claims of one limited type take turns across processes.
  typeLock: `SELECT "concurrency" FROM "JobTypeState" WHERE "jobType" = $1 AND NOT "paused" AND "heldBy" IS NULL AND "concurrency" IS NOT NULL FOR UPDATE`,
  // A circuit's probe: one due job of the types it holds (their holds are what keep the claims off them).
  claimProbe: `
    WITH due AS (
      SELECT "id" FROM "Job"
       WHERE "status" = 'PENDING' AND "nextRunAt" <= $1::timestamp AND "followUpKey" IS NULL AND "jobType" = ANY($5::text[])
         AND NOT EXISTS (SELECT 1 FROM "JobTypeState" AS t WHERE t."jobType" = "Job"."jobType" AND t."paused")
       ORDER BY "priority" DESC, "nextRunAt", "id"
       LIMIT $2
       FOR UPDATE SKIP LOCKED)
    ${leaseDue}`,
  // Run after typeLock, in its transaction: a new snapshot, so the RUNNING count includes every
  // claim committed by the turns before this one.
  claimOfType: `
    WITH due AS (
      SELECT "id" FROM "Job"
       WHERE "status" = 'PENDING' AND "jobType" = $5 AND "nextRunAt" <= $1::timestamp
         AND ("followUpKey" IS NULL
              OR (NOT EXISTS (SELECT 1 FROM "Job" AS o WHERE o."activeKey" = "Job"."followUpKey")
                  AND NOT EXISTS (SELECT 1 FROM "Job" AS c WHERE c."entityId" = "Job"."entityId" AND c."jobType" = "Job"."jobType"
                                                             AND c."status" = 'CANCELED' AND c."leaseExpiresAt" > $1::timestamp)))
         -- a grouped type's jobs with a group are the fair claim's (claimGrouped)
         AND NOT ("groupKey" IS NOT NULL AND EXISTS (SELECT 1 FROM "JobTypeState" AS g WHERE g."jobType" = $5 AND g."grouped"))
       ORDER BY "priority" DESC, "nextRunAt", "id"
       LIMIT greatest(0, least($2, $6 - (SELECT count(*) FROM "Job" AS r WHERE r."status" = 'RUNNING' AND r."jobType" = $5)))
       FOR UPDATE SKIP LOCKED)
    ${leaseDue}`,

  // A grouped type's row, locked until commit: its fair claims take turns across processes, and
  // read its limits; none while it is paused or held by an open circuit.
  groupedTypeLock: `
    SELECT "concurrency", "groupConcurrency",
           CASE WHEN "concurrency" IS NULL THEN 0 ELSE (SELECT count(*) FROM "Job" AS r WHERE r."status" = 'RUNNING' AND r."jobType" = $1) END AS "running"
      FROM "JobTypeState" WHERE "jobType" = $1 AND NOT "paused" AND "heldBy" IS NULL AND "grouped" FOR UPDATE`,
  // The fair claim (after groupedTypeLock, in its transaction: the RUNNING counts include every
  // claim committed before this turn). $5 the type, $6 the last group served, $7 the groups to walk
  // at most, $8 the type's groupConcurrency, $9 how many the type may still start, $10 how many of
  // one group's jobs this pass may take. The groups with
  // PENDING jobs after $6 in key order, one index probe each; paused ones and those at their limit
  // skipped; the first due job of each group, then the second of each, …
  claimGrouped: `
    WITH RECURSIVE walk(n, k) AS (
        SELECT 1, (SELECT j."groupKey" FROM "Job" AS j WHERE j."status" = 'PENDING' AND j."jobType" = $5 AND j."groupKey" > $6 ORDER BY j."groupKey" LIMIT 1)
      UNION ALL
        SELECT w.n + 1, (SELECT j."groupKey" FROM "Job" AS j WHERE j."status" = 'PENDING' AND j."jobType" = $5 AND j."groupKey" > w.k ORDER BY j."groupKey" LIMIT 1)
          FROM walk AS w WHERE w.k IS NOT NULL AND w.n < $7
    ), groups AS (
      SELECT w.n, w.k, CASE WHEN coalesce(s."concurrency", $8::int) IS NULL THEN $2::int
                            ELSE (coalesce(s."concurrency", $8::int)
                                  - (SELECT count(*) FROM "Job" AS r WHERE r."status" = 'RUNNING' AND r."jobType" = $5 AND r."groupKey" = w.k))::int END AS room
        FROM walk AS w LEFT JOIN "JobGroupState" AS s ON s."jobType" = $5 AND s."groupKey" = w.k
       WHERE w.k IS NOT NULL AND NOT coalesce(s."paused", false)
    ), picks AS (
      SELECT p."id", g.n, row_number() OVER (PARTITION BY g.k ORDER BY p."priority" DESC, p."nextRunAt", p."id") AS rn
        FROM groups AS g CROSS JOIN LATERAL (
          SELECT c."id", c."priority", c."nextRunAt" FROM "Job" AS c
           WHERE c."status" = 'PENDING' AND c."jobType" = $5 AND c."groupKey" = g.k AND c."nextRunAt" <= $1::timestamp
             AND (c."followUpKey" IS NULL
                  OR (NOT EXISTS (SELECT 1 FROM "Job" AS o WHERE o."activeKey" = c."followUpKey")
                      AND NOT EXISTS (SELECT 1 FROM "Job" AS x WHERE x."entityId" = c."entityId" AND x."jobType" = c."jobType"
                                                                 AND x."status" = 'CANCELED' AND x."leaseExpiresAt" > $1::timestamp)))
           ORDER BY c."priority" DESC, c."nextRunAt", c."id"
           LIMIT greatest(0, least(g.room, $2::int, $10::int))) AS p
    ), due AS (
      SELECT "id" FROM "Job" WHERE "id" IN (SELECT "id" FROM picks ORDER BY rn, n LIMIT $9)
      FOR UPDATE SKIP LOCKED)
    ${leaseDue}`,
  pausedGroups: `SELECT "jobType", "groupKey" FROM "JobGroupState" WHERE "paused"`,
  markGrouped: `UPDATE "JobTypeState" SET "grouped" = true WHERE "jobType" = ANY($1::text[]) AND NOT "grouped"`,

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
    ), ${followUpsOf('f AS i')}, updated AS (
      UPDATE "Job" AS j
         SET "status" = CASE WHEN j."status" = 'CANCELED' THEN 'CANCELED'
                             WHEN f."status" = 'PENDING' AND fu."followUpId" IS NOT NULL THEN 'CANCELED' ELSE f."status" END,
             "activeKey" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'PENDING' AND fu."followUpId" IS NULL THEN j."activeKey" END,
             "nextRunAt" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'PENDING' AND fu."followUpId" IS NULL THEN f."nextRunAt" ELSE j."nextRunAt" END,
             "canceledAt" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'PENDING' AND fu."followUpId" IS NOT NULL THEN f."finishedAt" ELSE j."canceledAt" END,
             "deadAt" = CASE WHEN j."status" = 'RUNNING' THEN f."deadAt" END,
             "deadError" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'DEAD' THEN f."lastError" END,
             "deadErrorType" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'DEAD' THEN f."lastErrorType" END,
             "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL,
             "attemptCount" = f."attemptNumber",
             "unchargedAttempts" = j."unchargedAttempts" + CASE WHEN f."uncharged" THEN 1 ELSE 0 END,
             "lastStartedAt" = f."startedAt",
             "lastFinishedAt" = f."finishedAt",
             "lastDurationMs" = f."durationMs",
             "lastError" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'PENDING' AND fu."followUpId" IS NOT NULL
                                THEN ${supersededText('fu."followUpId"')} ELSE f."lastError" END,
             "lastErrorType" = CASE WHEN j."status" = 'RUNNING' AND f."status" = 'PENDING' AND fu."followUpId" IS NOT NULL
                                    THEN '${systemErrorTypes.superseded}' ELSE f."lastErrorType" END,
             "updatedAt" = f."finishedAt"
        FROM f LEFT JOIN fu ON fu."jobId" = f."id"
       WHERE j."id" = f."id"
         AND j."leaseOwner" = $1
         AND j."leaseAcquiredAt" = f."claimedAt"
         AND j."status" IN ('RUNNING', 'CANCELED')
         AND ($14::timestamp IS NULL OR j."leaseExpiresAt" < $14::timestamp)
      RETURNING j."id", j."status", j."canceledAt", j."nextRunAt", fu."followUpId", j."lastErrorType" = '${systemErrorTypes.superseded}' AS "superseded"
    ), attempts AS (
      INSERT INTO "Attempt" ("jobId", "attemptNumber", "startedAt", "finishedAt", "success", "errorSummary", "errorType", "durationMs", "details")
      SELECT u."id", f."attemptNumber", f."startedAt", f."finishedAt", f."success", f."lastError", f."lastErrorType", f."durationMs", f."details"
        FROM updated AS u JOIN f ON f."id" = u."id"
    ), woke AS (
      -- a retry due now, or a follow-up its owner just let go of
      SELECT pg_notify('${wakeChannel}', '')
       WHERE EXISTS (SELECT 1 FROM updated WHERE ("status" = 'PENDING' AND "nextRunAt" <= $15::timestamp) OR ("followUpId" IS NOT NULL AND "status" <> 'PENDING'))
    )
    SELECT "id", "status", ${ms('"canceledAt"')} AS "canceledAt", "followUpId", "superseded", (SELECT count(*) FROM woke) AS woke FROM updated`,

  // Lifecycle `afterRelease` (superseded by the pair's follow-up, like finish).
  release: `
    WITH ${followUpsOf('unnest($2::int[]) AS i("id")')}, released AS (
      UPDATE "Job" AS j
         SET "status" = CASE WHEN j."status" = 'CANCELED' OR fu."followUpId" IS NOT NULL THEN 'CANCELED' ELSE 'PENDING' END,
             "nextRunAt" = CASE WHEN j."status" = 'CANCELED' OR fu."followUpId" IS NOT NULL THEN j."nextRunAt" ELSE $4::timestamp END,
             "activeKey" = CASE WHEN fu."followUpId" IS NULL THEN j."activeKey" END,
             "canceledAt" = CASE WHEN j."status" = 'RUNNING' AND fu."followUpId" IS NOT NULL THEN $4::timestamp ELSE j."canceledAt" END,
             "lastError" = CASE WHEN j."status" = 'RUNNING' AND fu."followUpId" IS NOT NULL THEN ${supersededText('fu."followUpId"')} ELSE j."lastError" END,
             "lastErrorType" = CASE WHEN j."status" = 'RUNNING' AND fu."followUpId" IS NOT NULL THEN '${systemErrorTypes.superseded}' ELSE j."lastErrorType" END,
             "attemptCount" = j."attemptCount" - 1,
             "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = $4::timestamp
        FROM unnest($2::int[], $3::timestamp[]) AS r("id", "claimedAt") LEFT JOIN fu ON fu."jobId" = r."id"
       WHERE j."id" = r."id" AND j."leaseOwner" = $1 AND j."leaseAcquiredAt" = r."claimedAt"
         AND j."status" IN ('RUNNING', 'CANCELED')
         AND ($5::timestamp IS NULL OR j."leaseExpiresAt" < $5::timestamp)
      RETURNING j."id", j."status", j."canceledAt", fu."followUpId", j."lastErrorType" = '${systemErrorTypes.superseded}' AS "superseded"
    ), woke AS (
      SELECT pg_notify('${wakeChannel}', '') WHERE EXISTS (SELECT 1 FROM released WHERE "status" = 'PENDING' OR "followUpId" IS NOT NULL)
    )
    SELECT "id", "status", ${ms('"canceledAt"')} AS "canceledAt", "followUpId", "superseded", (SELECT count(*) FROM woke) AS woke FROM released`,

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
  controls: `SELECT "jobType", "paused", "concurrency", "heldBy", "grouped" FROM "JobTypeState"`,

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
