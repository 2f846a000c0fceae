/** The SPEC's operator phases, derived from status, due time and lease; and the matching filters. */
import type { Prisma } from '../db/generated/sqlite/client.js';

export const jobPhases = ['QUEUED', 'SCHEDULED', 'RETRY_SCHEDULED', 'RUNNING', 'LEASE_EXPIRED', 'FINISHED'] as const;
export type JobPhase = (typeof jobPhases)[number];

export function jobPhase(
  job: { status: string; nextRunAt: Date; attemptCount: number; leaseExpiresAt: Date | null },
  now: Date,
): JobPhase {
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

export function jobPhaseWhere(phase: JobPhase, now: Date): Prisma.JobWhereInput {
  switch (phase) {
    case 'QUEUED':
      return { status: 'PENDING', nextRunAt: { lte: now } };
    case 'SCHEDULED':
      return { status: 'PENDING', nextRunAt: { gt: now }, attemptCount: 0 };
    case 'RETRY_SCHEDULED':
      return { status: 'PENDING', nextRunAt: { gt: now }, attemptCount: { gt: 0 } };
    case 'RUNNING':
      return { status: 'RUNNING', OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { gte: now } }] };
    case 'LEASE_EXPIRED':
      return { status: 'RUNNING', leaseExpiresAt: { lt: now } };
    case 'FINISHED':
      return { status: { in: ['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELED'] } };
  }
}
