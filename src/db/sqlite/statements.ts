/**
 * Every statement SyncBridge runs on SQLite through its own ports, by name, each prepared once on
 * the hot path's better-sqlite3 connection. One writer at a time, so a claim needs no row locks:
 * a single `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING` is atomic (River's riversqlite
 * does the same). A batch is one transaction of per-row statements: microseconds each, there is
 * no round trip to save. Times are integer milliseconds since the epoch.
 */
import { attemptColumns, jobColumns } from '../jobRow.js';
import { supersededWords, systemErrorTypes } from '../../domain/index.js';

export const jobSelect = jobColumns.map((column) => `"${column}"`).join(', ');
export const attemptSelect = attemptColumns.map((column) => `"${column}"`).join(', ');

/**
 * Leases the rows the subquery that follows picks (the claims; lifecycle `afterClaim`): @now,
 * @workerId, @expires. The plain claim leaves the pair's keys alone: naming an indexed column in SET
 * costs SQLite that index's upkeep on every claimed row, even at the same value (a tenth of the
 * drain, measured), so only a claimed follow-up takes its pair over.
 */
const lease = (pairKeys: string) => `UPDATE "Job"
            SET "status" = 'RUNNING',${pairKeys} "leaseOwner" = @workerId, "leaseAcquiredAt" = @now,
                "leaseExpiresAt" = @expires, "attemptCount" = "attemptCount" + 1, "updatedAt" = @now
          WHERE "id" IN`;
const leaseWhere = lease('');
const leaseFollowUp = lease(' "activeKey" = coalesce("activeKey", "followUpKey"), "followUpKey" = NULL,');
/** A follow-up may run once no job owns its pair, nor a canceled one still runs under its lease. */
const followUpFree = `NOT EXISTS (SELECT 1 FROM "Job" AS o WHERE o."activeKey" = "Job"."followUpKey")
                   AND NOT EXISTS (SELECT 1 FROM "Job" AS c WHERE c."entityId" = "Job"."entityId" AND c."jobType" = "Job"."jobType"
                                                              AND c."status" = 'CANCELED' AND c."leaseExpiresAt" > @now)`;
const uncontrolled = `NOT EXISTS (SELECT 1 FROM "JobTypeState" AS t
                                    WHERE t."jobType" = "Job"."jobType"
                                      AND (t."paused" OR t."concurrency" IS NOT NULL OR t."heldBy" IS NOT NULL OR (t."grouped" AND "Job"."groupKey" IS NOT NULL)))`;
/** A follow-up may run once no job owns its pair, nor a canceled one still runs under its lease (of `c`). */
const followUpFreeOf = (c: string) => `(${c}."followUpKey" IS NULL OR (NOT EXISTS (SELECT 1 FROM "Job" AS o WHERE o."activeKey" = ${c}."followUpKey")
                AND NOT EXISTS (SELECT 1 FROM "Job" AS x WHERE x."entityId" = ${c}."entityId" AND x."jobType" = ${c}."jobType"
                                                          AND x."status" = 'CANCELED' AND x."leaseExpiresAt" > @now)))`;

/** The pair's follow-up of the row being written (finish, release), one index probe where it is read. */
const followUp = `(SELECT f."id" FROM "Job" AS f WHERE f."followUpKey" = "Job"."jobType" || ':' || "Job"."entityId")`;
const superseded = `'${supersededWords[0]}' || ${followUp} || '${supersededWords[1]}'`;

/** A coalescing batch's changes, each with the id of its pair's follow-up, else of its owner. */
const pairTargets = `SELECT value ->> 0 AS "key", value ->> 1 AS "payload", value ->> 2 AS "payloadVersion", value ->> 3 AS "count",
                            value ->> 4 AS "debounceMs", value ->> 5 AS "maxDelayMs",
                            coalesce((SELECT f."id" FROM "Job" AS f WHERE f."followUpKey" = value ->> 0),
                                     (SELECT o."id" FROM "Job" AS o WHERE o."activeKey" = value ->> 0)) AS "id"
                       FROM json_each(@changes)`;
