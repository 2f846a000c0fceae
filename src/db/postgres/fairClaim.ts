/**
 * The fair claim on PostgreSQL (JobStore.claimGrouped): in the caller's transaction, the type's
 * row locked first (its claims take turns across processes, and the RUNNING counts the claim
 * reads include every claim committed before this turn), then its passes (domain `fairPasses`).
 */
import type pg from 'pg';
import { fairPasses } from '../../domain/index.js';
import { jobFromValues } from '../jobRow.js';
import type { ClaimParams } from '../ports.js';
import type { Job } from '../types.js';
import { iso } from './arrays.js';
import { workStatements } from './statements.js';

/**
 * Where the next fair claim starts after: the last group served in the claim's order (the first of
 * each group in key order, then the second of each, …): among the groups that got the most jobs,
 * the one furthest in key order.
 */
function lastServed(claimed: readonly Job[]): string {
  const counts = new Map<string, number>();
  for (const job of claimed) counts.set(job.groupKey!, (counts.get(job.groupKey!) ?? 0) + 1);
  const most = Math.max(...counts.values());
  return [...counts].filter(([, count]) => count === most).reduce((furthest, [group]) => (group > furthest ? group : furthest), '');
}

/** Claims due jobs of one grouped type, the groups taking turns: its jobs and the group the next claim starts after. */
export async function claimGroupedInTurn(
  client: pg.PoolClient,
  { workerId, now, leaseMs, limit, jobType, after }: ClaimParams & { jobType: string; after: string },
): Promise<{ jobs: Job[]; lastGroup: string | undefined }> {
  const run = <R extends pg.QueryResultRow>(name: keyof typeof workStatements, values: unknown[]) => client.query<R>({ name, text: workStatements[name], values });
  const lock = await run<{ concurrency: number | null; groupConcurrency: number | null; running: string }>('groupedTypeLock', [jobType]);
  const type = lock.rows[0];
  if (!type) return { jobs: [], lastGroup: undefined };
  let typeRoom = type.concurrency === null ? limit : Math.max(0, Math.min(limit, type.concurrency - Number(type.running)));
  const jobs: Job[] = [];
  let lastGroup: string | undefined;
  for (const [from, perGroup] of fairPasses(after, limit)) {
    if (typeRoom <= 0) break;
    const values = [iso(now), limit, workerId, leaseMs, jobType, from, limit * 2, type.groupConcurrency, typeRoom, perGroup];
    const claimed = (await run<{ r: unknown[] }>('claimGrouped', values)).rows.map((row) => jobFromValues(row.r));
    if (claimed.length) lastGroup = lastServed(claimed);
    jobs.push(...claimed);
    typeRoom -= claimed.length;
  }
  return { jobs, lastGroup };
}
