/** Inbound webhook deliveries (POST /hooks/<source>) and the jobs each started or changed. */
import type { DeliveryOutcome } from '../../db/ports.js';
import type { WebhookDelivery, WebhookDeliveryJob } from '../../db/types.js';
import { builder } from '../builder.js';
import { newestFirst, pageComplexity } from '../connections.js';
import { firstArgDescription, relationComplexity, relationTake, type RelationList } from '../listBounds.js';
import { JobRef } from './job.js';

type DeliveryRow = WebhookDelivery;
type DeliveryJobRow = WebhookDeliveryJob;

export const WebhookDeliveryOutcomeEnum = builder.enumType('WebhookDeliveryOutcome', {
  description: 'What a webhook delivery did to a job.',
  values: {
    CREATED: { description: 'A new job.' },
    COALESCED: { description: "The pair's pending job took the change (ifActive COALESCE)." },
    ACTIVE: { description: "Refused: the pair's active job holds it (ifActive REJECT); the job named is that one." },
  } as const satisfies Record<DeliveryOutcome, { description: string }>,
});

const deliveryJobsList: RelationList = { field: 'jobs', defaultSize: 20 };
const jobDeliveriesList: RelationList = { field: 'webhookDeliveries', defaultSize: 10 };
const deliveriesPage = { defaultSize: 50, maxSize: 200 };

export const WebhookDeliveryJobRef = builder.objectRef<DeliveryJobRow>('WebhookDeliveryJob').implement({
  description: 'A job a delivery started or changed.',
  fields: (t) => ({
    outcome: t.field({ type: WebhookDeliveryOutcomeEnum, description: 'What the delivery did to it.', resolve: (row) => row.outcome as DeliveryOutcome }),
    jobId: t.id({ description: 'The job (it may have been pruned since).', resolve: (row) => row.jobId }),
    job: t.field({ type: JobRef, nullable: true, description: 'The job; null once retention pruned it.', resolve: (row, _args, context) => context.loaders.jobs.load(row.jobId) }),
  }),
});

export const WebhookDeliveryRef = builder.objectRef<DeliveryRow>('WebhookDelivery').implement({
  description: 'One inbound webhook, stored with its jobs in one transaction before it was answered. Kept 7 days (SYNCBRIDGE_RETENTION_WEBHOOK_DELIVERIES).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The stored delivery number.' }),
    source: t.exposeString('source', { description: 'The webhook source (the path /hooks/<source>).' }),
    deliveryId: t.exposeString('deliveryId', { description: "The sender's id of the delivery (evt_…): a repeat of it changed nothing." }),
    eventType: t.exposeString('eventType', { nullable: true, description: 'The event type, as the source names it (customer.updated).' }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime', description: 'When it was stored.' }),
    requestId: t.exposeString('requestId', { nullable: true, description: 'The request (x-request-id): find its log lines with it.' }),
    bodyBytes: t.exposeInt('bodyBytes', { description: 'Bytes of the body received (the body itself is not kept).' }),
    jobs: t.field({
      type: [WebhookDeliveryJobRef],
      description: 'The jobs it started or changed, in job order.',
      args: { first: t.arg.int({ required: false, description: firstArgDescription(deliveryJobsList) }) },
      complexity: relationComplexity(deliveryJobsList),
      resolve: (delivery, args, context) =>
        context.queue.db.webhookDeliveryJob.findMany({ where: { webhookDeliveryId: delivery.id }, orderBy: { jobId: 'asc' }, take: relationTake(deliveryJobsList, args.first) }),
    }),
  }),
});

/** A delivery's link to a job, with the delivery. */
const JobDeliveryRef = builder.objectRef<DeliveryJobRow & { delivery: DeliveryRow }>('JobWebhookDelivery').implement({
  description: 'A webhook delivery that reached a job, and what it did to it.',
  fields: (t) => ({
    outcome: t.field({
      type: WebhookDeliveryOutcomeEnum,
      description: 'CREATED: it started the job; COALESCED: the job took its change.',
      resolve: (row) => row.outcome as DeliveryOutcome,
    }),
    delivery: t.field({ type: WebhookDeliveryRef, description: 'The delivery.', resolve: (row) => row.delivery }),
  }),
});

builder.objectField(JobRef, 'webhookDeliveries', (t) =>
  t.field({
    type: [JobDeliveryRef],
    description: 'Webhook deliveries that started this job or changed it, oldest first.',
    args: { first: t.arg.int({ required: false, description: firstArgDescription(jobDeliveriesList) }) },
    complexity: relationComplexity(jobDeliveriesList),
    resolve: (job, args, context) =>
      context.queue.db.webhookDeliveryJob.findMany({
        where: { jobId: job.id, outcome: { not: 'ACTIVE' } },
        include: { delivery: true },
        orderBy: { webhookDeliveryId: 'asc' },
        take: relationTake(jobDeliveriesList, args.first),
      }),
  }),
);

builder.queryField('webhookDeliveries', (t) =>
  t.connection(
    {
      type: WebhookDeliveryRef,
      description: `Inbound webhook deliveries, newest first (at most ${deliveriesPage.maxSize} a page, ${deliveriesPage.defaultSize} by default).`,
      args: {
        source: t.arg.string({ required: false, description: 'Only this source.' }),
        deliveryId: t.arg.string({ required: false, description: "Only the delivery with this sender's id." }),
      },
      complexity: pageComplexity(deliveriesPage),
      resolve: (_root, args, context) =>
        newestFirst('webhookDeliveries', args, deliveriesPage, (page) =>
          context.queue.db.webhookDelivery.findMany({
            where: { source: args.source ?? undefined, deliveryId: args.deliveryId ?? undefined, id: page.id },
            orderBy: { id: page.order },
            take: page.take,
          }),
        ),
    },
    { name: 'WebhookDeliveryConnection', description: 'A page of webhook deliveries.' },
    { name: 'WebhookDeliveryEdge', description: 'One webhook delivery and its cursor.' },
  ),
);
