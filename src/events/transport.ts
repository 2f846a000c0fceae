/**
 * What carries this process's events to the others sharing the database: Redis pub/sub
 * (transports/redis.ts) or the database's own notifications (PostgreSQL NOTIFY). One interface,
 * src/db's NotificationChannel, named here for what it does in the live layer. SQLite deployments
 * have none.
 */
export type { NotificationChannel as EventTransport } from '../db/ports.js';
