-- CreateTable
CREATE TABLE "JobTypeState" (
    "jobType" TEXT NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "JobTypeState_pkey" PRIMARY KEY ("jobType")
);
