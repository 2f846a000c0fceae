-- AlterTable (in the model's column order: a new database built from the schema has them so)
ALTER TABLE "JobTypeState" ADD COLUMN "payloadVersion" INTEGER;
ALTER TABLE "JobTypeState" ADD COLUMN "sourceSystem" TEXT;
ALTER TABLE "JobTypeState" ADD COLUMN "targetSystem" TEXT;
ALTER TABLE "JobTypeState" ADD COLUMN "entityType" TEXT;
ALTER TABLE "JobTypeState" ADD COLUMN "maxRetries" INTEGER;
ALTER TABLE "JobTypeState" ADD COLUMN "ifActive" TEXT;
ALTER TABLE "JobTypeState" ADD COLUMN "debounceMs" INTEGER;
ALTER TABLE "JobTypeState" ADD COLUMN "maxDelayMs" INTEGER;

-- AlterTable (added in place, as Prisma would rebuild the table for: the same columns, in the same order)
ALTER TABLE "Job" ADD COLUMN "followUpKey" TEXT;
ALTER TABLE "Job" ADD COLUMN "coalescedCount" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE UNIQUE INDEX "Job_followUpKey_key" ON "Job"("followUpKey") WHERE "followUpKey" IS NOT NULL;
