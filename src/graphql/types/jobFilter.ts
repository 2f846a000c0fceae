/** The JobFilter input: one filter for the jobs connection and the bulk actions. */
import type { JobFilter } from '../../db/jobFilter.js';
import { InputError } from '../../queue/errors.js';
import { builder } from '../builder.js';
import { JobPhaseEnum, JobStatusEnum, JobTypeEnum } from './enums.js';
import { parseId } from '../ids.js';

/** Most ids a filter lists (a page selection, not a table). */
const maxFilterIds = 1_000;

export const JobFilterInput = builder.inputType('JobFilter', {
  description: 'Which jobs: every field given must hold (AND); a list field matches any of its values.',
  fields: (t) => ({
    ids: t.idList({ required: false, description: `Any of these jobs (at most ${maxFilterIds}): a selection of rows.` }),
    status: t.field({ type: [JobStatusEnum], required: false, description: 'Any of these statuses.' }),
    phase: t.field({ type: JobPhaseEnum, required: false, description: 'Only jobs in this phase now.' }),
    jobType: t.field({ type: [JobTypeEnum], required: false, description: 'Any of these job types.' }),
    entityId: t.string({ required: false, description: 'Exactly this entity id.' }),
    entityIdPrefix: t.string({ required: false, description: 'Entity ids starting with this (e.g. "c_10").' }),
    groupKey: t.string({ required: false, description: 'Exactly this group (a tenant, an account).' }),
    correlationId: t.string({ required: false, description: 'The job with this correlation id.' }),
    errorType: t.string({ required: false, description: 'The latest attempt failed with this error type (e.g. UpstreamRateLimited).' }),
    createdAfter: t.field({ type: 'DateTime', required: false, description: 'Enqueued at or after this time.' }),
    createdBefore: t.field({ type: 'DateTime', required: false, description: 'Enqueued before this time.' }),
    finishedAfter: t.field({ type: 'DateTime', required: false, description: 'The latest attempt ended at or after this time.' }),
    finishedBefore: t.field({ type: 'DateTime', required: false, description: 'The latest attempt ended before this time.' }),
    updatedAfter: t.field({ type: 'DateTime', required: false, description: 'Changed (any transition) at or after this time: what changed since you last looked.' }),
    isReplay: t.boolean({ required: false, description: 'Only replays (true) or only originals (false).' }),
    minCoalescedCount: t.int({ required: false, description: 'Jobs that absorbed at least this many enqueues besides their own (ifActive COALESCE).' }),
  }),
});

type FilterInput = typeof JobFilterInput.$inferInput;

const validDate = (value: Date | null | undefined, field: string) => {
  if (value === null || value === undefined) return undefined;
  if (Number.isNaN(value.getTime())) throw new InputError(`${field} must be a valid ISO-8601 date-time.`, field);
  return value;
};

const text = (value: string | null | undefined, field: string, max = 256) => {
  if (value === null || value === undefined) return undefined;
  if (value.length > max) throw new InputError(`${field} must be at most ${max} characters.`, field);
  // PostgreSQL text cannot hold NUL (nor can any stored value): nothing could match, and the query would fail.
  if (value.includes('\u0000')) throw new InputError(`${field} must not contain NUL characters.`, field);
  return value;
};

const ids = (values: readonly (string | number)[] | null | undefined) => {
  if (values === null || values === undefined) return undefined;
  if (values.length > maxFilterIds) throw new InputError(`ids may list at most ${maxFilterIds} jobs.`, 'ids');
  // An id that cannot exist matches nothing (as the job(id:) query answers null).
  return values.map(parseId).filter((id): id is number => id !== undefined);
};

const count = (value: number | null | undefined, field: string) => {
  if (value === null || value === undefined) return undefined;
  if (value < 0) throw new InputError(`${field} must not be negative.`, field);
  return value;
};

/** The filter as the queue and the database take it; bad values are InputErrors naming the field. */
export function toJobFilter(input: FilterInput | null | undefined): JobFilter {
  if (!input) return {};
  return {
    ids: ids(input.ids),
    statuses: input.status?.length ? [...input.status] : undefined,
    phase: input.phase ?? undefined,
    jobTypes: input.jobType?.length ? [...input.jobType] : undefined,
    entityId: text(input.entityId, 'entityId'),
    entityIdPrefix: text(input.entityIdPrefix, 'entityIdPrefix') || undefined,
    groupKey: text(input.groupKey, 'groupKey'),
    correlationId: text(input.correlationId, 'correlationId'),
    errorType: text(input.errorType, 'errorType'),
    createdAfter: validDate(input.createdAfter, 'createdAfter'),
    createdBefore: validDate(input.createdBefore, 'createdBefore'),
    finishedAfter: validDate(input.finishedAfter, 'finishedAfter'),
    finishedBefore: validDate(input.finishedBefore, 'finishedBefore'),
    updatedAfter: validDate(input.updatedAfter, 'updatedAfter'),
    isReplay: input.isReplay ?? undefined,
    minCoalescedCount: count(input.minCoalescedCount, 'minCoalescedCount'),
  };
}
