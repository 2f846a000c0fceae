/**
 * Whether an error means the database connection failed (the server away, a network cut, a
 * restart, a pool that could not connect), whatever layer it surfaced through: node-postgres,
 * Prisma's client, its driver adapters, better-sqlite3. Such a failure leaves the outcome of a
 * write unknown (it may have committed with its answer lost), which is what callers are told;
 * anything else (a bug, a constraint) is not one, so the check is by known shapes, not by the
 * absence of a code.
 */

/** SQLSTATE classes and codes of a lost connection or a server going away. */
const connectionSqlStates = /^(08...|57P0[123]|53300)$/;
const connectionErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** Prisma's codes for an unreachable server, a dropped connection, or a pool that gave up. */
const prismaConnectionCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** Driver adapter error kinds of the same (@prisma/driver-adapter-utils). */
const adapterConnectionKinds = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** node-postgres's own messages for a connection that ended or never came (they carry no code). */
const pgConnectionMessage =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|terminating connection/i;
/** SQLite: the file is locked or its disk failed; the write may be retried. */
const sqliteTransient = /^SQLITE_(BUSY|LOCKED|IOERR|FULL)/;

export function isConnectionFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    if (typeof current !== 'object') return false;
    const { code, kind, originalCode, message } = current as { code?: unknown; kind?: unknown; originalCode?: unknown; message?: unknown };
    if (typeof code === 'string' && (connectionSqlStates.test(code) || connectionErrnos.has(code) || prismaConnectionCodes.has(code) || sqliteTransient.test(code))) return true;
    if (typeof originalCode === 'string' && connectionSqlStates.test(originalCode)) return true;
    if (typeof kind === 'string' && adapterConnectionKinds.has(kind)) return true;
    if (typeof message === 'string' && pgConnectionMessage.test(message)) return true;
    const next = (current as { cause?: unknown }).cause;
    current = next;
  }
  return false;
}
