-- AlterTable
ALTER TABLE "JobTypeState" ADD COLUMN "heldBy" TEXT;

-- CreateTable
CREATE TABLE "UpstreamCircuit" (
    "upstream" TEXT NOT NULL PRIMARY KEY,
    "state" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "openedAt" DATETIME,
    "retryAt" DATETIME,
    "openMs" INTEGER NOT NULL DEFAULT 0,
    "forced" TEXT,
    "lastError" TEXT,
    "updatedAt" DATETIME NOT NULL
);
