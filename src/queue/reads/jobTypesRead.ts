/** Job types: their controls and how many of their jobs are pending and running. */
import { jobTypes, type JobType } from '../../domain/index.js';
import type { QueueContext } from '../context.js';
import { InputError } from '../errors.js';

export interface JobTypeStatus {
  jobType: JobType;
  paused: boolean;
  /** Most jobs RUNNING at once in all processes; null: no limit. */
  concurrency: number | null;
  pending: number;
  running: number;
}

export async function jobTypesRead(context: QueueContext): Promise<JobTypeStatus[]> {
  const [controls, counts] = await Promise.all([
    context.jobs.controls(),
    context.db.job.groupBy({ by: ['jobType', 'status'], where: { status: { in: ['PENDING', 'RUNNING'] } }, _count: true }),
  ]);
  return (Object.keys(jobTypes) as JobType[]).map((jobType) => {
    const control = controls.find((row) => row.jobType === jobType);
    const count = (status: string) => counts.find((row) => row.jobType === jobType && row.status === status)?._count ?? 0;
    return { jobType, paused: control?.paused ?? false, concurrency: control?.concurrency ?? null, pending: count('PENDING'), running: count('RUNNING') };
  });
}

export function knownJobType(jobType: string): JobType {
  if (!(jobType in jobTypes)) throw new InputError(`Unknown jobType "${jobType}"; use one of ${Object.keys(jobTypes).join(', ')}.`, 'jobType');
  return jobType as JobType;
}

export async function jobTypeRead(context: QueueContext, jobType: JobType): Promise<JobTypeStatus> {
  return (await jobTypesRead(context)).find((status) => status.jobType === jobType)!;
}
