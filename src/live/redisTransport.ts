/** Redis pub/sub as the cross-process live channel (REDIS_URL). Two connections: one subscribes. */
import { Redis } from 'ioredis';
import type { LiveTransport } from './transport.js';

export const redisChannel = 'syncbridge:job-transitions';

export async function openRedisTransport(url: string, onError: (error: Error) => void): Promise<LiveTransport> {
  const publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const subscriber = new Redis(url, { lazyConnect: true });
  publisher.on('error', onError);
  subscriber.on('error', onError);
  await Promise.all([publisher.connect(), subscriber.connect()]);
  return {
    name: 'redis',
    maxPayloadBytes: 512 * 1024,
    publish: async (payload) => {
      await publisher.publish(redisChannel, payload);
    },
    subscribe: async (onMessage) => {
      subscriber.on('message', (_channel: string, message: string) => onMessage(message));
      await subscriber.subscribe(redisChannel);
    },
    close: async () => {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
