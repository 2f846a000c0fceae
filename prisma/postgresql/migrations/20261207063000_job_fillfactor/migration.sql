-- syncbridge: beyond the Prisma schema
-- A tenth of each page of jobs left free: an update whose indexed columns stay (a coalesced
-- change whose start stays, a payload) then writes its new row version on the same page and
-- no index entry (HOT). The COALESCE burst ran 1.5x faster; the plain enqueue and the drain
-- stayed within the noise (npm run bench:coalesce, npm run bench, measured).
ALTER TABLE "Job" SET (fillfactor = 90);
