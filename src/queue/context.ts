import type { Logger } from 'pino';
import type { Db } from '../db/types.js';
import type { JobReads, JobStore, Signals, StoreCapabilities } from '../db/ports.js';
import type { EventBus } from '../events/bus.js';
import type { JobTransition } from '../events/events.js';
import type { JobTypeCatalog } from './jobTypes.js';

/** What every queue service and the worker share. */
export interface QueueContext {
  /** Prisma: the one-off writes (cancel, retry, controls, schedules) and the rarer reads. */
  db: Db;
  /** The hot path: inserts, claims, outcomes, leases (one statement per batch). */
  jobs: JobStore;
  /** The API's frequent reads. */
  reads: JobReads;
  signals: Signals;
  capabilities: StoreCapabilities;
  /** The job types this process knows (the platform's registry). */
  jobTypes: JobTypeCatalog;
  bus: EventBus;
  logger: Logger;
  settings: {
    maxRetriesDefault: number;
    backoffBaseSeconds: number;
    leaseSeconds: number;
    /** A handler running longer is aborted, unless its type says otherwise. */
    handlerTimeoutMs: number;
  };
  /** The clock every decision reads (tests pin it); durations use the monotonic clock. */
  now(): Date;
}

/** Publishes committed transitions, as one batch. Call only after the write that made them. */
export function publishTransitions(context: Pick<QueueContext, 'bus'>, transitions: JobTransition[]): void {
  if (transitions.length) context.bus.emit('job:transitions', transitions);
}

/**
 * Wakes idle workers: in this process through the bus; in others through the database, unless
 * the write already did it in its own statement (`notified`: the hot-path writes do).
 */
export async function announceDueJobs(context: Pick<QueueContext, 'bus' | 'signals' | 'logger'>, count: number, options: { notified?: boolean } = {}): Promise<void> {
  if (count <= 0) return;
  context.bus.emit('jobs:available', { count });
  if (options.notified || !context.signals.wakeNotify) return;
  await context.signals.wakeNotify().catch((error: unknown) => {
    // The job is committed; other processes will still find it at their next poll.
    context.logger.warn({ err: error }, 'could not notify other processes of new jobs');
  });
}
