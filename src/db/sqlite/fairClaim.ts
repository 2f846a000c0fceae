/**
 * The fair claim on SQLite (JobStore.claimGrouped): one immediate transaction, the single writer
 * making it a turn of its own. Each pass (domain `fairPasses`) walks the groups in one statement,
 * with each group's first due job; in the last pass, with room to spare (fewer groups than jobs
 * wanted), each group's next ones, one statement a group (microseconds here); then the first of
 * each group, the second of each, … are leased in one statement.
 */
import type Database from 'better-sqlite3';
import { fairPasses } from '../../domain/index.js';
import { jobFromValues } from '../jobRow.js';
import type { Job } from '../types.js';
import type { Prepared } from './jobStore.js';

interface FairClaimParams {
  workerId: string;
  now: number;
  expires: number;
  limit: number;
  jobType: string;
  after: string;
}

type FairClaimed = { jobs: Job[]; lastGroup: string | undefined };

export function fairClaimTransaction(connection: Database.Database, s: Prepared): Database.Transaction<(params: FairClaimParams) => FairClaimed> {
  return connection.transaction((params: FairClaimParams): FairClaimed => {
    const type = s.groupedType.get({ jobType: params.jobType }) as { concurrency: number | null; groupConcurrency: number | null; running: number } | undefined;
    if (!type) return { jobs: [], lastGroup: undefined };
    let typeRoom = type.concurrency === null ? params.limit : Math.max(0, Math.min(params.limit, type.concurrency - type.running));
    const jobs: Job[] = [];
    let lastGroup: string | undefined;
    for (const [after, perGroup] of fairPasses(params.after, params.limit)) {
      if (typeRoom <= 0) break;
      const walked = (
        s.groupsWalk.all({ jobType: params.jobType, after, walk: typeRoom * 2, groupConcurrency: type.groupConcurrency, limit: params.limit, now: params.now }) as {
          groupKey: string;
          room: number;
          firstId: number | null;
        }[]
      ).filter((group) => group.room > 0 && group.firstId !== null);
      // The first due job of each group in turn; in the last pass, with room to spare (fewer groups
      // than jobs wanted), each group's next ones (statements cost microseconds here): the second of each, …
      const queues = walked.map((group) => ({ groupKey: group.groupKey, room: group.room, ids: [group.firstId!] }));
      if (perGroup > 1 && queues.length < typeRoom) {
        for (const queue of queues) {
          if (queue.room < 2) continue;
          const limit = Math.min(queue.room, typeRoom, perGroup);
          queue.ids = (s.groupDue.all({ jobType: params.jobType, groupKey: queue.groupKey, now: params.now, limit }) as { id: number }[]).map((row) => row.id);
        }
      }
      const ids: number[] = [];
      for (let rank = 0; ids.length < typeRoom && queues.some((queue) => queue.ids.length > rank); rank++) {
        for (const queue of queues) {
          if (ids.length >= typeRoom) break;
          const id = queue.ids[rank];
          if (id === undefined) continue;
          ids.push(id);
          lastGroup = queue.groupKey; // the turn passes the last group served
        }
      }
      if (!ids.length) continue;
      const lease = s.anyFollowUp.get() ? s.claimGroupedIds : s.claimGroupedIdsPlain;
      const claimed = (lease.all({ ids: JSON.stringify(ids), workerId: params.workerId, now: params.now, expires: params.expires }) as unknown[][]).map(jobFromValues);
      jobs.push(...claimed);
      typeRoom -= claimed.length;
    }
    return { jobs, lastGroup };
  });
}
