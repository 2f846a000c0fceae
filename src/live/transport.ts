/** A cross-process channel for live events: PostgreSQL LISTEN/NOTIFY (src/db) or Redis pub/sub. */
export type { EventTransport as LiveTransport } from '../db/dialects/index.js';
