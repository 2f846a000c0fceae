/**
 * History for the dashboard's charts: attempts that ended, per minute and job type, kept
 * incrementally. Each worker process counts the attempts its worker ended (from the bus, as
 * committed) and adds them to the minute rows every couple of seconds, one upsert per (minute,
 * type): no work per job beyond counting, and no hot row contended by every finish. Reads sum
 * the rows into buckets and add this process's counts not yet written.
 */
import type { JobTransition } from '../../events/events.js';
import type { QueueContext } from '../context.js';
import { InputError } from '../errors.js';
import { parseDurationSeconds } from '../../domain/index.js';
import { Periodic } from './periodic.js';

export interface AttemptCounts {
  succeeded: number;
  retried: number;
  failed: number;
  dead: number;
  canceled: number;
  /** Attempts with a duration, and their durations added up. */
  timed: number;
  durationMs: number;
}

export interface HistoryBucket extends AttemptCounts {
  start: Date;
  byJobType: ({ jobType: string } & AttemptCounts)[];
}

const minuteMs = 60_000;
const empty = (): AttemptCounts => ({ succeeded: 0, retried: 0, failed: 0, dead: 0, canceled: 0, timed: 0, durationMs: 0 });
const countKeys = ['succeeded', 'retried', 'failed', 'dead', 'canceled', 'timed', 'durationMs'] as const;

function add(into: AttemptCounts, from: AttemptCounts): void {
  for (const key of countKeys) into[key] += from[key];
}

/** The counter an attempt that ended goes to, by where its job went. */
const outcomeOf: Partial<Record<string, keyof AttemptCounts>> = { SUCCEEDED: 'succeeded', PENDING: 'retried', FAILED: 'failed', DEAD: 'dead', CANCELED: 'canceled' };

export class AttemptHistory {
  /** Not yet written: by minute (epoch ms), then job type. */
  private pending = new Map<number, Map<string, AttemptCounts>>();
  private readonly periodic: Periodic<void>;
  private off: (() => void) | undefined;

  constructor(
    private readonly context: QueueContext,
    flushMs = 2_000,
  ) {
    this.periodic = new Periodic(() => this.flush(), flushMs, context.logger, 'writing attempt history');
  }

  start(): void {
    this.off = this.context.bus.on('job:transitions', (transitions) => this.count(transitions));
    this.periodic.start();
  }

  async stop(): Promise<void> {
    this.off?.();
    await this.periodic.stop();
    await this.periodic.runOnce();
  }

  private count(transitions: readonly JobTransition[]): void {
    for (const transition of transitions) {
      // Attempts this process ended (another process counts its own).
      if (!transition.attempt || transition.remote) continue;
      const key = outcomeOf[transition.to];
      if (!key) continue;
      const minute = Math.floor(transition.at.getTime() / minuteMs) * minuteMs;
      let types = this.pending.get(minute);
      if (!types) this.pending.set(minute, (types = new Map()));
      let counts = types.get(transition.job.jobType);
      if (!counts) types.set(transition.job.jobType, (counts = empty()));
      counts[key] += 1;
      counts.timed += 1;
      counts.durationMs += transition.attempt.durationMs;
    }
  }

  /** Adds the counts so far to the minute rows; what fails to write is kept for the next round. */
  async flush(): Promise<void> {
    const pending = this.pending;
    if (!pending.size) return;
    this.pending = new Map();
    const db = this.context.db;
    try {
      for (const [minuteAt, types] of pending) {
        for (const [jobType, counts] of types) {
          const minute = new Date(minuteAt);
          const increments = Object.fromEntries(countKeys.map((key) => [key, { increment: counts[key] }]));
          const write = () => db.attemptMinute.upsert({ where: { minute_jobType: { minute, jobType } }, create: { minute, jobType, ...counts }, update: increments });
          // Two processes creating the same minute's row at once: one insert loses; its update then wins.
          await write().catch((error: { code?: string }) => (error.code === 'P2002' ? write() : Promise.reject(error)));
          types.delete(jobType);
        }
      }
    } catch (error) {
      for (const [minuteAt, types] of pending) for (const [jobType, counts] of types) this.merge(minuteAt, jobType, counts);
      throw error;
    }
  }

  private merge(minute: number, jobType: string, counts: AttemptCounts): void {
    let types = this.pending.get(minute);
    if (!types) this.pending.set(minute, (types = new Map()));
    const existing = types.get(jobType);
    if (existing) add(existing, counts);
    else types.set(jobType, { ...counts });
  }

  /** Counts not yet written, for reads in this process. */
  unwritten(): { minute: number; jobType: string; counts: AttemptCounts }[] {
    return [...this.pending].flatMap(([minute, types]) => [...types].map(([jobType, counts]) => ({ minute, jobType, counts })));
  }
}

/** How far back the history goes (retention deletes older minutes). */
export const historyKeptSeconds = 90 * 86_400;

/** Most buckets one read returns. */
export const maxHistoryBuckets = 1_440;

/**
 * The history over `range` (e.g. "1h") in buckets of `bucket` (a whole number of minutes),
 * oldest first, empty buckets included, the last one holding now.
 */
export async function metricsHistoryRead(
  context: QueueContext,
  range: string,
  bucket: string,
  local?: AttemptHistory,
): Promise<{ bucketSeconds: number; buckets: HistoryBucket[] }> {
  const rangeSeconds = parseDurationSeconds(range);
  const bucketSeconds = parseDurationSeconds(bucket);
  if (!rangeSeconds || rangeSeconds > historyKeptSeconds) throw new InputError(`range must be a duration like 30m, 6h or 7d, up to 90d (got "${range}").`, 'range');
  if (!bucketSeconds || bucketSeconds % 60) throw new InputError(`bucket must be a whole number of minutes, like 1m, 5m or 1h (got "${bucket}").`, 'bucket');
  const count = Math.ceil(rangeSeconds / bucketSeconds);
  if (count > maxHistoryBuckets) throw new InputError(`range ÷ bucket gives ${count} buckets; at most ${maxHistoryBuckets} (use a larger bucket).`, 'bucket');
  const bucketMs = bucketSeconds * 1000;
  const last = Math.floor(context.now().getTime() / bucketMs) * bucketMs;
  const first = last - (count - 1) * bucketMs;
  const buckets: HistoryBucket[] = Array.from({ length: count }, (_, index) => ({ start: new Date(first + index * bucketMs), ...empty(), byJobType: [] }));
  const into = (minute: number, jobType: string, counts: AttemptCounts) => {
    const target = buckets[Math.floor((minute - first) / bucketMs)];
    if (!target) return;
    add(target, counts);
    const byType = target.byJobType.find((row) => row.jobType === jobType);
    if (byType) add(byType, counts);
    else target.byJobType.push({ jobType, ...counts });
  };
  const rows = await context.db.attemptMinute.findMany({ where: { minute: { gte: new Date(first) } }, orderBy: { minute: 'asc' } });
  for (const row of rows) into(row.minute.getTime(), row.jobType, { ...row, durationMs: Number(row.durationMs) });
  for (const { minute, jobType, counts } of local?.unwritten() ?? []) if (minute >= first) into(minute, jobType, counts);
  for (const target of buckets) target.byJobType.sort((a, b) => a.jobType.localeCompare(b.jobType));
  return { bucketSeconds, buckets };
}
