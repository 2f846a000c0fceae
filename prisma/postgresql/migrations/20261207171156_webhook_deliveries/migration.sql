-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" SERIAL NOT NULL,
    "source" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "eventType" TEXT,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "requestId" TEXT,
    "bodyBytes" INTEGER NOT NULL,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDeliveryJob" (
    "webhookDeliveryId" INTEGER NOT NULL,
    "jobId" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,

    CONSTRAINT "WebhookDeliveryJob_pkey" PRIMARY KEY ("webhookDeliveryId","jobId")
);

-- CreateIndex
CREATE INDEX "WebhookDelivery_receivedAt_idx" ON "WebhookDelivery"("receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_source_deliveryId_key" ON "WebhookDelivery"("source", "deliveryId");

-- CreateIndex
CREATE INDEX "WebhookDeliveryJob_jobId_idx" ON "WebhookDeliveryJob"("jobId");

-- AddForeignKey
ALTER TABLE "WebhookDeliveryJob" ADD CONSTRAINT "WebhookDeliveryJob_webhookDeliveryId_fkey" FOREIGN KEY ("webhookDeliveryId") REFERENCES "WebhookDelivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;
