-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "source" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "eventType" TEXT,
    "receivedAt" DATETIME NOT NULL,
    "requestId" TEXT,
    "bodyBytes" INTEGER NOT NULL
);

-- CreateTable
CREATE TABLE "WebhookDeliveryJob" (
    "webhookDeliveryId" INTEGER NOT NULL,
    "jobId" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,

    PRIMARY KEY ("webhookDeliveryId", "jobId"),
    CONSTRAINT "WebhookDeliveryJob_webhookDeliveryId_fkey" FOREIGN KEY ("webhookDeliveryId") REFERENCES "WebhookDelivery" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "WebhookDelivery_receivedAt_idx" ON "WebhookDelivery"("receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_source_deliveryId_key" ON "WebhookDelivery"("source", "deliveryId");

-- CreateIndex
CREATE INDEX "WebhookDeliveryJob_jobId_idx" ON "WebhookDeliveryJob"("jobId");
