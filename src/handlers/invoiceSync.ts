import type { Handler } from './registry.js';

/** invoice_sync v1: GET CRM /invoices/{id} → POST Billing /invoices. */
export const invoiceSyncV1: Handler = async ({ job, correlationId, logger, signal, clients }) => {
  const context = { correlationId, signal };
  const invoice = await clients.crm.getInvoice(job.entityId, context);
  const record = await clients.billing.upsertInvoice(
    {
      external_id: invoice.id,
      customer_external_id: invoice.customer_id,
      amount_cents: invoice.amount_cents,
      currency: invoice.currency,
      status: invoice.status,
    },
    context,
  );
  logger.info({ billingId: record.id }, 'invoice synced to billing');
  return record;
};
