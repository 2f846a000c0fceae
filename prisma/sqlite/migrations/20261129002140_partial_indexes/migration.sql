-- DropIndex
DROP INDEX "Job_activeKey_key";

-- DropIndex
DROP INDEX "Job_claim_idx";

-- DropIndex
DROP INDEX "Job_lease_idx";

-- DropIndex
DROP INDEX "Job_replayOfId_idx";

-- CreateIndex
CREATE INDEX "Job_claim_idx" ON "Job"("priority" DESC, "nextRunAt", "id") WHERE "status" = 'PENDING';

-- CreateIndex
CREATE INDEX "Job_lease_idx" ON "Job"("leaseExpiresAt") WHERE "status" = 'RUNNING';

-- CreateIndex
CREATE INDEX "Job_replayOfId_idx" ON "Job"("replayOfId") WHERE "replayOfId" IS NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "Job_activeKey_key" ON "Job"("activeKey") WHERE "activeKey" IS NOT NULL;
