/**
 * Circuit breakers per upstream, shared by every process through the database (UpstreamCircuit),
 * like the rate limits. CLOSED: calls go; a run of retryable failures (no answer, 5xx) from all
 * processes, or a failure rate over a window in this one, opens it. OPEN: the job types that need
 * the upstream are held (JobTypeState.heldBy: the claims pass them by), so their jobs wait
 * PENDING, never run and never charged; a call made anyway by a handler already running fails
 * uncharged (UpstreamOpenError). Every `openMs` one process wins the turn (HALF_OPEN) and runs one
 * probe job: its first call that reaches the upstream decides. Up: CLOSED, the holds go and the
 * jobs drain at the upstream's rate limit. Down: OPEN again, for twice as long (up to the maximum).
 * An operator may force it OPEN or CLOSED (audited); a forced circuit does not change by itself.
 */
import type { Job } from '../db/types.js';
import type { CircuitState } from '../domain/index.js';
import { UpstreamOpenError } from '../integrations/errors.js';
import { announceDueJobs, type QueueContext } from './context.js';
import { isUniqueViolation } from './prismaErrors.js';

export interface CircuitSettings {
  /** Retryable failures in a row (all processes) that open it. */
  failures: number;
  /** Or: this share of failed calls within `windowSeconds` (in one process), with at least `minCalls` calls. */
  failureRate: number;
  windowSeconds: number;
  minCalls: number;
  /** Open this long before the first probe; doubled after each failed probe, up to `maxOpenSeconds`. */
  openSeconds: number;
  maxOpenSeconds: number;
}

export const defaultCircuitSettings: CircuitSettings = { failures: 5, failureRate: 0.5, windowSeconds: 30, minCalls: 20, openSeconds: 5, maxOpenSeconds: 120 };

/** What the upstream clients ask before each call and tell after it. */
export interface CircuitGate {
  /** Throws UpstreamOpenError when the upstream's circuit is open (unless this job is its probe). */
  admit(upstream: string, jobId: number): void;
  /**
   * The call's outcome: `down` for no answer or a 5xx; anything the upstream answered otherwise is
   * `up`. True when the failure was a probe's: the breaker's test, not charged to the job.
   */
  record(upstream: string, jobId: number, outcome: 'up' | 'down', error?: string): boolean;
}

export interface CircuitStatus {
  upstream: string;
  state: CircuitState;
  forced: boolean;
  failures: number;
  openedAt: Date | null;
  /** OPEN: when the next probe may go. */
  retryAt: Date | null;
  lastError: string | null;
}

interface CircuitRow {
  upstream: string;
  state: string;
  failures: number;
  openedAt: Date | null;
  retryAt: Date | null;
  openMs: number;
  forced: string | null;
  lastError: string | null;
}

export interface CircuitOptions {
  /** Upstream → its breaker's settings; an upstream not listed has none. */
  settings: ReadonlyMap<string, CircuitSettings>;
  /** The job types (of this process's registry) that need an upstream. */
  typesNeeding(upstream: string): readonly string[];
  /** Every type this process knows, with the upstreams it needs (for the holds). */
  types(): readonly { name: string; upstreams: readonly string[] }[];
  pollMs: number;
}

/** Where a worker process runs probe jobs: the claimed probe job goes to `run`. */
export interface ProbeRunner {
  workerId: string;
  run(jobs: Job[]): void;
}

/** A failed probe or a lost one: how long a probe may take before the turn is given up. */
const probeTurnMs = 30_000;

export class UpstreamCircuits implements CircuitGate {
  private views = new Map<string, CircuitRow>();
  /** Job type → the open upstream holding it (as this process last read or wrote it). */
  private held = new Map<string, string>();
  /** Upstream → the probe job this process runs for it. */
  private readonly probes = new Map<string, number>();
  /** Per upstream, this process's retryable failures in a row. */
  private readonly localFailures = new Map<string, number>();
  /** Per upstream, this process's calls of the window: [second, calls, failures]. */
  private readonly windows = new Map<string, [number, number, number][]>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** Set while this process's worker runs: only then does it take probe turns. */
  private prober: ProbeRunner | undefined;
  /** Reads of the circuits, one after another: a read that began before a change must not land after it. */
  private reconciling: Promise<void> = Promise.resolve();
  /** Changes made here; a read that saw fewer is stale and not applied. */
  private changes = 0;

  constructor(
    private readonly context: QueueContext,
    private readonly options: CircuitOptions,
  ) {}

