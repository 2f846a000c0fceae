import type { Logger } from 'pino';
import type { Db } from '../db/types.js';
import type { Dialect } from '../db/dialects/index.js';
import type { EventBus } from '../live/bus.js';
import type { JobTransition } from '../live/events.js';

/** What every queue service and the worker share. */
export interface QueueContext {
  db: Db;
  dialect: Dialect;
  bus: EventBus;
  logger: Logger;
  settings: {
    maxRetriesDefault: number;
    backoffBaseSeconds: number;
    leaseSeconds: number;
  };
  /** The clock; tests may pin it. */
  now(): Date;
}

/** Publishes committed transitions, as one batch. Call only after the write that made them. */
export function publishTransitions(context: QueueContext, transitions: JobTransition[]): void {
  if (transitions.length) context.bus.emit('job:transitions', transitions);
}

/**
 * Wakes idle workers: in this process through the bus; in others through the database, unless
 * the write already did it in its own statement (`notified`: the hot-path writes do).
 */
export async function announceDueJobs(context: QueueContext, count: number, options: { notified?: boolean } = {}): Promise<void> {
  if (count <= 0) return;
  context.bus.emit('jobs:available', { count });
  if (options.notified || !context.dialect.wakeNotify) return;
  await context.dialect.wakeNotify().catch((error: unknown) => {
    // The job is committed; other processes will still find it at their next poll.
    context.logger.warn({ err: error }, 'could not notify other processes of new jobs');
  });
}
