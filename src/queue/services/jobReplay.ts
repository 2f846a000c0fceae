/**
 * Replay: a NEW PENDING job for the same work, linked to the original (replayOf) and to the
 * failed attempt it replays (replayOfAttempt). The original and its attempts stay untouched.
 * Without an attempt id, the latest attempt, which must be a failure. Same duplicate rule as
 * enqueue.
 */
import type { Job } from '../../db/client.js';
import type { QueueContext } from '../context.js';
import { InputError, NotFoundError } from '../errors.js';
import { jobsInsert } from './jobsInsert.js';
import { jobsCoalesce } from './jobsCoalesce.js';
import { auditStamp, logAudited, type Actor } from './audit.js';
import { replayRefusal } from '../../domain/index.js';

/** `actor`: replayed through the API by this caller (audited with the insert). */
export async function jobReplay(context: QueueContext, id: number, attemptId?: number, actor?: Actor): Promise<Job> {
  const original = await context.db.job.findUnique({
    where: { id },
    include: { attempts: { orderBy: { attemptNumber: 'desc' }, take: attemptId === undefined ? 1 : undefined, where: attemptId === undefined ? undefined : { id: attemptId } } },
  });
  if (!original) throw new NotFoundError('Job', id);
  const attempt = original.attempts[0];
  const refusal = replayRefusal(attempt);
  if (!attempt) {
    if (attemptId === undefined) throw new InputError(`Job ${id} has no attempts to replay.`, 'id');
    const exists = await context.db.attempt.findUnique({ where: { id: attemptId }, select: { jobId: true } });
    if (!exists) throw new NotFoundError('Attempt', attemptId);
    throw new InputError(`Attempt ${attemptId} belongs to job ${exists.jobId}, not to job ${id}.`, 'attemptId');
  }
  if (refusal === 'succeeded') {
    throw new InputError(
      `Attempt ${attempt.attemptNumber} (id ${attempt.id}) of job ${id} succeeded; only failed attempts can be replayed.`,
      attemptId === undefined ? 'id' : 'attemptId',
    );
  }
  const replay = {
    jobType: original.jobType,
    entityId: original.entityId,
    priority: original.priority,
    scheduledAt: null,
    maxRetries: original.maxRetries,
    payloadVersion: original.payloadVersion,
    payload: original.payload, // the same work: what it carried, as it was
    groupKey: original.groupKey,
    replayOfId: original.id,
    replayOfAttemptId: attempt.id,
  };
  const audit = actor && auditStamp(actor, 'REPLAY', context.now());
  // A coalescing type: the pair's PENDING job takes the replay, or it waits behind a RUNNING one.
  const [result] =
    context.jobTypes.get(original.jobType)?.ifActive === 'COALESCE'
      ? (await jobsCoalesce(context, [replay], audit)).map((item) => item.job)
      : await jobsInsert(context, [replay], audit);
  if (result instanceof Error) throw result;
  if (actor) logAudited(context, actor, 'REPLAY', [result!.id]);
  return result!;
}
