/**
 * Who is calling: from `Authorization: Bearer <token>` (HTTP, SSE) or the graphql-ws
 * connection_init payload's `authorization`. Without tokens configured every caller is the
 * anonymous admin (the open behaviour, for a loopback-only server); with tokens, a caller without
 * one is anonymous with no role, and a malformed or unknown token is refused outright.
 */
import type { Role, TokenStore } from './tokens.js';

export interface Principal {
  /** The token's name, or "anonymous". */
  name: string;
  /** Undefined: may do nothing that needs a role. */
  role: Role | undefined;
}

export type Authentication = { ok: true; principal: Principal } | { ok: false; reason: string };

export const anonymousName = 'anonymous';

export function authenticate(store: TokenStore, authorization: unknown): Authentication {
  if (!store.enabled) return { ok: true, principal: { name: anonymousName, role: 'admin' } };
  if (authorization === undefined || authorization === null || authorization === '') return { ok: true, principal: { name: anonymousName, role: undefined } };
  const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (!match) return { ok: false, reason: 'The authorization must be "Bearer <token>".' };
  const entry = store.verify(match[1]!);
  if (!entry) return { ok: false, reason: 'The token is not valid.' };
  return { ok: true, principal: entry };
}
