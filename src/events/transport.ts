/**
 * What carries this process's events to the others sharing the database: Redis pub/sub
 * (transports/redis.ts) or the database's own notifications (PostgreSQL NOTIFY: a
 * NotificationChannel from src/db, which has this shape). SQLite deployments have none.
 */
export interface EventTransport {
  readonly name: string;
  /** Largest payload it carries, in bytes. */
  readonly maxPayloadBytes: number;
  /** Sends the payloads in order, in one round trip where the transport allows. */
  publish(payloads: string[]): Promise<void>;
  /**
   * Delivers every payload published from now on. When the subscription was lost and is back,
   * `onResubscribed` is told since when messages may have been missed.
   */
  subscribe(onMessage: (payload: string) => void, onResubscribed?: (lostAt: Date) => void): Promise<void>;
  /** Subscribed and able to publish (for /readyz). */
  healthy(): boolean;
  close(): Promise<void>;
}
