/**
 * API tokens: who may call, as which role. Tokens come from SYNCBRIDGE_API_TOKENS
 * (`name:role:token`, comma-separated) and SYNCBRIDGE_API_TOKENS_FILE (one `name:role:sha256:<hex>`
 * per line: the file holds only digests, so it can be checked in to configuration management).
 * Only digests are kept in memory; a presented token is hashed and compared with every entry in
 * constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const roles = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof roles)[number];

/** viewer: queries and subscriptions; operator: also every mutation; admin: also admin operations. */
export function roleAtLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && roles.indexOf(role) >= roles.indexOf(needed);
}

export interface TokenEntry {
  name: string;
  role: Role;
  /** SHA-256 of the token. */
  digest: Buffer;
}

const namePattern = /^[A-Za-z0-9_.@-]{1,64}$/;
const tokenPattern = /^[A-Za-z0-9_\-.~+/=]{16,256}$/;

export function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A new random token (`sbt_` and 43 characters) and the file line that grants it. */
export function createToken(name: string, role: Role): { token: string; fileLine: string } {
  if (!namePattern.test(name)) throw new Error(`The name must be 1-64 letters, digits or . _ @ -, got "${name}".`);
  const token = `sbt_${randomBytes(32).toString('base64url')}`;
  return { token, fileLine: `${name}:${role}:sha256:${digestOf(token).toString('hex')}` };
}

/** Parses SYNCBRIDGE_API_TOKENS; problems are returned, one message each. */
export function parseTokenList(raw: string): { entries: TokenEntry[]; problems: string[] } {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .forEach((part, index) => {
      const [name = '', role = '', ...rest] = part.split(':');
      const token = rest.join(':');
      const where = `entry ${index + 1} ("${name || '?'}")`;
      if (!namePattern.test(name)) problems.push(`${where}: the name must be 1-64 letters, digits or . _ @ -`);
      else if (!(roles as readonly string[]).includes(role)) problems.push(`${where}: the role must be one of ${roles.join(', ')}`);
      else if (!tokenPattern.test(token)) problems.push(`${where}: the token must be 16-256 characters of A-Z a-z 0-9 _ - . ~ + / = (make one with \`syncbridge token create\`)`);
      else entries.push({ name, role: role as Role, digest: digestOf(token) });
    });
  return { entries, problems };
}

/** Parses the lines of SYNCBRIDGE_API_TOKENS_FILE (`#` comments and blank lines ignored). */
export function parseTokenFile(text: string): { entries: TokenEntry[]; problems: string[] } {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) return;
    const [name = '', role = '', algorithm = '', hex = '', ...rest] = line.split(':');
    const where = `line ${index + 1}`;
    if (rest.length || algorithm !== 'sha256' || !/^[0-9a-f]{64}$/i.test(hex)) problems.push(`${where}: expected name:role:sha256:<64 hex digits>`);
    else if (!namePattern.test(name)) problems.push(`${where}: the name must be 1-64 letters, digits or . _ @ -`);
    else if (!(roles as readonly string[]).includes(role)) problems.push(`${where}: the role must be one of ${roles.join(', ')}`);
    else entries.push({ name, role: role as Role, digest: Buffer.from(hex, 'hex') });
  });
  return { entries, problems };
}

export class TokenStore {
  constructor(private readonly entries: readonly TokenEntry[]) {}

  /** Whether any token is configured (then callers without one are anonymous, with no rights). */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** The entry the token belongs to, comparing with every entry in constant time. */
  verify(token: string): { name: string; role: Role } | undefined {
    const digest = digestOf(token);
    let found: TokenEntry | undefined;
    for (const entry of this.entries) if (timingSafeEqual(entry.digest, digest) && !found) found = entry;
    return found && { name: found.name, role: found.role };
  }
}
