/** The JobReads on SQLite, on the hot path's connection (reads never wait for the writer in WAL mode). */
import type Database from 'better-sqlite3';
import { attemptFromValues, jobFromValues } from '../jobRow.js';
import { jobFilterSql, jobOrderSql, newestFirst, type SqlFlavor } from '../jobFilter.js';
import type { JobReads } from '../ports.js';
import type { Prepared } from './jobStore.js';
import { jobSelect } from './statements.js';

/** How filters write parameters here (src/db/jobFilter.ts): times are epoch ms. */
const flavor: SqlFlavor = {
  placeholder: () => '?',
  time: (date) => date.getTime(),
  timeParam: (placeholder) => placeholder,
  epoch: '0',
  bool: (value) => (value ? 1 : 0),
  inList: (column, placeholder, values) => ({ sql: `${column} IN (SELECT value FROM json_each(${placeholder}))`, value: JSON.stringify(values) }),
  // The column's collation is BINARY: comparisons are byte-wise already.
  byteRange: (column, low, high) => `${column} >= ${low}${high ? ` AND ${column} < ${high}` : ''}`,
};

export function sqliteJobReads(connection: Database.Database, s: Prepared, observe: (name: string) => void): JobReads {
  /** Filtered reads: a statement per distinct filter shape, prepared once (bounded). */
  const readCache = new Map<string, Database.Statement>();
  const cachedRead = (text: string) => {
    let statement = readCache.get(text);
    if (!statement) {
      if (readCache.size >= 200) readCache.delete(readCache.keys().next().value!);
      readCache.set(text, (statement = connection.prepare(text).raw(true)));
    }
    return statement;
  };
  const rows = <T>(name: string, statement: Database.Statement, decode: (values: unknown[]) => T, ...params: unknown[]): T[] => {
    observe(name);
    return (statement.all(...params) as unknown[][]).map(decode);
  };
  return {
    byIds: async (ids) => (ids.length ? rows('jobsByIds', s.jobsByIds, jobFromValues, JSON.stringify(ids)) : []),
    attemptsByIds: async (ids) => (ids.length ? rows('attemptsByIds', s.attemptsByIds, attemptFromValues, JSON.stringify(ids)) : []),
    attemptsByJobIds: async (jobIds, perJob) => (jobIds.length ? rows('attemptsByJobIds', s.attemptsByJobIds, attemptFromValues, JSON.stringify(jobIds), perJob) : []),
    replaysByParents: async (parent, parentIds, perParent) =>
      parentIds.length
        ? rows(`replaysBy${parent}`, parent === 'replayOfId' ? s.replaysByReplayOfId : s.replaysByReplayOfAttemptId, jobFromValues, JSON.stringify(parentIds), perParent)
        : [],

    async page({ filter, now, limit, afterId, beforeId, afterKey, beforeKey, backward, order = newestFirst }) {
      const where = jobFilterSql(filter, now, flavor);
      const cursor = afterId !== undefined ? { id: afterId, key: afterKey } : beforeId !== undefined ? { id: beforeId, key: beforeKey } : undefined;
      const sorted = jobOrderSql(order, cursor, backward ?? false, flavor, where.params.length + 1);
      return rows(
        'jobsPage',
        cachedRead(`SELECT ${jobSelect} FROM "Job" WHERE ${where.sql} ${sorted.cursorSql} ORDER BY ${sorted.orderBy} LIMIT ?`),
        jobFromValues,
        ...where.params,
        ...sorted.params,
        limit,
      );
    },

    async count(filter, now) {
      observe('jobsCount');
      const where = jobFilterSql(filter, now, flavor);
      return (cachedRead(`SELECT count(*) FROM "Job" WHERE ${where.sql}`).get(...where.params) as unknown[])[0] as number;
    },
  };
}
