-- AlterTable
ALTER TABLE "Job" ADD COLUMN "payload" TEXT;

-- AlterTable (added in place, as Prisma would rebuild the table for: the same columns, in the same order)
ALTER TABLE "Schedule" ADD COLUMN "payload" TEXT;
ALTER TABLE "Schedule" ADD COLUMN "payloadVersion" INTEGER NOT NULL DEFAULT 1;
