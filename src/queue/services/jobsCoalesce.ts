/**
 * Coalescing enqueue (ifActive COALESCE): an enqueue for a pair that has a PENDING job is folded
 * into it (its payload replaced when one is given, last writer wins in commit order), one behind
 * a RUNNING job becomes the pair's follow-up, and any other is a new job. So a pair has at most one
 * RUNNING and one PENDING job, and a change that arrives while its entity syncs still syncs.
 */
import type { Job } from '../../db/types.js';
import type { AuditStamp, CoalesceResult, CoalesceRow } from '../../db/ports.js';
import { activeKey } from '../../domain/index.js';
import type { JobTransition } from '../../events/events.js';
import { announceDueJobs, publishTransitions, type QueueContext } from '../context.js';
import { newJobRow, type NewJob } from './jobsInsert.js';

export interface CoalescedJob {
  job: Job;
  /** True when an existing PENDING job took the change (no new job), or an earlier item of the same batch did. */
  coalesced: boolean;
}

/** The batch as one change per pair (a batch naming a pair many times is one enqueue of its last payload), and which inputs each holds. */
export function coalesceChanges(context: Pick<QueueContext, 'jobTypes'>, jobs: NewJob[], now: Date): { changes: CoalesceRow[]; members: number[][] } {
  const groups = new Map<string, { first: number; members: number[]; payloadFrom: number }>();
  jobs.forEach((job, index) => {
    const key = activeKey(job.jobType, job.entityId);
    const group = groups.get(key);
    if (!group) groups.set(key, { first: index, members: [index], payloadFrom: index });
    else {
      group.members.push(index);
      if (job.payload !== null) group.payloadFrom = index;
    }
  });
  const changes: CoalesceRow[] = [];
  for (const [key, group] of groups) {
    const first = jobs[group.first]!;
    const type = context.jobTypes.get(first.jobType);
    const debounceMs = type?.debounceMs ?? 0;
    const latest = jobs[group.payloadFrom]!;
    const row = newJobRow({ ...first, payload: latest.payload, payloadVersion: latest.payloadVersion }, now, context.jobTypes, debounceMs);
    changes.push({ row, key, count: group.members.length, debounceMs, maxDelayMs: type?.maxDelayMs ?? 0 });
  }
  return { changes, members: [...groups.values()].map((group) => group.members) };
}

/** Once the changes are written: each input's job, published, and workers woken for the new ones due now. */
export async function announceCoalesced(context: QueueContext, members: number[][], written: CoalesceResult[], now: Date): Promise<CoalescedJob[]> {
  const results: CoalescedJob[] = [];
  const transitions: JobTransition[] = [];
  let due = 0;
  members.forEach((group, position) => {
    const { job, coalesced } = written[position]!;
    group.forEach((index, nth) => (results[index] = { job, coalesced: coalesced || nth > 0 }));
    transitions.push({
      jobId: job.id,
      from: coalesced ? 'PENDING' : null,
      to: 'PENDING',
      kind: coalesced ? 'coalesced' : job.isReplay ? 'replayed' : 'enqueued',
      attemptNumber: job.attemptCount,
      at: now,
      job,
    });
    if (!coalesced && job.followUpKey === null && job.nextRunAt <= now) due += 1;
  });
  publishTransitions(context, transitions);
  await announceDueJobs(context, due, { notified: true });
  return results;
}

export async function jobsCoalesce(context: QueueContext, jobs: NewJob[], audit?: AuditStamp): Promise<CoalescedJob[]> {
  const now = context.now();
  const { changes, members } = coalesceChanges(context, jobs, now);
  return announceCoalesced(context, members, await context.jobs.coalesce(changes, audit), now);
}
