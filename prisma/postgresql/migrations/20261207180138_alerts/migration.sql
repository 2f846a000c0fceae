-- CreateTable
CREATE TABLE "AlertRule" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "jobType" TEXT,
    "threshold" DOUBLE PRECISION NOT NULL,
    "windowSeconds" INTEGER NOT NULL,
    "minCount" INTEGER NOT NULL DEFAULT 0,
    "cooldownSeconds" INTEGER NOT NULL,
    "channelKind" TEXT NOT NULL,
    "channelUrl" TEXT,
    "channelSecret" TEXT,
    "channelTo" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" SERIAL NOT NULL,
    "ruleId" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "resolvedAt" TIMESTAMP(3),
    "value" DOUBLE PRECISION NOT NULL,
    "peak" DOUBLE PRECISION NOT NULL,
    "summary" TEXT NOT NULL,
    "lastNotifiedAt" TIMESTAMP(3),
    "notifications" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AlertRule_name_key" ON "AlertRule"("name");

-- CreateIndex
CREATE INDEX "Alert_ruleId_id_idx" ON "Alert"("ruleId", "id");

-- CreateIndex
CREATE INDEX "Alert_state_id_idx" ON "Alert"("state", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_firing_key" ON "Alert"("ruleId") WHERE ("state" = 'FIRING');

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;
