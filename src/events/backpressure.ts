/**
 * Every bound on live updates waiting for someone, and what happens at it, stated once. Updates
 * flow: the bus → a subscription's buffer (hub) or the cross-process queue (channel) → a group's
 * pending list while a subscriber's snapshot is read (engine) → a connection's outbox. The rule
 * throughout: a job's latest state is never dropped where an older one could go instead, and a
 * consumer that cannot keep up is told (closed or resynced), never silently starved.
 */
export const liveBounds = {
  /**
   * Transitions waiting for the cross-process transport (src/events/channel.ts). Past it new ones
   * are dropped and counted; the other processes resync those jobs from the database when the
   * transport recovers.
   */
  channelQueue: 50_000,
  /** Transitions kept to send again to a process that just started listening, and for how long. */
  channelReplay: { count: 10_000, windowMs: 250 },
  /**
   * Updates one subscription of the hub may hold (src/events/jobUpdates.ts): past it, compacted to
   * each job's latest state; still past it (that many distinct jobs), the subscriber is ended with
   * SubscriberTooSlowError and resubscribes.
   */
  subscriptionBuffer: 1_000,
  /** Jobs whose last delivered state the hub remembers, to drop crossed news from other processes. */
  rememberedJobs: 50_000,
  /**
   * Events a new member waits with while its snapshot is read (src/server/subscriptions/engine.ts):
   * past it the oldest are dropped, counted and logged (the snapshot it is about to get is newer).
   */
  snapshotPending: 10_000,
  /**
   * A connection's outbox (src/server/subscriptions/outbox.ts): frames queue past the transport's
   * own buffer, are compacted per entity once this many wait (and each time that doubles), and the
   * connection is closed when its bytes pass SYNCBRIDGE_LIVE_MAX_QUEUED_BYTES after compaction, when
   * it takes nothing for SYNCBRIDGE_LIVE_STALL_SECONDS, or when it holds the largest backlog while
   * the process's backlogs pass `processBacklogConnections` connections' worth.
   */
  outbox: { highWaterBytes: 256 * 1024, compactAtFrames: 1_000, processBacklogConnections: 32 },
} as const;
