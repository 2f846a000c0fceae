-- CreateTable
CREATE TABLE "Schedule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL,
    "jobType" TEXT NOT NULL,
    "entityId" TEXT NOT NULL,
    "catchUp" TEXT NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "lastTickAt" DATETIME,
    "nextRunAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ScheduleTick" (
    "scheduleId" INTEGER NOT NULL,
    "tickAt" DATETIME NOT NULL,
    "outcome" TEXT NOT NULL,
    "jobId" INTEGER,
    "createdAt" DATETIME NOT NULL,

    PRIMARY KEY ("scheduleId", "tickAt")
);

-- CreateIndex
CREATE UNIQUE INDEX "Schedule_name_key" ON "Schedule"("name");

-- CreateIndex
CREATE INDEX "Schedule_nextRunAt_idx" ON "Schedule"("nextRunAt");
