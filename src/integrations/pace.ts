/**
 * Upstream rate limits shared by every process: each call to a paced upstream first reserves the
 * next free request slot in a store all processes share (the database, or Redis when
 * configured), then waits for it. Slots are `1000 / limit` ms apart (GCRA without burst), so the
 * upstream never gets more than its limit in a second and jobs wait for their turn instead of
 * spending retries on 429s. A 429 with Retry-After pauses that upstream for every process.
 *
 * An upstream may also be paced per group (the calling job's groupKey: a tenant, an account):
 * a grouped call first takes its group's slot, and a 429 for it holds only that group.
 *
 * Unpaced upstreams cost nothing here: no store round trip; their Retry-After pauses only this
 * process. Waiting for a slot counts toward the handler's time limit; the longest wait is about
 * (handler slots of all processes) ÷ limit.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';

/** Where the processes share each upstream's next slot and pause. */
export interface PaceStore {
  readonly name: string;
  /** Reserves the next slot (one every `intervalMs`, none while paused): how long until it, in ms. */
  reserve(target: string, intervalMs: number): Promise<number>;
  /** Pauses the upstream for `pauseMs` from now, unless it is paused longer already. */
  pause(target: string, pauseMs: number): Promise<void>;
  /** How much is left of each upstream's pause, in ms by the store's clock (absent or ≤ 0: not paused). */
  pausesLeft(targets: readonly string[]): Promise<Map<string, number>>;
  close?(): Promise<void>;
}

export interface UpstreamPaceStatus {
  /** The upstream's name. */
  target: string;
  /** Requests per second for all processes together; null: unpaced. */
  limitPerSecond: number | null;
  /** Requests per second for each group (the calling job's groupKey); null: not paced per group. */
  limitPerGroupPerSecond: number | null;
  /** Paused by the upstream's Retry-After until then (shared for paced upstreams; this process's own otherwise). */
  pausedUntil: Date | null;
  /** Calls of this process waiting for their slot now. */
  waiting: number;
  /** Calls of this process that had to wait, and for how long in all. */
  waited: number;
  waitedMs: number;
  /** Pauses this process asked for (429 with Retry-After). */
  pausesRequested: number;
}

/** Where one group's calls to an upstream keep their pace ('/' is in no upstream name nor group key). */
export const groupPaceKey = (target: string, group: string): string => `${target}/${group}`;

/** New slots a call takes at most when it keeps waking too late for its slot. */
const maxTries = 5;

interface PaceStats {
  waiting: number;
  waited: number;
  waitedMs: number;
  pausesRequested: number;
  localPauseUntil: number;
}

export class UpstreamPacer {
  private readonly stats: Map<string, PaceStats>;

  /** `targets`: every upstream's name; `limits`: requests per second of the paced ones; `groupLimits`: per group, of those paced per group. */
  constructor(
    private readonly targets: readonly string[],
    private readonly limits: Readonly<Record<string, number>>,
    private readonly store: PaceStore | undefined,
    private readonly logger: Logger,
    private readonly groupLimits: Readonly<Record<string, number>> = {},
  ) {
    this.stats = new Map(targets.map((target) => [target, { waiting: 0, waited: 0, waitedMs: 0, pausesRequested: 0, localPauseUntil: 0 }]));
  }

  private statsOf(target: string): PaceStats {
    let stats = this.stats.get(target);
    if (!stats) this.stats.set(target, (stats = { waiting: 0, waited: 0, waitedMs: 0, pausesRequested: 0, localPauseUntil: 0 }));
    return stats;
  }

  get storeName(): string | undefined {
    return this.store?.name;
  }

