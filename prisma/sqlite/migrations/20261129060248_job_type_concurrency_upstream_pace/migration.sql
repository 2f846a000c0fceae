-- AlterTable
ALTER TABLE "JobTypeState" ADD COLUMN "concurrency" INTEGER;

-- CreateTable
CREATE TABLE "UpstreamPace" (
    "target" TEXT NOT NULL PRIMARY KEY,
    "nextSlotMs" BIGINT NOT NULL,
    "pausedUntilMs" BIGINT NOT NULL DEFAULT 0
);
