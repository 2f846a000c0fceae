/**
 * Refusals. GraphQLErrors, so that a refused query or subscription says why (not masked as an
 * unexpected error), and classes the mutation unions list as typed results.
 */
import { GraphQLError } from 'graphql';
import type { Role } from './tokens.js';

export class UnauthorizedError extends GraphQLError {
  override name = 'UnauthorizedError';
  constructor(message = 'Authentication required: send Authorization: Bearer <token> (over WebSocket: {"authorization": "Bearer <token>"} in connection_init).') {
    super(message, { extensions: { code: 'UNAUTHENTICATED' } });
  }
}

export class ForbiddenError extends GraphQLError {
  override name = 'ForbiddenError';
  constructor(
    readonly requiredRole: Role,
    readonly role: Role | undefined,
  ) {
    super(`This needs the ${requiredRole} role; your token has ${role ?? 'none'}.`, { extensions: { code: 'FORBIDDEN', requiredRole } });
  }
}

export class RateLimitedError extends GraphQLError {
  override name = 'RateLimitedError';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many mutations from this token; retry after ${retryAfterSeconds} s.`, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds } });
  }
}
