-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "payload" TEXT;

-- AlterTable
ALTER TABLE "Schedule" ADD COLUMN     "payload" TEXT,
ADD COLUMN     "payloadVersion" INTEGER NOT NULL DEFAULT 1;
