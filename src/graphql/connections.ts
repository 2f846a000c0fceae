/**
 * Connections of records that only grow (audit events, webhook deliveries, alerts): newest first,
 * the record's id as its cursor, so a page is one index range read whatever was added meanwhile.
 */
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { GraphQLError } from 'graphql';
import { parseId } from './ids.js';

export interface PageBounds {
  defaultSize: number;
  maxSize: number;
}

/** The id range and order of one page, for the caller's own `findMany`. */
export interface PageQuery {
  id: { lt: number | undefined; gt: number | undefined };
  order: 'asc' | 'desc';
  take: number;
}

type ConnectionArgs = { first?: number | null; last?: number | null; before?: string | null; after?: string | null };

/** The operation cost of a page: its real bound. */
export function pageComplexity(bounds: PageBounds) {
  return (args: { first?: number | null; last?: number | null }) => ({
    field: 1,
    multiplier: Math.min(bounds.maxSize, Math.max(0, args.first ?? args.last ?? bounds.defaultSize)),
  });
}

export function newestFirst<T extends { id: number }>(field: string, args: ConnectionArgs, bounds: PageBounds, read: (page: PageQuery) => Promise<T[]>) {
  const cursor = (value: string | undefined) => {
    if (value === undefined) return undefined;
    const id = parseId(value);
    if (id === undefined) throw new GraphQLError(`Not a cursor of ${field}: "${value}".`, { extensions: { code: 'BAD_USER_INPUT' } });
    return id;
  };
  return resolveCursorConnection(
    { args, toCursor: (row: T) => String(row.id), defaultSize: bounds.defaultSize, maxSize: bounds.maxSize },
    // Newest first: "after" a cursor means older (smaller ids).
    ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) => read({ id: { lt: cursor(after), gt: cursor(before) }, order: inverted ? 'asc' : 'desc', take: limit }),
  );
}
