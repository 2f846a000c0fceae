-- AlterTable
ALTER TABLE "JobTypeState" ADD COLUMN     "groupConcurrency" INTEGER,
ADD COLUMN     "grouped" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "JobGroupState" (
    "jobType" TEXT NOT NULL,
    "groupKey" TEXT NOT NULL,
    "concurrency" INTEGER,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "JobGroupState_pkey" PRIMARY KEY ("jobType","groupKey")
);

-- CreateIndex
CREATE INDEX "Job_groupClaim_idx" ON "Job"("jobType", "groupKey", "priority" DESC, "nextRunAt", "id") WHERE ("groupKey" IS NOT NULL AND "status" = 'PENDING');

-- syncbridge: beyond the Prisma schema
-- syncbridge_enqueue takes the job's group (group_key, checked like an entity id; a job type's
-- group function runs in JavaScript, so an SQL caller names the group itself), and marks the type
-- grouped first, as the service does. A change folded into the pair's PENDING job keeps that job's
-- group, as the service's coalescing does. The four-argument version is dropped: beside this one,
-- a call with four arguments would be ambiguous.
DROP FUNCTION syncbridge_enqueue(text, text, jsonb, text);
CREATE FUNCTION syncbridge_enqueue(job_type text, entity_id text, payload jsonb DEFAULT NULL, if_active text DEFAULT NULL, group_key text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $syncbridge$
#variable_conflict use_column
DECLARE
  t "JobTypeState"%ROWTYPE;
  pair text := job_type || ':' || entity_id;
  policy text;
  now_ts timestamp(3) := (clock_timestamp() AT TIME ZONE 'UTC')::timestamp(3);
  debounce interval;
  debounce_ms bigint;
  debounced_start timestamp(3);
  holder "Job"%ROWTYPE;
  owned boolean;
  new_id bigint;
BEGIN
  SELECT * INTO t FROM "JobTypeState" WHERE "jobType" = job_type;
  IF NOT FOUND OR t."sourceSystem" IS NULL THEN
    RAISE EXCEPTION 'syncbridge_enqueue: unknown job type "%"', job_type
      USING ERRCODE = '22023', HINT = 'Job types are registered by a SyncBridge process that defines them, at its start-up.';
  END IF;
  IF entity_id IS NULL OR entity_id !~ '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$' THEN
    RAISE EXCEPTION 'syncbridge_enqueue: entityId must be 1-128 letters, digits and . _ : @ - (starting with a letter or digit)' USING ERRCODE = '22023';
  END IF;
  IF group_key IS NOT NULL AND group_key !~ '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$' THEN
    RAISE EXCEPTION 'syncbridge_enqueue: group_key must be 1-128 letters, digits and . _ : @ - (starting with a letter or digit)' USING ERRCODE = '22023';
  END IF;
  policy := upper(coalesce(if_active, t."ifActive", 'REJECT'));
  IF policy NOT IN ('REJECT', 'COALESCE') THEN
    RAISE EXCEPTION 'syncbridge_enqueue: if_active must be REJECT or COALESCE, not "%"', if_active USING ERRCODE = '22023';
  END IF;
  IF syncbridge_enqueue.payload IS NOT NULL AND octet_length(syncbridge_enqueue.payload::text) > 65536 THEN
    RAISE EXCEPTION 'syncbridge_enqueue: the payload is over 64 KiB of JSON' USING ERRCODE = '22023';
  END IF;
  debounce_ms := CASE WHEN policy = 'COALESCE' THEN coalesce(t."debounceMs", 0) ELSE 0 END;
  debounce := debounce_ms * interval '1 millisecond';
  -- The first step at or after now + debounce, a step being a tenth of the debounce (at least 1 ms).
  debounced_start := timestamp 'epoch' + ceil((round(date_part('epoch', now_ts) * 1000) + debounce_ms)::numeric / greatest(1, debounce_ms / 10))::bigint
                                         * greatest(1, debounce_ms / 10) * interval '1 millisecond';
  PERFORM pg_advisory_xact_lock(hashtextextended(pair, 7));
  -- The pair's jobs locked before they are read: a claim in flight (which takes no turn) commits
  -- first, and the read below sees its job RUNNING, so the change becomes a follow-up instead of
  -- landing in a job that already started.
  PERFORM 1 FROM "Job" WHERE "followUpKey" = pair OR "activeKey" = pair FOR UPDATE;

  SELECT * INTO holder FROM "Job" WHERE "followUpKey" = pair OR "activeKey" = pair ORDER BY "followUpKey" IS NULL, "status" = 'RUNNING' LIMIT 1;
  IF FOUND AND policy = 'REJECT' THEN
    RAISE EXCEPTION 'DuplicateActiveJobError: job % is already % for (%, %)', holder."id", holder."status", job_type, entity_id
      USING ERRCODE = '23505', DETAIL = 'existingJobId=' || holder."id";
  END IF;
  IF FOUND AND holder."status" = 'PENDING' THEN
    UPDATE "Job"
       SET "payload" = coalesce(syncbridge_enqueue.payload::text, "payload"),
           "payloadVersion" = CASE WHEN syncbridge_enqueue.payload IS NULL THEN "payloadVersion" ELSE coalesce(t."payloadVersion", 1) END,
           "coalescedCount" = "coalescedCount" + 1,
           "nextRunAt" = CASE WHEN "attemptCount" = 0 AND debounce > interval '0'
                              THEN greatest(least(debounced_start, "createdAt" + coalesce(t."maxDelayMs", 0) * interval '1 millisecond'), coalesce("scheduledAt", "createdAt"))
                              ELSE "nextRunAt" END,
           "updatedAt" = now_ts
     WHERE "id" = holder."id";
    INSERT INTO "AuditEvent" ("at", "actor", "role", "action", "jobId", "requestId", "outcome", "detail")
    VALUES (now_ts, 'sql', NULL, 'ENQUEUE', holder."id", NULL, 'OK', 'coalesced 1 enqueue(s)');
    PERFORM pg_notify('syncbridge_sql_enqueued', holder."id"::text);
    RETURN holder."id";
  END IF;

  owned := FOUND; -- a RUNNING owner: the new job is its follow-up
  IF group_key IS NOT NULL AND NOT t."grouped" THEN
    -- Before the job exists: no claim may take it out of its group's turn.
    UPDATE "JobTypeState" SET "grouped" = true WHERE "jobType" = job_type;
  END IF;
  INSERT INTO "Job" ("jobType", "sourceSystem", "targetSystem", "entityType", "entityId", "status", "priority", "scheduledAt", "maxRetries",
                     "attemptCount", "payloadVersion", "correlationId", "activeKey", "followUpKey", "coalescedCount", "createdAt", "updatedAt",
                     "nextRunAt", "isReplay", "payload", "groupKey")
  VALUES (job_type, t."sourceSystem", t."targetSystem", coalesce(t."entityType", 'unknown'), entity_id, 'PENDING', 1, NULL, coalesce(t."maxRetries", 3),
          0, coalesce(t."payloadVersion", 1), gen_random_uuid()::text, CASE WHEN owned THEN NULL ELSE pair END, CASE WHEN owned THEN pair END, 0, now_ts, now_ts,
          CASE WHEN debounce > interval '0' THEN debounced_start ELSE now_ts END, false, syncbridge_enqueue.payload::text, group_key)
  RETURNING "id" INTO new_id;
  INSERT INTO "AuditEvent" ("at", "actor", "role", "action", "jobId", "requestId", "outcome", "detail")
  VALUES (now_ts, 'sql', NULL, 'ENQUEUE', new_id, NULL, 'OK', NULL);
  PERFORM pg_notify('syncbridge_jobs_available', '');
  PERFORM pg_notify('syncbridge_sql_enqueued', new_id::text);
  RETURN new_id;
END
$syncbridge$;
