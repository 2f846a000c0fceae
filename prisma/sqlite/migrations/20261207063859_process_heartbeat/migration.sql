-- CreateTable
CREATE TABLE "ProcessHeartbeat" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "roles" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "concurrency" INTEGER,
    "running" INTEGER NOT NULL DEFAULT 0,
    "startedAt" DATETIME NOT NULL,
    "lastSeenAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "ProcessHeartbeat_lastSeenAt_idx" ON "ProcessHeartbeat"("lastSeenAt");
