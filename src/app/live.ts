/**
 * The live part of a process: one job update hub and two figure feeds, fed by the bus, and the
 * channel that carries this process's transitions to the others (Redis if REDIS_URL is set, else
 * the database's own notifications where it has them; SQLite deployments are one process).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Database } from '../db/client.js';
import type { EventBus } from '../events/bus.js';
import { LiveChannel } from '../events/channel.js';
import type { JobStatus } from '../events/events.js';
import { JobUpdateHub } from '../events/jobUpdates.js';
import type { EventTransport } from '../events/transport.js';
import { openRedisTransport } from '../events/transports/redis.js';
import type { QueueContext } from '../queue/context.js';
import { jobTypesRead, type JobTypeStatus } from '../queue/reads/jobTypesRead.js';
import { metricsRead, type QueueMetrics } from '../queue/reads/metricsRead.js';
import { SnapshotFeed } from '../queue/reads/snapshotFeed.js';
import type { Alert } from '../db/types.js';
import { groupsSummaryRead, type JobGroupStatus } from '../queue/reads/groupsRead.js';

export interface LivePart {
  jobs: JobUpdateHub;
  metrics: SnapshotFeed<QueueMetrics>;
  jobTypes: SnapshotFeed<JobTypeStatus[]>;
  /** The firing alerts. */
  alerts: SnapshotFeed<Alert[]>;
  /** The groups with the largest backlogs, of every type. */
  groups: SnapshotFeed<JobGroupStatus[]>;
  channel: LiveChannel;
  /** Undefined where there is none (one SQLite process). */
  transport: EventTransport | undefined;
  stop(): Promise<void>;
}

/** The groups `groupsUpdated` streams: the largest backlogs of all types. */
export const groupsFeedSize = 50;

export async function startLive(config: Config, database: Database, context: QueueContext, bus: EventBus, logger: Logger): Promise<LivePart> {
  const onTransportError = (error: Error) => logger.error({ err: error }, 'live transport error');
  const transport: EventTransport | undefined = config.redisUrl
    ? await openRedisTransport(config.redisUrl, config.databaseUrl, onTransportError)
    : await database.signals.notifications?.(onTransportError);
  const jobs = new JobUpdateHub(bus);
  const metrics = new SnapshotFeed(context, metricsRead, { kind: 'metricsUpdated' });
  // Polled too: another process's pause or limit reaches this one through the database only.
  const jobTypes = new SnapshotFeed(context, jobTypesRead, { kind: 'jobTypesUpdated', pollMs: 1_000 });
  // Alerts fire in whichever worker process evaluates them: polled (one small read a second while watched).
  const alerts = new SnapshotFeed(context, (queue) => queue.db.alert.findMany({ where: { state: 'FIRING' }, orderBy: { id: 'asc' } }), { kind: 'alertsUpdated', pollMs: 1_000 });
  // Polled too: another process's claims change the counts without a transition on this bus.
  const groups = new SnapshotFeed(context, async (queue) => (await groupsSummaryRead(queue, groupsFeedSize)).top, { kind: 'groupsUpdated', pollMs: 1_000 });
  const channel = new LiveChannel(bus, transport, logger, {
    hasSubscribers: () => jobs.size + metrics.size + jobTypes.size + alerts.size + groups.size > 0,
    // After an interruption: the newest changes first, bounded (a subscriber that needs more resubscribes).
    changedSince: (since) => database.reads.page({ filter: { updatedAfter: since }, now: context.now(), limit: 10_000 }),
  });
  await channel.start();
  // Jobs enqueued in SQL (syncbridge_enqueue) reach this process's subscribers like any enqueue.
  const stopSqlEnqueued = await database.signals.sqlEnqueuedListen?.((id) => {
    if (jobs.size === 0) return;
    void database.reads.byIds([id]).then(
      ([job]) => {
        if (!job) return;
        bus.emit('job:transitions', [
          {
            jobId: job.id,
            from: job.coalescedCount > 0 ? 'PENDING' : null,
            to: job.status as JobStatus,
            kind: job.coalescedCount > 0 ? 'coalesced' : 'enqueued',
            attemptNumber: job.attemptCount,
            at: job.updatedAt,
            job,
            remote: true,
            origin: 'sql',
          },
        ]);
      },
      (error: unknown) => logger.warn({ err: error, jobId: id }, 'could not read a job enqueued in SQL for live subscribers'),
    );
  });
  return {
    jobs,
    metrics,
    jobTypes,
    alerts,
    groups,
    channel,
    transport,
    async stop() {
      await stopSqlEnqueued?.();
      await channel.stop();
      jobs.close();
      metrics.close();
      jobTypes.close();
      alerts.close();
      groups.close();
    },
  };
}