/** The newer payload wins (when one is given), and the count grows. */
const absorbed = `"payload" = coalesce(c."payload", "Job"."payload"),
                  "payloadVersion" = CASE WHEN c."payload" IS NULL THEN "Job"."payloadVersion" ELSE c."payloadVersion" END,
                  "coalescedCount" = "Job"."coalescedCount" + c."count"`;
/**
 * An unstarted job's start after a change: domain `debouncedStartMs` (now + debounce rounded up to
 * a tenth of it), never past `maxDelayMs` after its first enqueue nor before its scheduledAt; a job
 * waiting out a retry keeps its backoff. PostgreSQL's coalesceInto computes the same. Integer
 * arithmetic throughout: better-sqlite3 binds every JS number as a REAL.
 */
const debounceStep = `max(1, c."debounceMs" / 10)`;
const coalescedStart = `CASE WHEN "Job"."attemptCount" = 0 AND c."debounceMs" > 0
      THEN max(min((CAST(@now AS INTEGER) + c."debounceMs" + ${debounceStep} - 1) / ${debounceStep} * ${debounceStep}, "Job"."createdAt" + c."maxDelayMs"), coalesce("Job"."scheduledAt", 0))
      ELSE "Job"."nextRunAt" END`;

/** Statements whose rows come back as arrays of values (jobColumns / attemptColumns order). */
export const rawStatements = {
  claim: `${leaseWhere} (
                SELECT "id" FROM "Job"
                 WHERE "status" = 'PENDING' AND "nextRunAt" <= @now AND "followUpKey" IS NULL
                   AND ${uncontrolled}
                 ORDER BY "priority" DESC, "nextRunAt", "id"
                 LIMIT @limit)
        RETURNING ${jobSelect}`,
  // The due follow-ups free to run, through their own small index (the claim's first step, when any exists).
  claimFollowUps: `${leaseFollowUp} (
                SELECT "id" FROM "Job"
                 WHERE "followUpKey" IS NOT NULL AND "status" = 'PENDING' AND "nextRunAt" <= @now
                   AND ${followUpFree}
                   AND ${uncontrolled}
                 ORDER BY "priority" DESC, "nextRunAt", "id"
                 LIMIT @limit)
        RETURNING ${jobSelect}`,
  // One writer at a time: the RUNNING count read here is the count this statement leaves.
  claimOfType: `${leaseFollowUp} (
                SELECT "id" FROM "Job"
                 WHERE "status" = 'PENDING' AND "jobType" = @jobType AND "nextRunAt" <= @now
                   AND ("followUpKey" IS NULL OR (${followUpFree}))
                   -- a grouped type's jobs with a group are the fair claim's (claimGrouped)
                   AND NOT ("groupKey" IS NOT NULL AND EXISTS (SELECT 1 FROM "JobTypeState" AS g WHERE g."jobType" = @jobType AND g."grouped"))
                 ORDER BY "priority" DESC, "nextRunAt", "id"
                 LIMIT coalesce((
                   SELECT max(0, min(@limit, t."concurrency" - (SELECT count(*) FROM "Job" AS r WHERE r."status" = 'RUNNING' AND r."jobType" = @jobType)))
                     FROM "JobTypeState" AS t WHERE t."jobType" = @jobType AND NOT t."paused" AND t."heldBy" IS NULL AND t."concurrency" IS NOT NULL), 0))
        RETURNING ${jobSelect}`,
  // The fair claim (one writer: nothing moves between its statements), leasing the ids chosen.
  claimGroupedIds: `${leaseFollowUp} (SELECT value FROM json_each(@ids)) RETURNING ${jobSelect}`,
  // The same when no pair has a follow-up: leaving the pair keys alone spares their indexes' upkeep.
  claimGroupedIdsPlain: `${leaseWhere} (SELECT value FROM json_each(@ids)) RETURNING ${jobSelect}`,
  // A circuit's probe: one due job of the types it holds (their holds are what keep the claims off them).
  claimProbe: `${leaseWhere} (
                SELECT "id" FROM "Job"
                 WHERE "status" = 'PENDING' AND "nextRunAt" <= @now AND "followUpKey" IS NULL
                   AND "jobType" IN (SELECT value FROM json_each(@jobTypes))
                   AND NOT EXISTS (SELECT 1 FROM "JobTypeState" AS t WHERE t."jobType" = "Job"."jobType" AND t."paused")
                 ORDER BY "priority" DESC, "nextRunAt", "id"
                 LIMIT 1)
        RETURNING ${jobSelect}`,
  jobsByIds: `SELECT ${jobSelect} FROM "Job" WHERE "id" IN (SELECT value FROM json_each(?))`,
  // A pair's jobs (coalescing): its follow-up, its owner.
  followUpByKey: `SELECT ${jobSelect} FROM "Job" WHERE "followUpKey" = ?`,
  ownerByKey: `SELECT ${jobSelect} FROM "Job" WHERE "activeKey" = ?`,
  // A batch's pairs at once (coalescing): their follow-ups, then their owners. One statement for
  // a thousand keys instead of two per key: a COALESCE burst is mostly these lookups.
  attemptsByIds: `SELECT ${attemptSelect} FROM "Attempt" WHERE "id" IN (SELECT value FROM json_each(?))`,
  attemptsByJobIds: `SELECT ${attemptSelect} FROM (
           SELECT *, row_number() OVER (PARTITION BY "jobId" ORDER BY "attemptNumber" DESC) AS n FROM "Attempt"
            WHERE "jobId" IN (SELECT value FROM json_each(?))
         ) WHERE n <= ? ORDER BY "jobId", "attemptNumber" DESC`,
  replaysByReplayOfId: `SELECT ${jobSelect} FROM (
           SELECT *, row_number() OVER (PARTITION BY "replayOfId" ORDER BY "id" DESC) AS n FROM "Job"
            WHERE "replayOfId" IN (SELECT value FROM json_each(?))
         ) WHERE n <= ? ORDER BY "id" DESC`,
  replaysByReplayOfAttemptId: `SELECT ${jobSelect} FROM (
           SELECT *, row_number() OVER (PARTITION BY "replayOfAttemptId" ORDER BY "id" DESC) AS n FROM "Job"
            WHERE "replayOfAttemptId" IN (SELECT value FROM json_each(?))
         ) WHERE n <= ? ORDER BY "id" DESC`,
} as const;

