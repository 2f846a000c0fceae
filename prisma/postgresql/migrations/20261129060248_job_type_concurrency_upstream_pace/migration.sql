-- AlterTable
ALTER TABLE "JobTypeState" ADD COLUMN     "concurrency" INTEGER;

-- CreateTable
CREATE TABLE "UpstreamPace" (
    "target" TEXT NOT NULL,
    "nextSlotMs" BIGINT NOT NULL,
    "pausedUntilMs" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "UpstreamPace_pkey" PRIMARY KEY ("target")
);
