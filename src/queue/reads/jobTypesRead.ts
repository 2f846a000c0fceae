/** Job types: their controls and how many of their jobs are pending and running. */
import type { QueueContext } from '../context.js';
import { InputError } from '../errors.js';

export interface JobTypeStatus {
  jobType: string;
  /** Defined in this process (false: retired, its stored jobs listed but not run here). */
  registered: boolean;
  paused: boolean;
  /** An upstream its jobs need whose circuit is open (null: none). */
  heldBy: string | null;
  /** Most jobs RUNNING at once in all processes; null: no limit. */
  concurrency: number | null;
  pending: number;
  running: number;
}

/** Every registered type, then the retired ones (see JobTypeCatalog.retired). */
function typeNames(context: Pick<QueueContext, 'jobTypes'>): string[] {
  return [...context.jobTypes.list().map((type) => type.name), ...context.jobTypes.retired];
}

export async function jobTypesRead(context: QueueContext): Promise<JobTypeStatus[]> {
  const [controls, counts] = await Promise.all([
    context.jobs.controls(),
    context.db.job.groupBy({ by: ['jobType', 'status'], where: { status: { in: ['PENDING', 'RUNNING'] } }, _count: true }),
  ]);
  return typeNames(context).map((jobType) => {
    const control = controls.find((row) => row.jobType === jobType);
    const count = (status: string) => counts.find((row) => row.jobType === jobType && row.status === status)?._count ?? 0;
    return {
      jobType,
      registered: context.jobTypes.get(jobType) !== undefined,
      paused: control?.paused ?? false,
      heldBy: control?.heldBy ?? null,
      concurrency: control?.concurrency ?? null,
      pending: count('PENDING'),
      running: count('RUNNING'),
    };
  });
}

/** A type this process lists (registered or retired: a retired type's stored jobs may still be paused), or an InputError naming them. */
export function knownJobType(context: Pick<QueueContext, 'jobTypes'>, jobType: string): string {
  const names = typeNames(context);
  if (!names.includes(jobType)) throw new InputError(`Unknown jobType "${jobType}"; use one of ${names.join(', ')}.`, 'jobType');
  return jobType;
}

export async function jobTypeRead(context: QueueContext, jobType: string): Promise<JobTypeStatus> {
  return (await jobTypesRead(context)).find((status) => status.jobType === jobType)!;
}
