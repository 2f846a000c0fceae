/** The SPEC's operator phases, derived from status, due time and lease (the filter side is src/db/jobFilter.ts). */
import type { JobPhase } from '../domain.js';

export function jobPhase(job: { status: string; nextRunAt: Date; attemptCount: number; leaseExpiresAt: Date | null }, now: Date): JobPhase {
  switch (job.status) {
    case 'PENDING':
      if (job.nextRunAt <= now) return 'QUEUED';
      return job.attemptCount > 0 ? 'RETRY_SCHEDULED' : 'SCHEDULED';
    case 'RUNNING':
      return job.leaseExpiresAt && job.leaseExpiresAt < now ? 'LEASE_EXPIRED' : 'RUNNING';
    default:
      return 'FINISHED';
  }
}
