-- CreateTable
CREATE TABLE "ProcessHeartbeat" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "roles" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "concurrency" INTEGER,
    "running" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProcessHeartbeat_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ProcessHeartbeat_lastSeenAt_idx" ON "ProcessHeartbeat"("lastSeenAt");
