/**
 * An inbound webhook delivery, once its signature is verified and its event mapped: each job it
 * asks for is checked as an enqueue is (a job that fails its checks refuses the whole delivery,
 * nothing written), then the delivery and its jobs are written in one transaction
 * (`receiveDelivery`), so a delivery answered 200 is stored with its jobs, and a repeat of its id
 * changes nothing. Audited with the actor `webhook:<source>`.
 */
import type { DeliveryOutcome, NewJobRow } from '../../db/ports.js';
import { insertedJob } from '../../domain/index.js';
import type { QueueContext } from '../context.js';
import { DuplicateActiveJobError, InputError } from '../errors.js';
import { auditFailures, auditStamp, logAudited, type Actor } from './audit.js';
import { announceCoalesced, coalesceChanges } from './jobsCoalesce.js';
import { markGroupedTypes, policyOf, validateEnqueueInput, type EnqueueInput } from './jobsEnqueue.js';
import { announceInserted, newJobRow, type NewJob } from './jobsInsert.js';

export interface DeliveryInput {
  source: string;
  deliveryId: string;
  eventType: string | null;
  requestId: string | null;
  bodyBytes: number;
  jobs: readonly EnqueueInput[];
}

export interface DeliveryReceipt {
  /** The stored delivery's number (WebhookDelivery.id). */
  id: number;
  /** True when this delivery id was received before: nothing changed now. */
  duplicate: boolean;
  jobs: { jobId: number; outcome: DeliveryOutcome }[];
}

/** Most jobs one delivery may ask for. */
export const maxJobsPerDelivery = 100;

export async function webhookReceive(context: QueueContext, input: DeliveryInput): Promise<DeliveryReceipt> {
  if (input.jobs.length > maxJobsPerDelivery) throw new InputError(`A delivery may ask for at most ${maxJobsPerDelivery} jobs; this one asked for ${input.jobs.length}.`, 'jobs');
  const plain: NewJob[] = [];
  const coalescing: NewJob[] = [];
  for (const [index, item] of input.jobs.entries()) {
    try {
      const checked = validateEnqueueInput(item, context);
      const job = checked instanceof Promise ? await checked : checked;
      (policyOf(item, context.jobTypes.get(job.jobType)) === 'COALESCE' ? coalescing : plain).push(job);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const what = typeof item?.jobType === 'string' && typeof item.entityId === 'string' ? ` (${item.jobType} ${item.entityId.slice(0, 128)})` : '';
      throw new InputError(`jobs[${index}]${what}: ${error.message}`, error.field);
    }
  }
  const now = context.now();
  const actor: Actor = { name: `webhook:${input.source}`, role: null, requestId: input.requestId };
  const inserts: NewJobRow[] = plain.map((job) => newJobRow(job, now, context.jobTypes));
  const { changes, members } = coalesceChanges(context, coalescing, now);
  const delivery = { source: input.source, deliveryId: input.deliveryId, eventType: input.eventType, receivedAt: now, requestId: input.requestId, bodyBytes: input.bodyBytes };
  await markGroupedTypes(
    context,
    [...inserts, ...changes.map((change) => change.row)].map((job) => ({ job })),
  );
  const written = await context.jobs.receiveDelivery(delivery, { inserts, coalesces: changes }, auditStamp(actor, 'ENQUEUE', now));
  const logFields = { webhook: { source: input.source, deliveryId: input.deliveryId, eventType: input.eventType }, requestId: input.requestId };

  if (written.duplicate) {
    const links = await context.db.webhookDeliveryJob.findMany({ where: { webhookDeliveryId: written.id }, orderBy: { jobId: 'asc' } });
    context.logger.info({ ...logFields, deliveryNumber: written.id }, 'webhook delivery received again: a duplicate, nothing changed');
    return { id: written.id, duplicate: true, jobs: links.map((link) => ({ jobId: link.jobId, outcome: link.outcome as DeliveryOutcome })) };
  }

  const created = written.inserted.flatMap((result, index) => ('id' in result ? [insertedJob(result.id, inserts[index]!)] : []));
  await announceInserted(context, created, now);
  await announceCoalesced(context, members, written.coalesced, now);
  const jobs = [
    ...written.inserted.map((result) => ('id' in result ? { jobId: result.id, outcome: 'CREATED' as const } : { jobId: result.holderId, outcome: 'ACTIVE' as const })),
    ...written.coalesced.map((result) => ({ jobId: result.job.id, outcome: result.coalesced ? ('COALESCED' as const) : ('CREATED' as const) })),
  ];
  logAudited(context, actor, 'ENQUEUE', [...new Set(jobs.filter((job) => job.outcome !== 'ACTIVE').map((job) => job.jobId))]);
  // Refused by an active job of the pair (ifActive REJECT): audited as an enqueue through the API would be.
  await auditFailures(
    context,
    actor,
    'ENQUEUE',
    written.inserted.flatMap((result, index) => {
      if ('id' in result) return [];
      const row = inserts[index]!;
      const error = new DuplicateActiveJobError(result.holderId, row.jobType, row.entityId);
      return [{ jobId: result.holderId, error, detail: `${row.jobType}:${row.entityId}: ${error.message} (delivery ${input.deliveryId})`.slice(0, 500) }];
    }),
  );
  context.logger.info({ ...logFields, deliveryNumber: written.id, jobs: jobs.slice(0, 20), jobCount: jobs.length }, 'webhook delivery stored');
  return { id: written.id, duplicate: false, jobs };
}
