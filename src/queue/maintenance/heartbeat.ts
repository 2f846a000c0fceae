/**
 * Each process reports itself every SYNCBRIDGE_HEARTBEAT_SECONDS (host, pid, roles, version, its
 * worker's concurrency and running jobs), so `processes` lists every process sharing the database,
 * another machine's too. A process that stops cleanly removes its row; one that stops beating
 * (killed, cut off) is left out of the list after three beats, and its row is removed after an
 * hour by whichever process beats next.
 */
import { hostname } from 'node:os';
import type { QueueContext } from '../context.js';
import { Periodic } from './periodic.js';

/** Beats missed before a process is left out of the list. */
export const missedBeats = 3;
/** A silent process's row is kept this long (an operator may still ask what it was). */
const forgetAfterMs = 3_600_000;

export interface ProcessSelf {
  id: string;
  roles: ('api' | 'worker')[];
  version: string;
  concurrency: number | null;
  /** Jobs its worker runs now. */
  running(): number;
}

export interface ProcessRow {
  id: string;
  host: string;
  pid: number;
  roles: string;
  version: string;
  concurrency: number | null;
  running: number;
  startedAt: Date;
  lastSeenAt: Date;
}

export class Heartbeat extends Periodic<void> {
  private readonly startedAt: Date;

  constructor(
    private readonly context: QueueContext,
    private readonly self: ProcessSelf,
    intervalMs: number,
  ) {
    super(() => this.beat(), intervalMs, context.logger, 'reporting this process');
    this.startedAt = context.now();
  }

  override start(): void {
    void this.runOnce(); // listed at once, not one interval later
    super.start();
  }

  private async beat(): Promise<void> {
    const now = this.context.now();
    const row = {
      host: hostname(),
      pid: process.pid,
      roles: this.self.roles.join(','),
      version: this.self.version,
      concurrency: this.self.concurrency,
      running: this.self.running(),
      lastSeenAt: now,
    };
    await this.context.db.processHeartbeat.upsert({ where: { id: this.self.id }, create: { id: this.self.id, startedAt: this.startedAt, ...row }, update: row });
    await this.context.db.processHeartbeat.deleteMany({ where: { lastSeenAt: { lt: new Date(now.getTime() - forgetAfterMs) } } });
  }

  /** Stops beating and removes this process's row: it leaves the list at once. */
  override async stop(): Promise<void> {
    await super.stop();
    await this.context.db.processHeartbeat.deleteMany({ where: { id: this.self.id } }).catch((error: unknown) => {
      this.context.logger.warn({ err: error }, 'could not remove this process from the processes list; it drops out after three beats');
    });
  }
}

/** The processes that beat within the last three intervals, workers first, then by host and start. */
export async function processesRead(context: Pick<QueueContext, 'db' | 'now'>, heartbeatMs: number): Promise<ProcessRow[]> {
  const since = new Date(context.now().getTime() - missedBeats * heartbeatMs);
  const rows = await context.db.processHeartbeat.findMany({ where: { lastSeenAt: { gte: since } }, orderBy: [{ host: 'asc' }, { startedAt: 'asc' }] });
  return rows.sort((a, b) => Number(b.roles.includes('worker')) - Number(a.roles.includes('worker')));
}
