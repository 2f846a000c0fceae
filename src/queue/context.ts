import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
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

/** Publishes committed transitions. Call only after the transaction that made them. */
export function publishTransitions(context: QueueContext, transitions: JobTransition[]): void {
  for (const transition of transitions) context.bus.emit('job:transition', transition);
}

/** Wakes idle workers: in this process through the bus, in others through the database. */
export async function announceDueJobs(context: QueueContext, count: number): Promise<void> {
  if (count <= 0) return;
  context.bus.emit('jobs:available', { count });
  if (context.dialect.notifyJobsAvailable) {
    await context.dialect.notifyJobsAvailable(context.db).catch((error: unknown) => {
      // The job is committed; other processes will still find it at their next poll.
      context.logger.warn({ err: error }, 'could not notify other processes of new jobs');
    });
  }
}
