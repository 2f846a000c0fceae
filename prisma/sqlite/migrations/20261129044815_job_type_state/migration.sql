-- CreateTable
CREATE TABLE "JobTypeState" (
    "jobType" TEXT NOT NULL PRIMARY KEY,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL
);
