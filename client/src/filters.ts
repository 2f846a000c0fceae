/**
 * The jobs view's filter lives in the URL (shareable, survives a reload): its query parameters
 * are read case-insensitively (`?status=dead` is DEAD) into the API's JobFilter, and written back
 * from the filter form.
 */

import { jobPhases, jobStatuses, systemErrorTypes, upstreamErrorTypes } from 'syncbridge/domain';
import { asJobType, type JobTypeName } from './jobTypes';

// The domain's words (syncbridge/domain: src/domain, which imports nothing outside itself), as the API's enums spell them.
// Job types are the server's own (src/jobTypes.ts): a type in the URL is taken as written, upper-cased.
export const statuses = jobStatuses;
export const phases = jobPhases;
export const errorTypes = [...upstreamErrorTypes, ...Object.values(systemErrorTypes)];

/** The part of the API's JobFilter input the view sets (the queries check it against the schema where they pass it). */
export interface JobFilter {
  ids?: string[];
  status?: (typeof statuses)[number][];
  phase?: (typeof phases)[number];
  jobType?: JobTypeName[];
  entityId?: string;
  entityIdPrefix?: string;
  groupKey?: string;
  correlationId?: string;
  errorType?: string;
  createdAfter?: string;
  createdBefore?: string;
  finishedAfter?: string;
  finishedBefore?: string;
}

/** The URL's parameter names, as an operator would type them. */
export const filterParams = [
  'status',
  'phase',
  'type',
  'entity',
  'group',
  'correlation',
  'error',
  'createdAfter',
  'createdBefore',
  'finishedAfter',
  'finishedBefore',
  'range',
  'sort',
] as const;

/**
 * The time presets (`?range=24h`): the jobs created in that span, and the history chart over it,
 * in buckets that give it 15 to 60 bars.
 */
export const timeRanges = {
  '15m': { label: '15 min', ms: 15 * 60_000, bucket: '1m' },
  '1h': { label: '1 h', ms: 3_600_000, bucket: '1m' },
  '24h': { label: '24 h', ms: 86_400_000, bucket: '30m' },
  '7d': { label: '7 d', ms: 7 * 86_400_000, bucket: '6h' },
} as const;
export type TimeRange = keyof typeof timeRanges;

/** The sortable columns (`?sort=finished` newest first, `?sort=finished_asc`), as the API's JobOrder. */
export const sortFields = { created: 'CREATED_AT', finished: 'FINISHED_AT', took: 'DURATION' } as const;
export type SortColumn = keyof typeof sortFields;
export interface Sort {
  column: SortColumn;
  direction: 'ASC' | 'DESC';
}

export function sortOf(params: URLSearchParams): Sort {
  const [column, direction] = (params.get('sort') ?? '').toLowerCase().split('_');
  return { column: column && column in sortFields ? (column as SortColumn) : 'created', direction: direction === 'asc' ? 'ASC' : 'DESC' };
}

/** The `sort` parameter for a sort (none for the default, newest first). */
export const sortParam = (sort: Sort) => (sort.column === 'created' && sort.direction === 'DESC' ? undefined : `${sort.column}${sort.direction === 'ASC' ? '_asc' : ''}`);

export const timeRangeOf = (params: URLSearchParams): TimeRange | undefined => {
  const raw = params.get('range')?.trim().toLowerCase();
  return raw && raw in timeRanges ? (raw as TimeRange) : undefined;
};
export type FilterParam = (typeof filterParams)[number];

const pick = <T extends string>(values: readonly T[], raw: string | null | undefined): T | undefined =>
  raw ? values.find((value) => value.toLowerCase() === raw.trim().toLowerCase()) : undefined;

const isoOrUndefined = (raw: string | null) => {
  if (!raw) return undefined;
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

/**
 * The filter the URL describes; unknown values are left out (and the form shows what applies).
 * `knownTypes`: the server's job types, once read (until then a type is taken as written).
 */
export function filterFromParams(params: URLSearchParams, knownTypes?: readonly string[]): JobFilter {
  const status = (params.get('status') ?? '')
    .split(',')
    .map((value) => pick(statuses, value))
    .filter((value): value is (typeof statuses)[number] => value !== undefined);
  const rawType = params.get('type')?.trim();
  const written = rawType && /^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(rawType) ? rawType.toUpperCase() : undefined;
  const type = written && (!knownTypes || knownTypes.includes(written)) ? asJobType(written) : undefined;
  const entity = params.get('entity')?.trim();
  // "c_10*" is a prefix; anything else an exact entity id.
  const prefix = entity?.endsWith('*') ? entity.slice(0, -1) : undefined;
  return {
    status: status.length ? status : undefined,
    phase: pick(phases, params.get('phase')),
    jobType: type ? [type] : undefined,
    entityId: entity && !prefix ? entity : undefined,
    entityIdPrefix: prefix || undefined,
    groupKey: params.get('group')?.trim() || undefined,
    correlationId: params.get('correlation')?.trim() || undefined,
    errorType: pick(errorTypes, params.get('error')) ?? (params.get('error')?.trim() || undefined),
    // A preset is "created since then", from when the page read the URL.
    createdAfter: isoOrUndefined(params.get('createdAfter')) ?? rangeStart(timeRangeOf(params)),
    createdBefore: isoOrUndefined(params.get('createdBefore')),
    finishedAfter: isoOrUndefined(params.get('finishedAfter')),
    finishedBefore: isoOrUndefined(params.get('finishedBefore')),
  };
}

function rangeStart(range: TimeRange | undefined): string | undefined {
  return range ? new Date(Date.now() - timeRanges[range].ms).toISOString() : undefined;
}

/** Whether a filter holds any condition (the bulk actions refuse an empty one). */
export function hasConditions(filter: JobFilter): boolean {
  return Object.values(filter).some((value) => value !== undefined && value !== null);
}

/** The URL for these parameter values (empty ones left out), keeping nothing else. */
export function jobsUrl(values: Partial<Record<FilterParam | 'after' | 'before', string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value?.trim()) params.set(key, value.trim());
  const query = params.toString();
  return query ? `/?${query}` : '/';
}

/** The URL with some parameters changed (pages: the cursors). */
export function withParams(params: URLSearchParams, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    if (value) next.set(key, value);
    else next.delete(key);
  }
  const query = next.toString();
  return query ? `/?${query}` : '/';
}

/** Whether a job (as the live stream sends it) is one the filter matches. */
export function matches(
  filter: JobFilter,
  job: { status: string; phase: string; jobType: string; entityId: string; groupKey?: string | null; correlationId?: string; lastErrorType?: string | null },
): boolean {
  if (filter.status && !filter.status.includes(job.status as never)) return false;
  if (filter.phase && job.phase !== filter.phase) return false;
  if (filter.jobType && !filter.jobType.includes(job.jobType as never)) return false;
  if (filter.entityId && job.entityId !== filter.entityId) return false;
  if (filter.entityIdPrefix && !job.entityId.startsWith(filter.entityIdPrefix)) return false;
  if (filter.groupKey && job.groupKey !== filter.groupKey) return false;
  if (filter.correlationId && job.correlationId !== filter.correlationId) return false;
  if (filter.errorType && job.lastErrorType !== filter.errorType) return false;
  return true;
}
