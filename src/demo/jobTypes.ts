/**
 * The demo's two syncs, CRM → Billing, written with the same public API any team uses
 * (defineJobType, named upstreams): `npm start` runs them unless SYNCBRIDGE_JOB_TYPES names a
 * module of one's own.
 */
import { z } from 'zod';
import { defineJobType } from '../platform/defineJobType.js';
import { NonRetryableError } from '../integrations/errors.js';
import type { UpstreamConfig } from '../platform/upstreamClient.js';
import { defineWebhookSource, type WebhookSource } from '../platform/webhooks.js';

const crmCustomer = z.object({ id: z.string(), email: z.string(), name: z.string() });
const crmInvoice = z.object({ id: z.string(), customer_id: z.string(), amount_cents: z.number().int(), currency: z.string(), status: z.string() });
const billingRecord = z.looseObject({ id: z.string() });

/** An upstream's answer as the handler needs it, or a non-retryable failure saying what was wrong. */
function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new NonRetryableError(`${what}: unexpected response body (${result.error.issues[0]?.message})`, { errorType: 'ValidationError' });
  return result.data;
}

export const customerSync = defineJobType({
  name: 'customer_sync',
  description: 'A CRM customer → Billing: GET CRM /customers/{id}, then POST Billing /customers.',
  entityType: 'customer',
  source: 'crm',
  target: 'billing',
  upstreams: ['crm', 'billing'],
  async handler({ entityId, logger, upstream }) {
    const customer = parsed(crmCustomer, await upstream('crm').get(`/customers/${encodeURIComponent(entityId)}`), 'CRM customer');
    const body = { external_id: customer.id, email: customer.email, name: customer.name };
    const record = parsed(billingRecord, await upstream('billing').post('/customers', body), 'Billing customer');
    logger.info({ billingId: record.id }, 'customer synced to billing');
    return record;
  },
});

export const invoiceSync = defineJobType({
  name: 'invoice_sync',
  description: 'A CRM invoice → Billing: GET CRM /invoices/{id}, then POST Billing /invoices.',
  entityType: 'invoice',
  source: 'crm',
  target: 'billing',
  upstreams: ['crm', 'billing'],
  async handler({ entityId, logger, upstream }) {
    const invoice = parsed(crmInvoice, await upstream('crm').get(`/invoices/${encodeURIComponent(entityId)}`), 'CRM invoice');
    const body = { external_id: invoice.id, customer_external_id: invoice.customer_id, amount_cents: invoice.amount_cents, currency: invoice.currency, status: invoice.status };
    const record = parsed(billingRecord, await upstream('billing').post('/invoices', body), 'Billing invoice');
    logger.info({ billingId: record.id }, 'invoice synced to billing');
    return record;
  },
});

export const demoJobTypes = [customerSync, invoiceSync];

/**
 * The demo's upstreams. Without a base URL they are this server's own mocks (/mock/crm and
 * /mock/billing); SYNCBRIDGE_CRM_BASE_URL / SYNCBRIDGE_BILLING_BASE_URL (and
 * SYNCBRIDGE_UPSTREAM_CRM_URL / …_BILLING_URL) point them at real systems.
 */
export const demoUpstreams: Record<string, UpstreamConfig> = { crm: {}, billing: {} };

const crmEvent = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(128),
  data: z.object({ id: z.string().min(1) }),
});

/** Which sync a CRM event starts: a record's change, by the record's kind. */
const syncOfEvent: Record<string, string> = { 'customer.updated': 'customer_sync', 'invoice.updated': 'invoice_sync' };

/**
 * The demo CRM's webhooks (`POST /hooks/crm`, enabled by SYNCBRIDGE_WEBHOOK_SECRETS=crm:<secret>):
 * `{"id": "<delivery id>", "type": "customer.updated" | "invoice.updated", "data": {"id": "<record id>"}}`.
 * A change that arrives while its record syncs is folded into the pending sync or runs after the
 * running one (COALESCE): no edit is lost. Other event types are recorded and start nothing.
 */
export const demoWebhooks: Record<string, WebhookSource> = {
  crm: defineWebhookSource({
    scheme: 'syncbridge',
    schema: crmEvent,
    map(event) {
      const jobType = syncOfEvent[event.type];
      return jobType ? [{ jobType, entityId: event.data.id, ifActive: 'COALESCE' }] : [];
    },
  }) as WebhookSource,
};
