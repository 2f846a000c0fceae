/**
 * Compile-time contract of defineJobType, checked by `npm run typecheck` (tsc), not run: the
 * payload schema's output type reaches the handler, with zod and with valibot (any Standard
 * Schema), and a wrong field or type is a compile error. Each `@ts-expect-error` fails the
 * type-check if its line ever compiles.
 */
import * as v from 'valibot';
import { z } from 'zod';
import { createSyncBridge, defineJobType, NonRetryableError, RetryableError, type UpstreamClient } from '../src/index.js';

export const withZod = defineJobType({
  name: 'contact_sync',
  payload: z.object({ email: z.string().email(), name: z.string(), seats: z.number().int().default(1) }),
  async handler(ctx) {
    const email: string = ctx.payload.email;
    // The schema's output: a default makes `seats` a number, never undefined.
    const seats: number = ctx.payload.seats;
    // @ts-expect-error -- no such field in the schema
    void ctx.payload.nmae;
    // @ts-expect-error -- name is a string, not a number
    const wrong: number = ctx.payload.name;
    const billing: UpstreamClient = ctx.upstream('billing');
    const created = await billing.post<{ id: string }>('/customers', { email, seats });
    if (!created) throw new NonRetryableError('billing answered nothing');
    if (ctx.signal.aborted) throw new RetryableError('aborted', { retryAfterSeconds: 5 });
    ctx.logger.info({ entityId: ctx.entityId, correlationId: ctx.correlationId, jobId: ctx.job.id }, 'synced');
    return { wrong, created };
  },
});

export const withValibot = defineJobType({
  name: 'ticket_sync',
  payload: v.object({ ticketId: v.pipe(v.string(), v.minLength(1)), priority: v.picklist(['low', 'high']) }),
  handler(ctx) {
    const priority: 'low' | 'high' = ctx.payload.priority;
    // @ts-expect-error -- the picklist admits only its values
    const other: 'medium' = ctx.payload.priority;
    // @ts-expect-error -- not a field of this schema
    void ctx.payload.email;
    return { priority, other };
  },
});

export const withoutPayload = defineJobType({
  name: 'nightly_sync',
  handler(ctx) {
    const none: undefined = ctx.payload;
    // @ts-expect-error -- a type without a schema has no payload fields
    void ctx.payload.anything;
    return none;
  },
});

defineJobType({
  name: 'bad_retry',
  // @ts-expect-error -- jitter is 'none' or 'full'
  retry: { maxRetries: 3, backoff: { baseSeconds: 1, jitter: 'half' } },
  handler: () => undefined,
});

// @ts-expect-error -- a handler is required
defineJobType({ name: 'no_handler' });

export const embedded = createSyncBridge({
  jobTypes: [withZod, withValibot, withoutPayload],
  upstreams: { billing: { baseUrl: 'http://127.0.0.1:9/billing', auth: { bearerEnv: 'BILLING_TOKEN' }, rateLimitPerSecond: 5 } },
  env: { PORT: '0', DATABASE_URL: 'file:./embedded.db' },
});
// @ts-expect-error -- auth names a variable ({ bearerEnv }), never the secret itself
createSyncBridge({ jobTypes: [withZod], upstreams: { billing: { baseUrl: 'http://x', auth: { bearer: 'secret' } } } });
