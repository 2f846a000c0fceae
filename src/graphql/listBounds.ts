/**
 * Relation lists (a job's attempts, its replays) take `first`, so every list in the schema has a
 * bound a client can see and the operation cost can count: a list multiplies the cost of its
 * selection by that bound, not by a guess. Defaults cover the common case (a job makes at most
 * maxRetries + 1 ≤ 26 attempts unless retried by hand) without inflating every query's cost.
 */
import { GraphQLError } from 'graphql';

export const relationListMax = 1_000;

export interface RelationList {
  /** The field, for error messages. */
  field: string;
  defaultSize: number;
}

export const attemptsList: RelationList = { field: 'attempts', defaultSize: 50 };
export const replaysList: RelationList = { field: 'replays', defaultSize: 20 };

/** The rows to load for `first`; out of range is the client's mistake, said plainly. */
export function relationTake(list: RelationList, first: number | null | undefined): number {
  const take = first ?? list.defaultSize;
  if (!Number.isInteger(take) || take < 0 || take > relationListMax) {
    throw new GraphQLError(`${list.field}(first:) must be an integer from 0 to ${relationListMax}, got ${take}.`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return take;
}

/** The cost multiplier of a relation list: its real bound. */
export function relationComplexity(list: RelationList) {
  return (args: { first?: number | null }) => ({ field: 1, multiplier: Math.max(0, args.first ?? list.defaultSize) });
}

export function firstArgDescription(list: RelationList): string {
  return `At most this many (default ${list.defaultSize}, up to ${relationListMax}).`;
}
