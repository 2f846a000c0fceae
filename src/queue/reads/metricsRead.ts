/**
 * The metrics figures of SPEC → Metrics, in four aggregate statements whatever the table size.
 */
import type { QueueContext } from '../context.js';
import { jobStatuses } from '../../domain/index.js';

export interface QueueMetrics {
  totalJobs: number;
  finishedJobs: number;
  successRate: number | null;
  retryCount: number;
  avgExecutionMs: number | null;
  byStatus: Record<(typeof jobStatuses)[number], number>;
  byJobType: { jobType: string; count: number }[];
  attemptCount: number;
}

export async function metricsRead(context: QueueContext): Promise<QueueMetrics> {
  const db = context.db;
  const [statusGroups, typeGroups, retried, attempts] = await Promise.all([
    db.job.groupBy({ by: ['status'], _count: { _all: true } }),
    db.job.groupBy({ by: ['jobType'], _count: { _all: true }, orderBy: { jobType: 'asc' } }),
    db.job.aggregate({ where: { attemptCount: { gt: 1 } }, _sum: { attemptCount: true }, _count: { _all: true } }),
    db.attempt.aggregate({ _avg: { durationMs: true }, _count: { _all: true } }),
  ]);
  const byStatus = Object.fromEntries(jobStatuses.map((status) => [status, 0])) as QueueMetrics['byStatus'];
  for (const group of statusGroups) byStatus[group.status as keyof typeof byStatus] = group._count._all;
  const totalJobs = Object.values(byStatus).reduce((sum, count) => sum + count, 0);
  const finishedJobs = byStatus.SUCCEEDED + byStatus.FAILED + byStatus.DEAD;
  return {
    totalJobs,
    finishedJobs,
    successRate: finishedJobs ? byStatus.SUCCEEDED / finishedJobs : null,
    retryCount: (retried._sum.attemptCount ?? 0) - retried._count._all,
    avgExecutionMs: attempts._avg.durationMs ?? null,
    byStatus,
    byJobType: typeGroups.map((group) => ({ jobType: group.jobType, count: group._count._all })),
    attemptCount: attempts._count._all,
  };
}
