import type { Job } from '../db/client.js';
import type { QueueContext } from './context.js';
import { NotFoundError } from './errors.js';

export async function jobFindOrThrow(context: QueueContext, id: number): Promise<Job> {
  const job = await context.db.job.findUnique({ where: { id } });
  if (!job) throw new NotFoundError('Job', id);
  return job;
}
