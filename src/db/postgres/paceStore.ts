/** The PaceStore on PostgreSQL: one statement per call, by the server's clock (so the processes' clocks never matter). */
import type { PaceStore } from '../ports.js';
import { pgArray } from './arrays.js';
import type { WorkQuery } from './jobStore.js';

export function postgresPaceStore(query: WorkQuery): PaceStore {
  return {
    async reserve(target, intervalMs) {
      const result = await query<{ waitMs: string }>('paceReserve', [target, Math.ceil(intervalMs)]);
      return Math.max(0, Number(result.rows[0]!.waitMs));
    },
    async pausesLeft(targets) {
      const result = await query<{ target: string; leftMs: string }>('pausesLeft', [pgArray.texts(targets)]);
      return new Map(result.rows.map((row) => [row.target, Number(row.leftMs)]));
    },
    async pause(target, pauseMs) {
      await query('pacePause', [target, Math.ceil(pauseMs)]);
    },
  };
}
