/**
 * The stores upstream pacing can share its slots through: the database (the default: every
 * process already has it) or Redis (REDIS_URL: a round trip to memory instead of a write).
 */
import type { Redis } from 'ioredis';
import { deploymentHash } from '../config/index.js';
import type { PaceStore } from './pace.js';

/** The database's slots (src/db's PaceStore has this shape), named for the metrics. */
export function databasePaceStore(store: Pick<PaceStore, 'reserve' | 'pause' | 'pausesLeft'>): PaceStore {
  return {
    name: 'database',
    reserve: (target, intervalMs) => store.reserve(target, intervalMs),
    pause: (target, pauseMs) => store.pause(target, pauseMs),
    pausesLeft: (targets) => store.pausesLeft(targets),
  };
}

// Redis's own clock (TIME), so the processes' clocks never matter; keys expire once idle.
const reserveScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local slot = math.max(tonumber(redis.call('HGET', KEYS[1], 'next') or '0'), tonumber(redis.call('HGET', KEYS[1], 'paused') or '0'), now)
redis.call('HSET', KEYS[1], 'next', slot + interval)
redis.call('PEXPIRE', KEYS[1], slot + interval - now + 3600000)
return slot - now`;

const pauseScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local paused = math.max(tonumber(redis.call('HGET', KEYS[1], 'paused') or '0'), untilMs)
redis.call('HSET', KEYS[1], 'paused', paused)
redis.call('PEXPIRE', KEYS[1], math.max(paused - now, 0) + 3600000)
return paused`;

const pauseLeftScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return tonumber(redis.call('HGET', KEYS[1], 'paused') or '0') - now`;

type PaceCommands = Redis & {
  paceReserve(key: string, intervalMs: number): Promise<number>;
  pacePause(key: string, pauseMs: number): Promise<number>;
  pauseLeft(key: string): Promise<number>;
};

export async function redisPaceStore(url: string, databaseUrl: string, onError: (error: Error) => void): Promise<PaceStore> {
  // Loaded only when Redis is configured (start-up time and memory otherwise).
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 }) as PaceCommands;
  redis.on('error', onError);
  redis.defineCommand('paceReserve', { numberOfKeys: 1, lua: reserveScript });
  redis.defineCommand('pacePause', { numberOfKeys: 1, lua: pauseScript });
  redis.defineCommand('pauseLeft', { numberOfKeys: 1, lua: pauseLeftScript });
  await redis.connect();
  const key = (target: string) => `syncbridge:upstream-pace:${deploymentHash(databaseUrl)}:${target}`;
  return {
    name: 'redis',
    reserve: async (target, intervalMs) => Math.max(0, Number(await redis.paceReserve(key(target), Math.ceil(intervalMs)))),
    pause: async (target, pauseMs) => {
      await redis.pacePause(key(target), Math.ceil(pauseMs));
    },
    async pausesLeft(targets) {
      const left = await Promise.all(targets.map((target) => redis.pauseLeft(key(target))));
      return new Map(targets.map((target, index) => [target, Number(left[index])]));
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
