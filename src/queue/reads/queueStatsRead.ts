/** Figures for the Prometheus scrape: job counts by status and type, and the due backlog. */
import type { QueueContext } from '../context.js';

export interface QueueStats {
  byStatusAndType: { status: string; jobType: string; count: number }[];
  /** PENDING jobs that are due now. */
  dueCount: number;
  /** Seconds the longest-waiting due job has waited; 0 when none is due. */
  oldestDueAgeSeconds: number;
}

export async function queueStatsRead(context: QueueContext): Promise<QueueStats> {
  const now = context.now();
  const due = { status: 'PENDING', nextRunAt: { lte: now } };
  const [groups, dueCount, oldest] = await Promise.all([
    context.db.job.groupBy({ by: ['status', 'jobType'], _count: { _all: true } }),
    context.db.job.count({ where: due }),
    context.db.job.aggregate({ where: due, _min: { nextRunAt: true } }),
  ]);
  return {
    byStatusAndType: groups.map((group) => ({ status: group.status, jobType: group.jobType, count: group._count._all })),
    dueCount,
    oldestDueAgeSeconds: oldest._min.nextRunAt ? Math.max(0, (now.getTime() - oldest._min.nextRunAt.getTime()) / 1000) : 0,
  };
}
