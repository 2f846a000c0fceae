import { GraphQLError, Kind } from 'graphql';
import { builder } from '../builder.js';

/**
 * ISO-8601 date-times in UTC. An input string that is not a date parses to an invalid Date rather
 * than failing the whole request, so the service can answer with a typed InputError naming the
 * field; anything that is not a string is rejected by GraphQL itself.
 */
builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time in UTC, e.g. "2026-11-28T09:30:00.000Z".',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: (value) => {
    if (typeof value !== 'string') throw new GraphQLError('DateTime must be an ISO-8601 string');
    return new Date(value);
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return new Date(ast.value);
  },
});