  /** Every breaker's row exists (CLOSED when new), the state is read, and it is read again every poll. */
  async start(): Promise<void> {
    const now = this.context.now();
    for (const upstream of this.options.settings.keys()) {
      // Another process starting at the same time may create it too: the same row either way.
      await this.context.db.upstreamCircuit.upsert({ where: { upstream }, create: { upstream, state: 'CLOSED', updatedAt: now }, update: {} }).catch((error: unknown) => {
        if (!isUniqueViolation(error)) throw error;
      });
    }
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  /** The types an open circuit holds now (their PENDING jobs are in phase UPSTREAM_OPEN). */
  get heldTypes(): ReadonlyMap<string, string> {
    return this.held;
  }

  /** The job types (of this process) that need an upstream. */
  typesNeeding(upstream: string): readonly string[] {
    return this.options.typesNeeding(upstream);
  }

  runProbesWith(prober: ProbeRunner | undefined): void {
    this.prober = prober;
  }

  isProbe(jobId: number): boolean {
    for (const id of this.probes.values()) if (id === jobId) return true;
    return false;
  }

  /** Whether a claimed job may start: not of a held type, unless it is a probe. */
  mayStart(job: Pick<Job, 'id' | 'jobType'>): boolean {
    return !this.held.has(job.jobType) || this.isProbe(job.id);
  }

  status(): CircuitStatus[] {
    return [...this.options.settings.keys()].map((upstream) => {
      const row = this.views.get(upstream);
      return {
        upstream,
        state: (row?.state ?? 'CLOSED') as CircuitState,
        forced: row?.forced != null,
        failures: row?.failures ?? 0,
        openedAt: row?.openedAt ?? null,
        retryAt: row?.state === 'OPEN' ? (row.retryAt ?? null) : null,
        lastError: row?.lastError ?? null,
      };
    });
  }

  admit(upstream: string, jobId: number): void {
    const row = this.views.get(upstream);
    if (!row || row.state === 'CLOSED') return;
    if (row.state === 'HALF_OPEN' && this.probes.get(upstream) === jobId) return;
    const retryInMs = row.retryAt ? Math.max(0, row.retryAt.getTime() - this.context.now().getTime()) : undefined;
    throw new UpstreamOpenError(upstream, retryInMs);
  }

  /** Returns whether a failure is the breaker's own (a probe's): not charged to the job. */
  record(upstream: string, jobId: number, outcome: 'up' | 'down', error?: string): boolean {
    const settings = this.options.settings.get(upstream);
    if (!settings) return false;
    const probe = this.probes.get(upstream) === jobId;
    const tripped = this.count(upstream, settings, outcome);
    // The common case, a success with nothing to reset: no promise, no write.
    const row = this.views.get(upstream);
    if (outcome === 'up' && !probe && row?.state === 'CLOSED' && row.failures === 0 && !this.localFailures.get(upstream)) return false;
    void this.recorded(upstream, settings, jobId, outcome, tripped, error).catch((failure: unknown) =>
      this.context.logger.warn({ err: failure, upstream }, 'recording an upstream outcome for its circuit breaker failed'),
    );
    return probe && outcome === 'down';
  }

  /** The probe job ended: if it never reached the upstream, the turn is given up now (the next poll probes again). */
  probeEnded(jobId: number): void {
    for (const [upstream, id] of this.probes) {
      if (id !== jobId) continue;
      this.probes.delete(upstream);
      void this.transition(upstream, 'HALF_OPEN', { state: 'OPEN', retryAt: this.context.now() });
    }
  }

  /** An operator's choice: OPEN or CLOSED until released (null: automatic again, from CLOSED). */
  async force(upstream: string, state: 'OPEN' | 'CLOSED' | null): Promise<CircuitStatus> {
    const now = this.context.now();
    const settings = this.options.settings.get(upstream) ?? defaultCircuitSettings;
    await this.context.db.upstreamCircuit.upsert({
      where: { upstream },
      create: { upstream, state: state ?? 'CLOSED', forced: state, openedAt: state === 'OPEN' ? now : null, updatedAt: now },
      update: {
        state: state ?? 'CLOSED',
        forced: state,
        failures: 0,
        openedAt: state === 'OPEN' ? now : null,
        retryAt: null,
        openMs: state === 'OPEN' ? settings.openSeconds * 1000 : 0,
        lastError: state === 'OPEN' ? 'forced open by an operator' : null,
        updatedAt: now,
      },
    });
    this.probes.delete(upstream);
    await this.reconcile();
    return this.status().find((status) => status.upstream === upstream)!;
  }

  /** This process's window of outcomes; whether its failure rate trips the breaker. */
  private count(upstream: string, settings: CircuitSettings, outcome: 'up' | 'down'): boolean {
    const second = Math.floor(this.context.now().getTime() / 1000);
    const window = this.windows.get(upstream) ?? [];
    while (window.length && window[0]![0] <= second - settings.windowSeconds) window.shift();
    let last = window.at(-1);
    if (!last || last[0] !== second) window.push((last = [second, 0, 0]));
    last[1] += 1;
    if (outcome === 'down') last[2] += 1;
    this.windows.set(upstream, window);
    if (outcome === 'up') return false; // a success never trips it: no sums on the common path
    const calls = window.reduce((sum, bucket) => sum + bucket[1], 0);
    const failures = window.reduce((sum, bucket) => sum + bucket[2], 0);
    return calls >= settings.minCalls && failures / calls >= settings.failureRate;
  }

  private async recorded(upstream: string, settings: CircuitSettings, jobId: number, outcome: 'up' | 'down', tripped: boolean, error?: string): Promise<void> {
    const row = this.views.get(upstream);
    if (!row || row.forced) return;
    const now = this.context.now();
    if (row.state === 'HALF_OPEN' && this.probes.get(upstream) === jobId) {
      this.probes.delete(upstream);
      if (outcome === 'up') return void (await this.transition(upstream, 'HALF_OPEN', { state: 'CLOSED', failures: 0, openMs: 0, openedAt: null, retryAt: null, lastError: null }));
      const openMs = Math.min(Math.max(row.openMs, settings.openSeconds * 1000) * 2, settings.maxOpenSeconds * 1000);
      return void (await this.transition(upstream, 'HALF_OPEN', { state: 'OPEN', openMs, retryAt: new Date(now.getTime() + openMs), lastError: error ?? null }));
    }
    if (row.state !== 'CLOSED') return;
    if (outcome === 'up') {
      this.localFailures.set(upstream, 0);
      if (row.failures > 0) {
        row.failures = 0;
        await this.context.db.upstreamCircuit.updateMany({ where: { upstream, state: 'CLOSED', failures: { gt: 0 } }, data: { failures: 0 } });
      }
      return;
    }
    // This process's own run of failures decides at once (no wait for the shared count's commit:
    // on PostgreSQL, 40 more calls went out meanwhile); the shared count adds the other processes'.
    const local = (this.localFailures.get(upstream) ?? 0) + 1;
    this.localFailures.set(upstream, local);
    if (local < settings.failures && !tripped) {
      const counted = await this.context.db.upstreamCircuit.update({ where: { upstream }, data: { failures: { increment: 1 } }, select: { failures: true } });
      row.failures = counted.failures;
      if (counted.failures < settings.failures) return;
    }
    const failures = Math.max(local, row.failures);
    const openMs = settings.openSeconds * 1000;
    const reason = `${tripped ? `failure rate over ${settings.windowSeconds} s` : `${failures} failures in a row`}${error ? `: ${error}` : ''}`.slice(0, 500);
    this.localFailures.set(upstream, 0);
    await this.transition(upstream, 'CLOSED', { state: 'OPEN', failures: 0, openMs, openedAt: now, retryAt: new Date(now.getTime() + openMs), lastError: reason });
  }

  /** Moves a circuit from `from` (as one process at a time sees it: the row is the turn), then holds and wakes as the new state says. */
  private async transition(upstream: string, from: CircuitState, to: Partial<CircuitRow> & { state: CircuitState }): Promise<boolean> {
    // Seen here at once (calls are admitted by it), before the database confirms it; a change the
    // database refuses (another process was first, an operator forced it) is read back.
    const view = this.views.get(upstream);
    const optimistic = view !== undefined && view.state === from && !view.forced;
    if (optimistic) {
      this.changes += 1;
      this.views.set(upstream, { ...view, ...to });
      this.hold(this.heldByViews());
    }
    const { count } = await this.context.db.upstreamCircuit.updateMany({ where: { upstream, state: from, forced: null }, data: { ...to, updatedAt: this.context.now() } });
    if (!count) {
      if (optimistic) {
        this.changes += 1;
        await this.reconcile();
      }
      return false;
    }
    const level = to.state === 'OPEN' && from === 'CLOSED' ? 'warn' : 'info';
    this.context.logger[level](
      { upstream, from, to: to.state, retryAt: to.retryAt ?? undefined, reason: to.lastError ?? undefined },
      `upstream circuit ${to.state.toLowerCase().replace('_', '-')}`,
    );
    await this.reconcile();
    return true;
  }

  /** Reads every circuit and the holds; writes the holds the circuits call for; wakes the workers for types let go. One at a time. */
  private reconcile(): Promise<void> {
    const next = this.reconciling.then(() => this.reconcileOnce());
    this.reconciling = next.catch(() => undefined);
    return next;
  }

  private async reconcileOnce(): Promise<void> {
    const changes = this.changes;
    const rows = await this.context.db.upstreamCircuit.findMany();
    // A change made here while this read ran: its own read comes next and is the fresh one.
    if (changes !== this.changes) return;
    this.views = new Map(rows.map((row) => [row.upstream, row]));
    const held = this.heldByViews();
    const stored = new Map((await this.context.db.jobTypeState.findMany({ select: { jobType: true, heldBy: true } })).map((row) => [row.jobType, row.heldBy]));
    let released = false;
    for (const type of this.options.types()) {
      const heldBy = held.get(type.name) ?? null;
      if (stored.has(type.name) && (stored.get(type.name) ?? null) !== heldBy) {
        await this.context.db.jobTypeState.update({ where: { jobType: type.name }, data: { heldBy } });
        if (!heldBy) released = true;
      }
    }
    if (this.hold(held) || released) await announceDueJobs(this.context, 1);
  }

  /** Each type this process knows that needs an upstream whose circuit is not CLOSED, with that upstream. */
  private heldByViews(): Map<string, string> {
    const open = new Set([...this.views.values()].filter((row) => row.state !== 'CLOSED').map((row) => row.upstream));
    const held = new Map<string, string>();
    for (const type of this.options.types()) {
      const heldBy = type.upstreams.find((upstream) => open.has(upstream));
      if (heldBy) held.set(type.name, heldBy);
    }
    return held;
  }

  /** The holds this process obeys (its worker gives back jobs of newly held types); whether a type was let go. */
  private hold(held: Map<string, string>): boolean {
    const before = this.held;
    this.held = held;
    for (const jobType of new Set([...before.keys(), ...held.keys()])) if (before.get(jobType) !== held.get(jobType)) this.context.bus.emit('jobTypes:changed', { jobType });
    return [...before.keys()].some((type) => !held.has(type));
  }

  private poll(): Promise<void> {
    return (this.polling ??= this.pollOnce()
      .catch((error: unknown) => this.context.logger.warn({ err: error }, 'reading the upstream circuits failed; trying again shortly'))
      .finally(() => (this.polling = undefined)));
  }

  /** The state again; a due probe (if this process runs them and wins the turn); a probe turn that lapsed, given up. */
  private async pollOnce(): Promise<void> {
    await this.reconcile();
    const now = this.context.now();
    for (const row of this.views.values()) {
      if (row.forced || !row.retryAt || row.retryAt > now) continue;
      if (row.state === 'HALF_OPEN') await this.transition(row.upstream, 'HALF_OPEN', { state: 'OPEN', retryAt: now });
      else if (row.state === 'OPEN' && this.prober) await this.tryProbe(row, now, this.prober);
    }
  }

  private async tryProbe(row: CircuitRow, now: Date, probe: ProbeRunner): Promise<void> {
    if (!(await this.transition(row.upstream, 'OPEN', { state: 'HALF_OPEN', retryAt: new Date(now.getTime() + probeTurnMs) }))) return;
    const jobTypes = this.options.typesNeeding(row.upstream);
    const jobs = jobTypes.length ? await this.context.jobs.claimProbe({ workerId: probe.workerId, now, leaseMs: this.context.settings.leaseSeconds * 1000, jobTypes }) : [];
    if (!jobs.length) {
      // Nothing waits for it: open for another period, no longer.
      await this.transition(row.upstream, 'HALF_OPEN', { state: 'OPEN', retryAt: new Date(now.getTime() + Math.max(row.openMs, 1_000)) });
      return;
    }
    this.probes.set(row.upstream, jobs[0]!.id);
    this.context.logger.info({ upstream: row.upstream, jobId: jobs[0]!.id }, 'upstream circuit half-open: one probe job goes');
    probe.run(jobs);
  }
}
