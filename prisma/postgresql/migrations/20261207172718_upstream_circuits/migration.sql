-- AlterTable
ALTER TABLE "JobTypeState" ADD COLUMN     "heldBy" TEXT;

-- CreateTable
CREATE TABLE "UpstreamCircuit" (
    "upstream" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "openedAt" TIMESTAMP(3),
    "retryAt" TIMESTAMP(3),
    "openMs" INTEGER NOT NULL DEFAULT 0,
    "forced" TEXT,
    "lastError" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UpstreamCircuit_pkey" PRIMARY KEY ("upstream")
);