  /**
   * Waits for a request slot of `target` (at once for an unpaced, unpaused upstream). A call
   * leaves within a quarter slot of its slot: one that wakes later (a busy event loop, a cold
   * start) takes a new slot instead, so no window a quarter slot short of a second sees more than
   * the limit leave (the rest of a slot is margin for the network's jitter on the way).
   */
  async acquire(target: string, signal?: AbortSignal, group?: string | null): Promise<void> {
    const stats = this.statsOf(target);
    // The group's turn first: a slot of the whole upstream taken while the group waits would pass unused.
    const groupLimit = group ? this.groupLimits[target] : undefined;
    if (groupLimit && this.store) await this.slot(this.store, groupPaceKey(target, group!), groupLimit, stats, signal);
    const limit = this.limits[target];
    const store = limit ? this.store : undefined;
    if (!store) {
      const pauseMs = stats.localPauseUntil - Date.now();
      if (pauseMs > 0) await this.wait(stats, pauseMs, signal);
      return;
    }
    await this.slot(store, target, limit!, stats, signal);
  }

  /** Waits for the next free slot of `key` (an upstream, or one group's calls to it) in the shared store. */
  private async slot(store: PaceStore, key: string, limit: number, stats: PaceStats, signal: AbortSignal | undefined): Promise<void> {
    const intervalMs = 1000 / limit;
    for (let tries = 1; ; tries++) {
      const asked = performance.now();
      const waitMs = await store.reserve(key, intervalMs);
      if (waitMs <= 0) return;
      await this.wait(stats, waitMs, signal);
      // A slot reserved before the upstream asked for a pause must not be used during it.
      const paused = ((await store.pausesLeft([key])).get(key) ?? 0) > 0;
      // Measured at departure (after the pause check's round trip), from before the reservation
      // left: never less than the true lateness.
      const lateMs = performance.now() - asked - waitMs;
      // Bounded, so a starved event loop still gets its calls out (late ones only).
      if ((!paused && lateMs <= intervalMs / 4) || tries >= maxTries) return;
    }
  }

  private async wait(stats: { waiting: number; waited: number; waitedMs: number }, waitMs: number, signal: AbortSignal | undefined): Promise<void> {
    stats.waiting += 1;
    stats.waited += 1;
    stats.waitedMs += waitMs;
    try {
      await delay(waitMs, undefined, { signal });
    } catch (error) {
      throw signal?.aborted ? (signal.reason as unknown) : error;
    } finally {
      stats.waiting -= 1;
    }
  }

  /**
   * The upstream asked for a pause (Retry-After): every process holds its calls that long; for an
   * upstream paced per group, a grouped call's 429 holds only that group's calls.
   */
  async pause(target: string, pauseMs: number, group?: string | null): Promise<void> {
    if (!(pauseMs > 0)) return;
    const stats = this.statsOf(target);
    stats.pausesRequested += 1;
    if (group && this.groupLimits[target] && this.store) {
      this.logger.warn({ upstream: target, groupKey: group, pauseMs }, "upstream asked to slow down (Retry-After) for one group: that group's calls wait");
      await this.store.pause(groupPaceKey(target, group), pauseMs);
      return;
    }
    stats.localPauseUntil = Math.max(stats.localPauseUntil, Date.now() + pauseMs);
    this.logger.warn({ upstream: target, pauseMs }, 'upstream asked to slow down (Retry-After): its calls wait');
    if (this.limits[target] && this.store) await this.store.pause(target, pauseMs);
  }

  async status(): Promise<UpstreamPaceStatus[]> {
    const paced = this.targets.filter((target) => this.limits[target]);
    const shared = this.store && paced.length ? await this.store.pausesLeft(paced) : new Map<string, number>();
    const now = Date.now();
    return [...this.stats.keys()].map((target) => {
      const { localPauseUntil, ...stats } = this.statsOf(target);
      const until = this.limits[target] && this.store ? now + (shared.get(target) ?? 0) : localPauseUntil;
      return {
        target,
        limitPerSecond: this.limits[target] ?? null,
        limitPerGroupPerSecond: this.groupLimits[target] ?? null,
        pausedUntil: until > now ? new Date(until) : null,
        ...stats,
      };
    });
  }

  async close(): Promise<void> {
    await this.store?.close?.();
  }
}
