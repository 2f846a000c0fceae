-- CreateTable
CREATE TABLE "Job" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "jobType" TEXT NOT NULL,
    "sourceSystem" TEXT NOT NULL,
    "targetSystem" TEXT NOT NULL,
    "entityType" TEXT NOT NULL,
    "entityId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "scheduledAt" DATETIME,
    "maxRetries" INTEGER NOT NULL,
    "attemptCount" INTEGER NOT NULL DEFAULT 0,
    "payloadVersion" INTEGER NOT NULL DEFAULT 1,
    "correlationId" TEXT NOT NULL,
    "activeKey" TEXT,
    "leaseOwner" TEXT,
    "leaseAcquiredAt" DATETIME,
    "leaseExpiresAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "nextRunAt" DATETIME NOT NULL,
    "lastStartedAt" DATETIME,
    "lastFinishedAt" DATETIME,
    "lastError" TEXT,
    "lastErrorType" TEXT,
    "lastDurationMs" INTEGER,
    "canceledAt" DATETIME,
    "deadAt" DATETIME,
    "deadError" TEXT,
    "deadErrorType" TEXT,
    "isReplay" BOOLEAN NOT NULL DEFAULT false,
    "replayOfId" INTEGER,
    "replayOfAttemptId" INTEGER,
    CONSTRAINT "Job_replayOfId_fkey" FOREIGN KEY ("replayOfId") REFERENCES "Job" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Job_replayOfAttemptId_fkey" FOREIGN KEY ("replayOfAttemptId") REFERENCES "Attempt" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Attempt" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "jobId" INTEGER NOT NULL,
    "attemptNumber" INTEGER NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    "success" BOOLEAN NOT NULL,
    "errorSummary" TEXT,
    "errorType" TEXT,
    "durationMs" INTEGER,
    CONSTRAINT "Attempt_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
