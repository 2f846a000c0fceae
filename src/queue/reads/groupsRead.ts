/** A job type's groups with active work: how many of each group's jobs are pending and running. */
import type { QueueContext } from '../context.js';
import { InputError } from '../errors.js';

export interface JobGroupStatus {
  jobType: string;
  groupKey: string;
  pending: number;
  running: number;
  /** Most of its jobs RUNNING at once: its own limit, else its type's groupConcurrency (null: none). */
  concurrency: number | null;
  paused: boolean;
  /** When its longest-waiting PENDING job was enqueued (null: none pending). */
  oldestPendingAt: Date | null;
}

export const groupsReadLimits = { defaultFirst: 50, maxFirst: 1_000 } as const;

/**
 * The type's groups with PENDING or RUNNING jobs, the largest backlog first (then by key), at
 * most `first`. Read through the partial index of grouped active rows (Job_activeGroups_idx): jobs
 * without a group and finished ones are not visited.
 */
export async function groupsRead(context: QueueContext, jobType: string, first: number = groupsReadLimits.defaultFirst): Promise<JobGroupStatus[]> {
  if (!Number.isInteger(first) || first < 1 || first > groupsReadLimits.maxFirst) {
    throw new InputError(`first must be an integer from 1 to ${groupsReadLimits.maxFirst}.`, 'first');
  }
  const rows = await context.db.job.groupBy({
    by: ['groupKey', 'status'],
    where: { jobType, groupKey: { not: null }, status: { in: ['PENDING', 'RUNNING'] } },
    _count: true,
    _min: { createdAt: true },
  });
  const groups = new Map<string, JobGroupStatus>();
  for (const row of rows) {
    const groupKey = row.groupKey!;
    const group = groups.get(groupKey) ?? { jobType, groupKey, pending: 0, running: 0, concurrency: null, paused: false, oldestPendingAt: null };
    if (row.status === 'PENDING') {
      group.pending = row._count;
      group.oldestPendingAt = row._min.createdAt;
    } else group.running = row._count;
    groups.set(groupKey, group);
  }
  const ranked = [...groups.values()].sort((a, b) => b.pending - a.pending || b.running - a.running || (a.groupKey < b.groupKey ? -1 : 1)).slice(0, first);
  return withControls(context, ranked);
}

/** Each group's limit (its own, else its type's) and pause, as stored. */
async function withControls(context: QueueContext, groups: JobGroupStatus[]): Promise<JobGroupStatus[]> {
  if (!groups.length) return groups;
  const types = [...new Set(groups.map((group) => group.jobType))];
  const [states, typeStates] = await Promise.all([
    context.db.jobGroupState.findMany({ where: { jobType: { in: types }, groupKey: { in: groups.map((group) => group.groupKey) } } }),
    context.db.jobTypeState.findMany({ where: { jobType: { in: types } }, select: { jobType: true, groupConcurrency: true } }),
  ]);
  return groups.map((group) => {
    const own = states.find((state) => state.jobType === group.jobType && state.groupKey === group.groupKey);
    const typeLimit = typeStates.find((state) => state.jobType === group.jobType)?.groupConcurrency ?? null;
    return { ...group, concurrency: own?.concurrency ?? typeLimit, paused: own?.paused ?? false };
  });
}

/** One group of a type as it stands (an operator's change answers with it), active or not. */
export async function groupRead(context: QueueContext, jobType: string, groupKey: string): Promise<JobGroupStatus> {
  const counts = await context.db.job.groupBy({
    by: ['status'],
    where: { jobType, groupKey, status: { in: ['PENDING', 'RUNNING'] } },
    _count: true,
    _min: { createdAt: true },
  });
  const pending = counts.find((row) => row.status === 'PENDING');
  const [group] = await withControls(context, [
    {
      jobType,
      groupKey,
      pending: pending?._count ?? 0,
      running: counts.find((row) => row.status === 'RUNNING')?._count ?? 0,
      concurrency: null,
      paused: false,
      oldestPendingAt: pending?._min.createdAt ?? null,
    },
  ]);
  return group!;
}

/** Every type's groups with active work, summarized for Prometheus: the `top` largest backlogs by name, the rest summed per type. */
export interface GroupsSummary {
  top: JobGroupStatus[];
  /** Per job type: its groups with active work, and the PENDING and RUNNING jobs of those outside `top`. */
  byType: { jobType: string; groups: number; otherPending: number; otherRunning: number }[];
}

export async function groupsSummaryRead(context: QueueContext, top: number): Promise<GroupsSummary> {
  const rows = await context.db.job.groupBy({
    by: ['jobType', 'groupKey', 'status'],
    where: { groupKey: { not: null }, status: { in: ['PENDING', 'RUNNING'] } },
    _count: true,
    _min: { createdAt: true },
  });
  const groups = new Map<string, JobGroupStatus>();
  for (const row of rows) {
    const key = `${row.jobType}\u0000${row.groupKey!}`;
    const group = groups.get(key) ?? { jobType: row.jobType, groupKey: row.groupKey!, pending: 0, running: 0, concurrency: null, paused: false, oldestPendingAt: null };
    if (row.status === 'PENDING') {
      group.pending = row._count;
      group.oldestPendingAt = row._min.createdAt;
    } else group.running = row._count;
    groups.set(key, group);
  }
  const ranked = [...groups.values()].sort((a, b) => b.pending - a.pending || b.running - a.running || (a.groupKey < b.groupKey ? -1 : 1));
  const byType = new Map<string, GroupsSummary['byType'][number]>();
  ranked.forEach((group, index) => {
    const type = byType.get(group.jobType) ?? { jobType: group.jobType, groups: 0, otherPending: 0, otherRunning: 0 };
    type.groups += 1;
    if (index >= top) {
      type.otherPending += group.pending;
      type.otherRunning += group.running;
    }
    byType.set(group.jobType, type);
  });
  return { top: await withControls(context, ranked.slice(0, top)), byType: [...byType.values()] };
}
