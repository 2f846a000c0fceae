-- AlterTable (ADD COLUMN, not the engine's table rebuild: instant on a large Job table)
ALTER TABLE "Job" ADD COLUMN "unchargedAttempts" INTEGER NOT NULL DEFAULT 0;

-- syncbridge: beyond the Prisma schema (test/db.schema.test.ts applies these after the schema's own DDL)
-- The entity id prefix filter: a byte-wise range (BINARY collation) over this index.
CREATE INDEX "Job_entityId_prefix_idx" ON "Job"("entityId");