/** Statements whose rows come back as objects. */
export const statements = {
  // A pair held already (its owner or its follow-up) is skipped: ON CONFLICT covers both unique keys.
  insert: `
      INSERT INTO "Job" ("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "status", "priority",
                         "scheduledAt", "maxRetries", "attemptCount", "payloadVersion", "correlationId", "activeKey",
                         "createdAt", "updatedAt", "nextRunAt", "isReplay", "replayOfId", "replayOfAttemptId", "payload",
                         "followUpKey", "coalescedCount", "groupKey")
      VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT DO NOTHING
      RETURNING "id"`,
  // A delivery seen before (its source and id) inserts nothing and returns no row.
  deliveryInsert: `
      INSERT INTO "WebhookDelivery" ("source", "deliveryId", "eventType", "receivedAt", "requestId", "bodyBytes")
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT DO NOTHING
      RETURNING "id"`,
  deliveryBySourceId: `SELECT "id" FROM "WebhookDelivery" WHERE "source" = ? AND "deliveryId" = ?`,
  // One row per job: a delivery naming one pair twice reaches the same job.
  deliveryJob: `INSERT INTO "WebhookDeliveryJob" ("webhookDeliveryId", "jobId", "outcome") VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
  // Whether any pair has a follow-up (almost never): only then does an insert look them up.
  anyFollowUp: `SELECT 1 FROM "Job" WHERE "followUpKey" IS NOT NULL LIMIT 1`,
  followUpsHeld: `SELECT "followUpKey" FROM "Job" WHERE "followUpKey" IN (SELECT value FROM json_each(?))`,
  audit: `
      INSERT INTO "AuditEvent" ("at", "actor", "role", "action", "jobId", "requestId", "outcome", "detail")
      VALUES (?, ?, ?, ?, ?, ?, 'OK', ?)`,
  // Owners last: they name the pair when it also has a follow-up.
  activeHolders: `SELECT "id", "followUpKey" AS "activeKey" FROM "Job" WHERE "followUpKey" IN (SELECT value FROM json_each(@keys))
        UNION ALL
        SELECT "id", "activeKey" FROM "Job" WHERE "activeKey" IN (SELECT value FROM json_each(@keys))`,
  // Coalescing (lifecycle: the pair's PENDING job absorbs the change): every change of a batch of
  // distinct pairs, [key, payload, payloadVersion, count, debounceMs, maxDelayMs] in one JSON
  // array, in one statement for the absorbing jobs whose start stays (most of a debounced burst)
  // and one for those it moves, since SQLite rewrites the indexes of every column an UPDATE names.
  // Each returns its jobs whole as JSON arrays: better-sqlite3 hands back 36 values a row at ~60 ns
  // each, and JSON.parse reads them in 0.6 of that time (measured). A change left over has no PENDING job.
  coalesceKeepingStart: `UPDATE "Job" SET ${absorbed}, "updatedAt" = @now
       FROM (${pairTargets}) AS c
      WHERE "Job"."id" = c."id" AND "Job"."status" = 'PENDING' AND ${coalescedStart} = "Job"."nextRunAt"
  RETURNING json_array(${jobSelect}) AS "row"`,
  coalesceMovingStart: `UPDATE "Job" SET ${absorbed}, "nextRunAt" = ${coalescedStart}, "updatedAt" = @now
       FROM (${pairTargets}) AS c
      WHERE "Job"."id" = c."id" AND "Job"."status" = 'PENDING'
  RETURNING json_array(${jobSelect}) AS "row"`,
  start: `UPDATE "Job" SET "lastStartedAt" = ?
        WHERE "id" = ? AND "leaseOwner" = ? AND "leaseAcquiredAt" = ? AND "status" IN ('RUNNING', 'CANCELED')`,
  // The attempt first, under the same conditions the update checks, while the row still shows the lease.
  attempt: `INSERT INTO "Attempt" ("jobId", "attemptNumber", "startedAt", "finishedAt", "success", "errorSummary", "errorType", "durationMs", "details")
       SELECT "id", @attemptNumber, @startedAt, @finishedAt, @success, @lastError, @lastErrorType, @durationMs, @details FROM "Job"
        WHERE "id" = @id AND "leaseOwner" = @leaseOwner AND "leaseAcquiredAt" = @claimedAt AND "status" IN ('RUNNING', 'CANCELED')
          AND (@expiredBy IS NULL OR "leaseExpiresAt" < @expiredBy)`,
  // Lifecycle `afterFinish`: the pair's follow-up, if any, supersedes a job going back to PENDING.
  finish: `UPDATE "Job"
          SET "status" = CASE WHEN "status" = 'CANCELED' THEN 'CANCELED'
                              WHEN @status = 'PENDING' AND ${followUp} IS NOT NULL THEN 'CANCELED' ELSE @status END,
              "activeKey" = CASE WHEN "status" = 'RUNNING' AND @status = 'PENDING' AND ${followUp} IS NULL THEN "activeKey" END,
              "nextRunAt" = CASE WHEN "status" = 'RUNNING' AND @status = 'PENDING' AND ${followUp} IS NULL THEN @nextRunAt ELSE "nextRunAt" END,
              "canceledAt" = CASE WHEN "status" = 'RUNNING' AND @status = 'PENDING' AND ${followUp} IS NOT NULL THEN @finishedAt ELSE "canceledAt" END,
              "deadAt" = CASE WHEN "status" = 'RUNNING' THEN @deadAt END,
              "deadError" = CASE WHEN "status" = 'RUNNING' AND @status = 'DEAD' THEN @lastError END,
              "deadErrorType" = CASE WHEN "status" = 'RUNNING' AND @status = 'DEAD' THEN @lastErrorType END,
              "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL,
              "attemptCount" = @attemptNumber,
              "unchargedAttempts" = "unchargedAttempts" + @uncharged,
              "lastStartedAt" = @startedAt,
              "lastFinishedAt" = @finishedAt,
              "lastDurationMs" = @durationMs,
              "lastError" = CASE WHEN "status" = 'RUNNING' AND @status = 'PENDING' AND ${followUp} IS NOT NULL THEN ${superseded} ELSE @lastError END,
              "lastErrorType" = CASE WHEN "status" = 'RUNNING' AND @status = 'PENDING' AND ${followUp} IS NOT NULL THEN '${systemErrorTypes.superseded}' ELSE @lastErrorType END,
              "updatedAt" = @finishedAt
        WHERE "id" = @id AND "leaseOwner" = @leaseOwner AND "leaseAcquiredAt" = @claimedAt AND "status" IN ('RUNNING', 'CANCELED')
          AND (@expiredBy IS NULL OR "leaseExpiresAt" < @expiredBy)
      RETURNING "id", "status", "canceledAt", "lastErrorType" = '${systemErrorTypes.superseded}' AS "superseded", ${followUp} AS "followUpId"`,
  // Lifecycle `afterRelease` (superseded by the pair's follow-up, like finish).
  release: `UPDATE "Job"
          SET "status" = CASE WHEN "status" = 'CANCELED' OR ${followUp} IS NOT NULL THEN 'CANCELED' ELSE 'PENDING' END,
              "nextRunAt" = CASE WHEN "status" = 'CANCELED' OR ${followUp} IS NOT NULL THEN "nextRunAt" ELSE @now END,
              "activeKey" = CASE WHEN ${followUp} IS NULL THEN "activeKey" END,
              "canceledAt" = CASE WHEN "status" = 'RUNNING' AND ${followUp} IS NOT NULL THEN @now ELSE "canceledAt" END,
              "lastError" = CASE WHEN "status" = 'RUNNING' AND ${followUp} IS NOT NULL THEN ${superseded} ELSE "lastError" END,
              "lastErrorType" = CASE WHEN "status" = 'RUNNING' AND ${followUp} IS NOT NULL THEN '${systemErrorTypes.superseded}' ELSE "lastErrorType" END,
              "attemptCount" = "attemptCount" - 1,
              "leaseOwner" = NULL, "leaseAcquiredAt" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = @now
        WHERE "id" = @id AND "leaseOwner" = @leaseOwner AND "leaseAcquiredAt" = @claimedAt AND "status" IN ('RUNNING', 'CANCELED')
          AND (@expiredBy IS NULL OR "leaseExpiresAt" < @expiredBy)
      RETURNING "id", "status", "canceledAt", "lastErrorType" = '${systemErrorTypes.superseded}' AS "superseded", ${followUp} AS "followUpId"`,
  renew: `UPDATE "Job" SET "leaseExpiresAt" = ?
        WHERE "id" = ? AND "leaseOwner" = ? AND "leaseAcquiredAt" = ? AND "status" = 'RUNNING'
      RETURNING "id"`,
  expired: `SELECT "id", "leaseOwner", "leaseAcquiredAt" AS "claimedAt", "leaseExpiresAt", "attemptCount", "unchargedAttempts", "maxRetries",
              CASE WHEN "lastStartedAt" >= "leaseAcquiredAt" THEN "lastStartedAt" END AS "startedAt"
         FROM "Job" WHERE "status" = 'RUNNING' AND "leaseExpiresAt" < ? ORDER BY "leaseExpiresAt" LIMIT ?`,
  leasedTo: `SELECT "id", "leaseAcquiredAt" AS "claimedAt" FROM "Job" WHERE "status" = 'RUNNING' AND "leaseOwner" = ?`,
  statuses: `SELECT "id", "status" FROM "Job" WHERE "id" IN (SELECT value FROM json_each(?))`,
  controls: `SELECT "jobType", "paused", "concurrency", "heldBy", "grouped", "groupConcurrency" FROM "JobTypeState"`,
  // The fair claim's groups: those with PENDING jobs after @after in key order (one index probe
  // each, at most @walk), paused ones aside, with each one's first due job (most claims need no more), each with the room its limit (its own, else
  // @groupConcurrency; without one, @limit) leaves, its RUNNING jobs counted only then. The status
  // IN term lets SQLite's prover use the partial index.
  groupsWalk: `
    WITH RECURSIVE walk(n, k) AS (
        SELECT 1, (SELECT j."groupKey" FROM "Job" AS j WHERE j."status" = 'PENDING' AND j."jobType" = @jobType AND j."groupKey" > @after ORDER BY j."groupKey" LIMIT 1)
      UNION ALL
        SELECT w.n + 1, (SELECT j."groupKey" FROM "Job" AS j WHERE j."status" = 'PENDING' AND j."jobType" = @jobType AND j."groupKey" > w.k ORDER BY j."groupKey" LIMIT 1)
          FROM walk AS w WHERE w.k IS NOT NULL AND w.n < @walk)
    SELECT w.k AS "groupKey",
           CASE WHEN coalesce(s."concurrency", @groupConcurrency) IS NULL THEN @limit
                ELSE coalesce(s."concurrency", @groupConcurrency)
                     - (SELECT count(*) FROM "Job" AS r WHERE r."status" IN ('PENDING', 'RUNNING') AND r."status" = 'RUNNING' AND r."jobType" = @jobType AND r."groupKey" = w.k) END AS "room",
           (SELECT c."id" FROM "Job" AS c
             WHERE c."status" = 'PENDING' AND c."jobType" = @jobType AND c."groupKey" = w.k AND c."nextRunAt" <= @now AND ${followUpFreeOf('c')}
             ORDER BY c."priority" DESC, c."nextRunAt", c."id" LIMIT 1) AS "firstId"
      FROM walk AS w LEFT JOIN "JobGroupState" AS s ON s."jobType" = @jobType AND s."groupKey" = w.k
     WHERE w.k IS NOT NULL AND NOT coalesce(s."paused", 0)
     ORDER BY w.n`,
  // One group's next due jobs in claim order (Job_groupClaim_idx).
  groupDue: `SELECT c."id" FROM "Job" AS c
              WHERE c."status" = 'PENDING' AND c."jobType" = @jobType AND c."groupKey" = @groupKey AND c."nextRunAt" <= @now AND ${followUpFreeOf('c')}
              ORDER BY c."priority" DESC, c."nextRunAt", c."id" LIMIT @limit`,
  pausedGroups: `SELECT "jobType", "groupKey" FROM "JobGroupState" WHERE "paused"`,
  markGrouped: `UPDATE "JobTypeState" SET "grouped" = 1 WHERE "jobType" IN (SELECT value FROM json_each(?)) AND NOT "grouped"`,
  // A grouped type's claim settings (paused or held: no row), and its RUNNING jobs when it is limited.
  groupedType: `SELECT "concurrency", "groupConcurrency",
                       CASE WHEN "concurrency" IS NULL THEN 0 ELSE (SELECT count(*) FROM "Job" AS r WHERE r."status" = 'RUNNING' AND r."jobType" = @jobType) END AS "running"
                  FROM "JobTypeState" WHERE "jobType" = @jobType AND NOT "paused" AND "heldBy" IS NULL AND "grouped"`,
  paceReserve: `INSERT INTO "UpstreamPace" ("target", "nextSlotMs", "pausedUntilMs") VALUES (@target, @now + @interval, 0)
       ON CONFLICT ("target") DO UPDATE SET "nextSlotMs" = max("nextSlotMs", "pausedUntilMs", @now) + @interval
       RETURNING "nextSlotMs" - @interval - @now AS "waitMs"`,
  pausesLeft: `SELECT "target", "pausedUntilMs" - ? AS "leftMs" FROM "UpstreamPace" WHERE "target" IN (SELECT value FROM json_each(?))`,
  pacePause: `INSERT INTO "UpstreamPace" ("target", "nextSlotMs", "pausedUntilMs") VALUES (@target, @now, @until)
       ON CONFLICT ("target") DO UPDATE SET "pausedUntilMs" = max("pausedUntilMs", @until)`,
} as const;
