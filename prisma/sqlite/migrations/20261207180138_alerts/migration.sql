-- CreateTable
CREATE TABLE "AlertRule" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "jobType" TEXT,
    "threshold" REAL NOT NULL,
    "windowSeconds" INTEGER NOT NULL,
    "minCount" INTEGER NOT NULL DEFAULT 0,
    "cooldownSeconds" INTEGER NOT NULL,
    "channelKind" TEXT NOT NULL,
    "channelUrl" TEXT,
    "channelSecret" TEXT,
    "channelTo" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ruleId" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "resolvedAt" DATETIME,
    "value" REAL NOT NULL,
    "peak" REAL NOT NULL,
    "summary" TEXT NOT NULL,
    "lastNotifiedAt" DATETIME,
    "notifications" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Alert_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlertRule" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "AlertRule_name_key" ON "AlertRule"("name");

-- CreateIndex
CREATE INDEX "Alert_ruleId_id_idx" ON "Alert"("ruleId", "id");

-- CreateIndex
CREATE INDEX "Alert_state_id_idx" ON "Alert"("state", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_firing_key" ON "Alert"("ruleId") WHERE "state" = 'FIRING';
