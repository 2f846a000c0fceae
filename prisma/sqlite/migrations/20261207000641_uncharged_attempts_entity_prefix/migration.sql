-- AlterTable (ADD COLUMN, not the engine's table rebuild: instant on a large Job table)
ALTER TABLE "Job" ADD COLUMN "unchargedAttempts" INTEGER NOT NULL DEFAULT 0;

-- Entity id first: it also serves an entity id alone and a prefix (a byte-wise range here).
DROP INDEX "Job_jobType_entityId_idx";
CREATE INDEX "Job_entityId_jobType_idx" ON "Job"("entityId", "jobType");
