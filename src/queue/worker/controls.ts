/**
 * The job type controls as the worker obeys them: paused types, types with a concurrency
 * limit, grouped types and paused groups, read from the database (every second, and at once on a change in this process), one
 * read at a time, so reads never pile up while the database is away.
 */
import type { Logger } from 'pino';
import type { JobStore } from '../../db/ports.js';

/** A paused group's key in JobTypeControls.pausedGroups. */
export const pausedGroupKey = (jobType: string, groupKey: string): string => `${jobType}\u0000${groupKey}`;

export class JobTypeControls {
  paused = new Set<string>();
  limited = new Set<string>();
  /** Types whose jobs with a group are claimed group by group (claimGrouped). */
  grouped = new Set<string>();
  /** Paused groups, by groupKeyOf(jobType, groupKey): their jobs claimed ahead do not start. */
  pausedGroups = new Set<string>();
  private reading: Promise<boolean> | undefined;

  constructor(
    private readonly store: Pick<JobStore, 'controls' | 'pausedGroups'>,
    private readonly logger: Logger,
  ) {}

  /** Reads the controls again; resolves true when a type may have become claimable (resumed, newly limited). */
  refresh(): Promise<boolean> {
    return (this.reading ??= this.read().finally(() => (this.reading = undefined)));
  }

  private async read(): Promise<boolean> {
    try {
      const [controls, pausedGroups] = await Promise.all([this.store.controls(), this.store.pausedGroups()]);
      const paused = new Set(controls.filter((control) => control.paused).map((control) => control.jobType));
      const limited = new Set(controls.filter((control) => control.concurrency !== null).map((control) => control.jobType));
      const grouped = new Set(controls.filter((control) => control.grouped).map((control) => control.jobType));
      const pausedGroupKeys = new Set(pausedGroups.map((group) => pausedGroupKey(group.jobType, group.groupKey)));
      const claimable =
        [...this.pausedGroups].some((key) => !pausedGroupKeys.has(key)) ||
        [...this.paused].some((jobType) => !paused.has(jobType)) ||
        [...limited].some((jobType) => !this.limited.has(jobType)) ||
        [...grouped].some((jobType) => !this.grouped.has(jobType));
      this.paused = paused;
      this.limited = limited;
      this.grouped = grouped;
      this.pausedGroups = pausedGroupKeys;
      return claimable;
    } catch (error) {
      this.logger.warn({ err: error }, 'reading job type controls failed; trying again shortly');
      return false;
    }
  }
}
