/** How SyncBridge connects to PostgreSQL: connection settings, prepared-statement names, and which errors may pass by themselves. */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ClientOptions } from '../dialect.js';

/**
 * Every connection of ours fails instead of hanging: a connect deadline, TCP keep-alive (a
 * vanished server is noticed), a server-side statement timeout, and a client-side deadline a
 * little longer for when the server cannot even answer (a network cut).
 */
export function connectionSettings(options: ClientOptions = {}, sessionOptions = ''): pg.PoolConfig {
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  return {
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    keepAlive: true,
    query_timeout: statementTimeoutMs + 5_000,
    options: `-c statement_timeout=${statementTimeoutMs} ${sessionOptions}`.trim(),
  };
}

/**
 * Prepared-statement names for Prisma's queries: one per distinct SQL text, so each connection
 * parses and plans a statement once (a name per call would prepare every query anew and leave
 * each one allocated on the server).
 */
export function statementName(query: { sql: string }): string {
  return `sb_${createHash('sha1').update(query.sql).digest('hex').slice(0, 24)}`;
}

/**
 * SQLSTATE classes that are about the data or the statement (22 data exception, 23 integrity
 * constraint, 42 syntax or access): retrying cannot help. Anything else (no code: the connection;
 * 08 connection, 53 resources, 57 operator intervention, 40 rollback) may pass.
 */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return !['22', '23', '42'].includes(code.slice(0, 2));
}
