-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "groupKey" TEXT;

-- CreateIndex
CREATE INDEX "Job_groupKey_jobType_idx" ON "Job"("groupKey", "jobType") WHERE ("groupKey" IS NOT NULL);

-- CreateIndex
CREATE INDEX "Job_activeGroups_idx" ON "Job"("jobType", "groupKey", "status") WHERE ("groupKey" IS NOT NULL AND "status" IN ('PENDING', 'RUNNING'));
