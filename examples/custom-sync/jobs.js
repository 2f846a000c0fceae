// @ts-check
/**
 * Our own sync: a helpdesk's contacts into Billing's customers. SyncBridge loads this module
 * (SYNCBRIDGE_JOB_TYPES=./jobs.js): its default export is the list of job types, and `upstreams`
 * says how to reach the systems the handlers call.
 */
import { defineJobType, NonRetryableError } from 'syncbridge';
import { z } from 'zod';

export default [
  defineJobType({
    name: 'contact_sync',
    version: 1,
    description: 'Helpdesk contact → Billing customer',
    // What an enqueue must carry: checked by SyncBridge before anything is stored, and the
    // type `ctx.payload` has in the handler.
    payload: z.object({
      email: z.string().email(),
      name: z.string().min(1),
      plan: z.enum(['free', 'team', 'enterprise']).default('free'),
    }),
    entityType: 'contact',
    source: 'helpdesk',
    target: 'billing',
    upstreams: ['helpdesk', 'billing'],
    retry: { maxRetries: 5, backoff: { baseSeconds: 1, maxSeconds: 60, jitter: 'full' } },
    timeoutSeconds: 30,
    async handler(ctx) {
      // The helpdesk holds the contact's current record; the payload says what changed.
      const contact = await ctx.upstream('helpdesk').get(`/contacts/${encodeURIComponent(ctx.entityId)}`);
      const { organization } = /** @type {{ organization?: string }} */ (contact ?? {});
      if (!organization) throw new NonRetryableError(`contact ${ctx.entityId} has no organization: Billing needs one`, { errorType: 'NoOrganization' });
      const customer = await ctx.upstream('billing').post('/customers', {
        external_id: ctx.entityId,
        email: ctx.payload.email,
        name: ctx.payload.name,
        plan: ctx.payload.plan,
        organization,
      });
      ctx.logger.info({ customer }, 'contact synced to billing');
      return customer;
    },
  }),
];

/**
 * Where the handlers' upstreams are. The helpdesk takes a bearer token, read from the
 * HELPDESK_TOKEN variable when SyncBridge starts (never stored, never logged). The URLs are
 * defaults: SYNCBRIDGE_UPSTREAM_HELPDESK_URL and SYNCBRIDGE_UPSTREAM_BILLING_URL override them.
 */
export const upstreams = {
  helpdesk: { baseUrl: 'http://127.0.0.1:4100/helpdesk', auth: { bearerEnv: 'HELPDESK_TOKEN' }, timeoutSeconds: 5 },
  billing: { baseUrl: 'http://127.0.0.1:4100/billing', rateLimitPerSecond: 20 },
};
