/**
 * One group's controls, for every process: its own concurrency limit (over its job type's
 * groupConcurrency) and pause. They take effect at the next fair claim anywhere (claimGrouped reads
 * them); jobs already running finish. Audited; raising a limit or resuming wakes the workers.
 */
import { announceDueJobs, type QueueContext } from '../context.js';
import { InputError } from '../errors.js';
import { groupRead, type JobGroupStatus } from '../reads/groupsRead.js';
import { knownJobType } from '../reads/jobTypesRead.js';
import { auditRow, type Actor, type AuditAction } from './audit.js';
import { checkedKey } from './jobsEnqueue.js';
import { maxJobTypeConcurrency } from './jobTypeConcurrency.js';

type GroupChange = { concurrency: number | null } | { paused: boolean };

async function setGroupControl(context: QueueContext, jobType: string, groupKey: string, change: GroupChange, action: AuditAction, actor?: Actor): Promise<JobGroupStatus> {
  knownJobType(context, jobType);
  const key = checkedKey(groupKey, 'groupKey');
  const now = context.now();
  const upsert = context.db.jobGroupState.upsert({
    where: { jobType_groupKey: { jobType, groupKey: key } },
    create: { jobType, groupKey: key, ...change, updatedAt: now },
    update: { ...change, updatedAt: now },
  });
  const detail = `${jobType} ${key}: ${'paused' in change ? (change.paused ? 'paused' : 'resumed') : (change.concurrency ?? "the type's limit")}`;
  if (actor) {
    await context.db.$transaction([upsert, context.db.auditEvent.create({ data: auditRow(actor, action, null, 'OK', now, detail) })]);
    context.logger.info({ audit: { actor: actor.name, action }, jobType, groupKey: key, ...change, requestId: actor.requestId }, 'group control set');
  } else await upsert;
  // A grouped type's jobs wait for the fair claim: a group set apart makes the type one.
  await context.jobs.markGrouped([jobType]);
  context.bus.emit('jobTypes:changed', { jobType });
  await announceDueJobs(context, 1);
  return groupRead(context, jobType, key);
}

/** Sets (a positive integer) or removes (null: the type's groupConcurrency applies) a group's own limit. */
export function groupSetConcurrency(context: QueueContext, jobType: string, groupKey: string, concurrency: number | null, actor?: Actor): Promise<JobGroupStatus> {
  if (concurrency !== null && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > maxJobTypeConcurrency)) {
    throw new InputError(`concurrency must be a whole number from 1 to ${maxJobTypeConcurrency}, or null for the type's limit (got ${concurrency}).`, 'concurrency');
  }
  return setGroupControl(context, jobType, groupKey, { concurrency }, 'GROUP_CONCURRENCY', actor);
}

/** Pauses (no job of the group starts) or resumes one group of a type. */
export function groupSetPaused(context: QueueContext, jobType: string, groupKey: string, paused: boolean, actor?: Actor): Promise<JobGroupStatus> {
  return setGroupControl(context, jobType, groupKey, { paused }, paused ? 'GROUP_PAUSE' : 'GROUP_RESUME', actor);
}
