/**
 * Per-request batch loaders for the reads every page makes (jobs by id, a job's attempts and
 * replays, an attempt's job and replays): whatever the number of jobs on a page, each relation is
 * one statement on the driver (src/db/ports.ts), not one per job, and not one Prisma query each
 * (Prisma's client cost 40 times the database's own work per read, measured).
 */
import DataLoader from 'dataloader';
import type { JobReads } from '../db/ports.js';
import type { Attempt, Job } from '../db/types.js';

function groupBy<T>(rows: T[], key: (row: T) => number | null): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const row of rows) {
    const id = key(row);
    if (id === null) continue;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = []));
    group.push(row);
  }
  return groups;
}

/**
 * Batching only, no caching: a subscription keeps its context for its whole life, and a cached
 * row would be served again for every later event of the job.
 */
const options = { cache: false } as const;

export class Loaders {
  private jobLoader: DataLoader<number, Job | null> | undefined;
  private attemptLoader: DataLoader<number, Attempt | null> | undefined;
  /** One loader per list bound (`first`), since the statement takes it. */
  private readonly lists = new Map<string, DataLoader<number, (Job | Attempt)[]>>();

  constructor(private readonly reads: JobReads) {}

  get jobs(): DataLoader<number, Job | null> {
    return (this.jobLoader ??= new DataLoader(async (ids) => {
      const byId = new Map((await this.reads.byIds([...new Set(ids)])).map((job) => [job.id, job]));
      return ids.map((id) => byId.get(id) ?? null);
    }, options));
  }

  get attempts(): DataLoader<number, Attempt | null> {
    return (this.attemptLoader ??= new DataLoader(async (ids) => {
      const byId = new Map((await this.reads.attemptsByIds([...new Set(ids)])).map((attempt) => [attempt.id, attempt]));
      return ids.map((id) => byId.get(id) ?? null);
    }, options));
  }

  /** A job's attempts, newest first, at most `first`. */
  attemptsOfJob(jobId: number, first: number): Promise<Attempt[]> {
    return this.list(`attempts:${first}`, async (ids) => groupBy(await this.reads.attemptsByJobIds(ids, first), (attempt) => attempt.jobId)).load(jobId) as Promise<Attempt[]>;
  }

  /** Jobs that replay a job (`replayOfId`) or an attempt (`replayOfAttemptId`), newest first, at most `first`. */
  replaysOf(parent: 'replayOfId' | 'replayOfAttemptId', parentId: number, first: number): Promise<Job[]> {
    return this.list(`${parent}:${first}`, async (ids) => groupBy(await this.reads.replaysByParents(parent, ids, first), (job) => job[parent])).load(parentId) as Promise<Job[]>;
  }

  private list<T extends Job | Attempt>(key: string, load: (ids: readonly number[]) => Promise<Map<number, T[]>>): DataLoader<number, T[]> {
    let loader = this.lists.get(key) as DataLoader<number, T[]> | undefined;
    if (!loader) {
      loader = new DataLoader<number, T[]>(async (ids) => {
        const groups = await load([...new Set(ids)]);
        return ids.map((id) => groups.get(id) ?? []);
      }, options);
      this.lists.set(key, loader as unknown as DataLoader<number, (Job | Attempt)[]>);
    }
    return loader;
  }
}
