/** The jobs a worker holds, as its parts pass them along: claimed (ready), running, or written. */
import type { Logger } from 'pino';
import type { Job } from '../../db/types.js';
import type { AttemptControl } from './executor.js';

export interface HeldJob {
  job: Job;
  /** The lease: leaseAcquiredAt as the claim wrote it. */
  claimedAt: Date;
}

export interface RunningJob extends HeldJob {
  attemptNumber: number;
  control: AttemptControl;
  /** Bound to the job on first use (job id, type, entity, attempt, correlation id on every line). */
  readonly logger: Logger;
  startedAt: Date;
}
