-- CreateTable
CREATE TABLE "JobGroupState" (
    "jobType" TEXT NOT NULL,
    "groupKey" TEXT NOT NULL,
    "concurrency" INTEGER,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("jobType", "groupKey")
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_JobTypeState" (
    "jobType" TEXT NOT NULL PRIMARY KEY,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL,
    "concurrency" INTEGER,
    "payloadVersion" INTEGER,
    "sourceSystem" TEXT,
    "targetSystem" TEXT,
    "entityType" TEXT,
    "maxRetries" INTEGER,
    "ifActive" TEXT,
    "debounceMs" INTEGER,
    "maxDelayMs" INTEGER,
    "heldBy" TEXT,
    "grouped" BOOLEAN NOT NULL DEFAULT false,
    "groupConcurrency" INTEGER
);
INSERT INTO "new_JobTypeState" ("concurrency", "debounceMs", "entityType", "heldBy", "ifActive", "jobType", "maxDelayMs", "maxRetries", "paused", "payloadVersion", "sourceSystem", "targetSystem", "updatedAt") SELECT "concurrency", "debounceMs", "entityType", "heldBy", "ifActive", "jobType", "maxDelayMs", "maxRetries", "paused", "payloadVersion", "sourceSystem", "targetSystem", "updatedAt" FROM "JobTypeState";
DROP TABLE "JobTypeState";
ALTER TABLE "new_JobTypeState" RENAME TO "JobTypeState";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Job_groupClaim_idx" ON "Job"("jobType", "groupKey", "priority" DESC, "nextRunAt", "id") WHERE "groupKey" IS NOT NULL AND "status" = 'PENDING';
