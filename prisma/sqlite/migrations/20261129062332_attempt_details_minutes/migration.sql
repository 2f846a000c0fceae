-- AlterTable
ALTER TABLE "Attempt" ADD COLUMN "details" TEXT;

-- CreateTable
CREATE TABLE "AttemptMinute" (
    "minute" DATETIME NOT NULL,
    "jobType" TEXT NOT NULL,
    "succeeded" INTEGER NOT NULL,
    "retried" INTEGER NOT NULL,
    "failed" INTEGER NOT NULL,
    "dead" INTEGER NOT NULL,
    "canceled" INTEGER NOT NULL,
    "timed" INTEGER NOT NULL,
    "durationMs" BIGINT NOT NULL,

    PRIMARY KEY ("minute", "jobType")
);
