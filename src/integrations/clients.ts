/**
 * CRM (source) and Billing (target) clients. Responses are validated: a body that does not have
 * the fields we need is a non-retryable ValidationError, not a crash further on.
 */
import { z } from 'zod';
import { UpstreamRateLimitedError, ValidationError } from './errors.js';
import { callUpstream } from './http.js';
import type { UpstreamPacer, UpstreamTarget } from './pace.js';
import type { ExchangeLog } from './exchanges.js';
import type { Redactor } from './redaction.js';

export interface UpstreamOptions {
  crmBaseUrl: string;
  billingBaseUrl: string;
  timeoutMs: number;
  /** Headers each upstream gets on every request (the built-in mocks' credential). */
  headers?: Partial<Record<UpstreamTarget, Record<string, string>>>;
  /** What forensics and error texts keep (SYNCBRIDGE_REDACT_KEYS). */
  redactor?: Redactor;
}

export interface CallContext {
  correlationId: string;
  signal?: AbortSignal;
}

const crmCustomer = z.object({ id: z.string(), email: z.string(), name: z.string() });
const crmInvoice = z.object({
  id: z.string(),
  customer_id: z.string(),
  amount_cents: z.number().int(),
  currency: z.string(),
  status: z.string(),
});
const billingRecord = z.object({ id: z.string() }).passthrough();

export type CrmCustomer = z.infer<typeof crmCustomer>;
export type CrmInvoice = z.infer<typeof crmInvoice>;
export type BillingRecord = z.infer<typeof billingRecord>;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`${what}: unexpected response body (${result.error.issues[0]?.message})`);
  return result.data;
}

const join = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;

/**
 * With a pacer, every call waits for its upstream's slot first, and a Retry-After pauses that
 * upstream. With a log, every exchange is recorded there (one attempt's clients: cheap to make).
 */
export function createClients(options: UpstreamOptions, pacer?: UpstreamPacer, log?: ExchangeLog) {
  const onExchange = log ? log.record.bind(log) : undefined;
  const call = async <T>(target: UpstreamTarget, method: 'GET' | 'POST', url: string, context: CallContext, body?: unknown) => {
    await pacer?.acquire(target, context.signal);
    try {
      return await callUpstream<T>({ method, url, body, headers: options.headers?.[target], redactor: options.redactor, timeoutMs: options.timeoutMs, onExchange, ...context });
    } catch (error) {
      if (pacer && error instanceof UpstreamRateLimitedError && error.retryAfterMs) await pacer.pause(target, error.retryAfterMs);
      throw error;
    }
  };
  return {
    crm: {
      getCustomer: async (id: string, context: CallContext) =>
        parse(crmCustomer, await call('crm', 'GET', join(options.crmBaseUrl, `/customers/${encodeURIComponent(id)}`), context), 'CRM customer'),
      getInvoice: async (id: string, context: CallContext) =>
        parse(crmInvoice, await call('crm', 'GET', join(options.crmBaseUrl, `/invoices/${encodeURIComponent(id)}`), context), 'CRM invoice'),
    },
    billing: {
      upsertCustomer: async (body: { external_id: string; email: string; name: string }, context: CallContext) =>
        parse(billingRecord, await call('billing', 'POST', join(options.billingBaseUrl, '/customers'), context, body), 'Billing customer'),
      upsertInvoice: async (body: { external_id: string; customer_external_id: string; amount_cents: number; currency: string; status: string }, context: CallContext) =>
        parse(billingRecord, await call('billing', 'POST', join(options.billingBaseUrl, '/invoices'), context, body), 'Billing invoice'),
    },
  };
}

export type Clients = ReturnType<typeof createClients>;
