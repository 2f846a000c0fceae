/** A job row's compact form: every column, in jobColumns order, survives the round trip. */
import { describe, expect, it } from 'vitest';
import { jobColumns, jobDateColumns, jobFromValues, jobToValues } from '../src/db/jobRow.js';

describe('job rows as values', () => {
  // A row with a distinct, non-null value in every column.
  const values = jobColumns.map((column, index) =>
    jobDateColumns.has(column)
      ? 1_700_000_000_000 + index
      : column === 'isReplay'
        ? true
        : typeof index === 'number' &&
            ['id', 'priority', 'maxRetries', 'attemptCount', 'payloadVersion', 'lastDurationMs', 'replayOfId', 'replayOfAttemptId', 'unchargedAttempts', 'coalescedCount'].includes(
              column,
            )
          ? 100 + index
          : `v${index}`,
  );

  it('reads each value into its own column, and writes it back in the same place', () => {
    const job = jobFromValues(values);
    expect(Object.keys(job)).toEqual([...jobColumns]);
    for (const [index, column] of jobColumns.entries()) {
      const value = job[column];
      expect(value instanceof Date ? value.getTime() : value, column).toBe(values[index]);
    }
    expect(jobToValues(job)).toEqual(values);
  });

  it('takes SQLite and driver forms: bigint numbers, 0/1 booleans, null times', () => {
    const raw: unknown[] = values.map((value, index) => (jobColumns[index] === 'isReplay' ? 0 : typeof value === 'number' ? BigInt(value) : value));
    raw[jobColumns.indexOf('deadAt')] = null;
    const job = jobFromValues(raw);
    expect(job.isReplay).toBe(false);
    expect(job.id).toBe(values[0]);
    expect(job.deadAt).toBeNull();
    expect(job.createdAt).toEqual(new Date(values[jobColumns.indexOf('createdAt')] as number));
  });
});
