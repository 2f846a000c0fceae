import { GraphQLError, Kind, valueFromASTUntyped } from 'graphql';
import { parseDateTime } from '../../domain/index.js';
import { builder } from '../builder.js';

/**
 * RFC 3339 date-times with an offset, answered in UTC. An input string that is not one parses to
 * an invalid Date rather than failing the whole request, so the service can answer with a typed
 * InputError naming the field (and, in a batch, only that item fails); anything that is not a
 * string is rejected by GraphQL itself.
 */
builder.scalarType('DateTime', {
  description:
    'An RFC 3339 date-time with its offset, e.g. "2026-11-28T09:30:00Z" or "2026-11-28T10:30:00+01:00" (years 0001-9999); answered in UTC, e.g. "2026-11-28T09:30:00.000Z".',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: (value) => {
    if (typeof value !== 'string') throw new GraphQLError('DateTime must be an RFC 3339 string, e.g. "2026-11-28T09:30:00Z"');
    return parseDateTime(value) ?? new Date(Number.NaN);
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an RFC 3339 string, e.g. "2026-11-28T09:30:00Z"');
    return parseDateTime(ast.value) ?? new Date(Number.NaN);
  },
});

/** Any JSON value (a job's payload); literals in a document are read as JSON too. */
builder.scalarType('JSON', {
  description: 'Any JSON value: an object, array, string, number, boolean or null (a job payload, a JSON Schema).',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables ?? undefined),
});
