-- CreateTable
CREATE TABLE "Schedule" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "cron" TEXT NOT NULL,
    "timezone" TEXT NOT NULL,
    "jobType" TEXT NOT NULL,
    "entityId" TEXT NOT NULL,
    "catchUp" TEXT NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "lastTickAt" TIMESTAMP(3),
    "nextRunAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Schedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduleTick" (
    "scheduleId" INTEGER NOT NULL,
    "tickAt" TIMESTAMP(3) NOT NULL,
    "outcome" TEXT NOT NULL,
    "jobId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScheduleTick_pkey" PRIMARY KEY ("scheduleId","tickAt")
);

-- CreateIndex
CREATE UNIQUE INDEX "Schedule_name_key" ON "Schedule"("name");

-- CreateIndex
CREATE INDEX "Schedule_nextRunAt_idx" ON "Schedule"("nextRunAt");
