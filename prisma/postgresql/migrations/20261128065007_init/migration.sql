-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Job" (
    "id" SERIAL NOT NULL,
    "jobType" TEXT NOT NULL,
    "sourceSystem" TEXT NOT NULL,
    "targetSystem" TEXT NOT NULL,
    "entityType" TEXT NOT NULL,
    "entityId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "scheduledAt" TIMESTAMP(3),
    "maxRetries" INTEGER NOT NULL,
    "attemptCount" INTEGER NOT NULL DEFAULT 0,
    "payloadVersion" INTEGER NOT NULL DEFAULT 1,
    "correlationId" TEXT NOT NULL,
    "activeKey" TEXT,
    "leaseOwner" TEXT,
    "leaseAcquiredAt" TIMESTAMP(3),
    "leaseExpiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "nextRunAt" TIMESTAMP(3) NOT NULL,
    "lastStartedAt" TIMESTAMP(3),
    "lastFinishedAt" TIMESTAMP(3),
    "lastError" TEXT,
    "lastErrorType" TEXT,
    "lastDurationMs" INTEGER,
    "canceledAt" TIMESTAMP(3),
    "deadAt" TIMESTAMP(3),
    "deadError" TEXT,
    "deadErrorType" TEXT,
    "isReplay" BOOLEAN NOT NULL DEFAULT false,
    "replayOfId" INTEGER,
    "replayOfAttemptId" INTEGER,

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Attempt" (
    "id" SERIAL NOT NULL,
    "jobId" INTEGER NOT NULL,
    "attemptNumber" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),
    "success" BOOLEAN NOT NULL,
    "errorSummary" TEXT,
    "errorType" TEXT,
    "durationMs" INTEGER,

    CONSTRAINT "Attempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Job_activeKey_key" ON "Job"("activeKey");

-- CreateIndex
CREATE INDEX "Job_claim_idx" ON "Job"("status", "priority" DESC, "nextRunAt", "id");

-- CreateIndex
CREATE INDEX "Job_lease_idx" ON "Job"("status", "leaseExpiresAt");

-- CreateIndex
CREATE INDEX "Job_jobType_entityId_idx" ON "Job"("jobType", "entityId");

-- CreateIndex
CREATE INDEX "Job_replayOfId_idx" ON "Job"("replayOfId");

-- CreateIndex
CREATE UNIQUE INDEX "Attempt_jobId_attemptNumber_key" ON "Attempt"("jobId", "attemptNumber");

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_replayOfId_fkey" FOREIGN KEY ("replayOfId") REFERENCES "Job"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_replayOfAttemptId_fkey" FOREIGN KEY ("replayOfAttemptId") REFERENCES "Attempt"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Attempt" ADD CONSTRAINT "Attempt_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;
