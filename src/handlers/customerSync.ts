import type { Handler } from './registry.js';

/** customer_sync v1: GET CRM /customers/{id} → POST Billing /customers. */
export const customerSyncV1: Handler = async ({ job, correlationId, logger, signal, clients }) => {
  const context = { correlationId, signal };
  const customer = await clients.crm.getCustomer(job.entityId, context);
  const record = await clients.billing.upsertCustomer({ external_id: customer.id, email: customer.email, name: customer.name }, context);
  logger.info({ billingId: record.id }, 'customer synced to billing');
  return record;
};
