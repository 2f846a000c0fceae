-- DropIndex
DROP INDEX "Job_jobType_entityId_idx";

-- AlterTable
ALTER TABLE "Job" ADD COLUMN     "unchargedAttempts" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Job_entityId_jobType_idx" ON "Job"("entityId", "jobType");

-- syncbridge: beyond the Prisma schema (test/db.schema.test.ts applies these after the schema's own DDL)
-- The entity id prefix filter compares bytes (~>=~ and ~<~), whatever the database's collation:
-- a range in an ICU collation matched C_10x for "c_10". text_pattern_ops orders by bytes too.
CREATE INDEX "Job_entityId_prefix_idx" ON "Job"("entityId" text_pattern_ops);
