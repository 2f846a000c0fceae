/**
 * Signals on PostgreSQL: LISTEN/NOTIFY through one LISTEN session per process (listener.ts).
 * Wake-ups tell idle workers elsewhere that jobs became due; the notification channel carries
 * the live layer's events between processes (NOTIFY payloads are under 8000 bytes).
 */
import type { NotificationChannel, Signals } from '../ports.js';
import { pgArray } from './arrays.js';
import type { WorkQuery } from './jobStore.js';
import type { PgListener } from './listener.js';
import { eventChannel, sqlEnqueuedChannel, wakeChannel } from './statements.js';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const notifyPayloadBytes = 7_900;

export function postgresSignals(listener: PgListener, query: WorkQuery): Signals {
  return {
    health: () => ({ listener: listener.healthy || listener.idle }),
    wakeListen: (onWake) => listener.listen(wakeChannel, onWake, onWake),
    sqlEnqueuedListen: (onJob) => listener.listen(sqlEnqueuedChannel, (payload) => onJob(Number(payload))),
    async wakeNotify() {
      await query('wakeNotify');
    },
    async notifications(onError): Promise<NotificationChannel> {
      listener.onError(onError);
      let stop: (() => Promise<void>) | undefined;
      return {
        name: 'postgres-notify',
        maxPayloadBytes: notifyPayloadBytes,
        publish: async (payloads) => {
          // Many payloads, one round trip; delivered in order at commit.
          await query('publish', [eventChannel, pgArray.texts(payloads)]);
        },
        subscribe: async (onMessage, onResubscribed) => {
          stop = await listener.listen(eventChannel, onMessage, (lostAt) => onResubscribed?.(lostAt));
        },
        healthy: () => listener.healthy,
        close: async () => {
          await stop?.();
        },
      };
    },
  };
}
