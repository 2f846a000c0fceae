/** The PaceStore on SQLite: this machine's clock is the database's (one file, one machine). */
import type { PaceStore } from '../ports.js';
import { retryWhileBusy, type Prepared } from './jobStore.js';

export function sqlitePaceStore(s: Prepared, observe: (name: string) => void): PaceStore {
  return {
    reserve: (target, intervalMs) => {
      observe('paceReserve');
      return retryWhileBusy(() => Math.max(0, (s.paceReserve.get({ target, interval: Math.ceil(intervalMs), now: Date.now() }) as { waitMs: number }).waitMs));
    },
    pausesLeft: async (targets) => {
      observe('pausesLeft');
      return new Map((s.pausesLeft.all(Date.now(), JSON.stringify(targets)) as { target: string; leftMs: number }[]).map((row) => [row.target, row.leftMs]));
    },
    pause: async (target, pauseMs) => {
      observe('pacePause');
      const now = Date.now();
      await retryWhileBusy(() => s.pacePause.run({ target, now, until: now + Math.ceil(pauseMs) }));
    },
  };
}
