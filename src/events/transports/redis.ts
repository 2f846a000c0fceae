/**
 * Redis pub/sub as the cross-process live channel (REDIS_URL). Two connections: one subscribes.
 * The channel name includes a hash of the database URL, so deployments sharing a Redis server
 * (or the test suite's many databases) never see each other's jobs.
 */
import { deploymentHash } from '../../config/index.js';
import type { EventTransport } from '../transport.js';

export function redisChannel(databaseUrl: string): string {
  return `syncbridge:job-transitions:${deploymentHash(databaseUrl)}`;
}

export async function openRedisTransport(url: string, databaseUrl: string, onError: (error: Error) => void): Promise<EventTransport> {
  const channel = redisChannel(databaseUrl);
  // Loaded only when Redis is configured (start-up time and memory otherwise).
  const { Redis } = await import('ioredis');
  const publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const subscriber = new Redis(url, { lazyConnect: true });
  publisher.on('error', onError);
  subscriber.on('error', onError);
  await Promise.all([publisher.connect(), subscriber.connect()]);
  return {
    name: 'redis',
    maxPayloadBytes: 512 * 1024,
    publish: async (payloads) => {
      // One round trip for the batch.
      const pipeline = publisher.pipeline();
      for (const payload of payloads) pipeline.publish(channel, payload);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
    },
    subscribe: async (onMessage, onResubscribed) => {
      subscriber.on('message', (from: string, message: string) => {
        if (from === channel) onMessage(message);
      });
      await subscriber.subscribe(channel);
      // ioredis reconnects with backoff and subscribes again by itself; messages published
      // while it was away are gone, so the channel's owner is told since when.
      let lostAt: Date | undefined;
      subscriber.on('close', () => (lostAt ??= new Date()));
      subscriber.on('ready', () => {
        if (!lostAt) return;
        const since = lostAt;
        lostAt = undefined;
        onResubscribed?.(since);
      });
    },
    healthy: () => publisher.status === 'ready' && subscriber.status === 'ready',
    close: async () => {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
