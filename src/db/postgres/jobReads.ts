/** The JobReads on PostgreSQL: the general pool (which Prisma shares), so a burst of reads never queues the worker's writes. */
import type pg from 'pg';
import { attemptFromValues, jobFromValues } from '../jobRow.js';
import { jobFilterSql, jobOrderSql, newestFirst, type SqlFlavor } from '../jobFilter.js';
import type { JobReads } from '../ports.js';
import { pgArray } from './arrays.js';
import { jobAsArray, readStatements } from './statements.js';

/** How filters write parameters here (src/db/jobFilter.ts). */
const flavor: SqlFlavor = {
  placeholder: (index) => `$${index}`,
  time: (date) => date.toISOString(),
  timeParam: (placeholder) => `${placeholder}::timestamp`,
  epoch: "timestamp 'epoch'",
  bool: (value) => value,
  inList: (column, placeholder, values) => ({ sql: `${column} = ANY(${placeholder})`, value: values }),
  // The pattern operators compare bytes; the text_pattern_ops index on entityId serves them.
  byteRange: (column, low, high) => `${column} ~>=~ ${low}${high ? ` AND ${column} ~<~ ${high}` : ''}`,
};

export function postgresJobReads(pool: pg.Pool, observe: (name: string) => void): JobReads {
  const read = async <T>(name: keyof typeof readStatements, values: unknown[], decode: (values: unknown[]) => T): Promise<T[]> => {
    observe(name);
    return (await pool.query<{ r: unknown[] }>({ name, text: readStatements[name], values })).rows.map((row) => decode(row.r));
  };
  return {
    byIds: async (ids) => (ids.length ? read('jobsByIds', [pgArray.numbers(ids)], jobFromValues) : []),
    attemptsByIds: async (ids) => (ids.length ? read('attemptsByIds', [pgArray.numbers(ids)], attemptFromValues) : []),
    attemptsByJobIds: async (jobIds, perJob) => (jobIds.length ? read('attemptsByJobIds', [pgArray.numbers(jobIds), perJob], attemptFromValues) : []),
    replaysByParents: async (parent, parentIds, perParent) =>
      parentIds.length ? read(parent === 'replayOfId' ? 'replaysByReplayOfId' : 'replaysByReplayOfAttemptId', [pgArray.numbers(parentIds), perParent], jobFromValues) : [],

    async page({ filter, now, limit, afterId, beforeId, afterKey, beforeKey, backward, order = newestFirst }) {
      observe('jobsPage');
      const where = jobFilterSql(filter, now, flavor);
      const cursor = afterId !== undefined ? { id: afterId, key: afterKey } : beforeId !== undefined ? { id: beforeId, key: beforeKey } : undefined;
      const sorted = jobOrderSql(order, cursor, backward ?? false, flavor, where.params.length + 1);
      const params = [...where.params, ...sorted.params];
      const text = `SELECT ${jobAsArray} AS r FROM "Job" AS j WHERE ${where.sql} ${sorted.cursorSql} ORDER BY ${sorted.orderBy} LIMIT $${params.push(limit)}`;
      // Unnamed: filters vary; the planner sees the real values.
      return (await pool.query<{ r: unknown[] }>(text, params)).rows.map((row) => jobFromValues(row.r));
    },

    async count(filter, now) {
      observe('jobsCount');
      const where = jobFilterSql(filter, now, flavor);
      return (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Job" WHERE ${where.sql}`, where.params)).rows[0]!.n;
    },
  };
}
