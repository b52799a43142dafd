// The cluster compaction lease: a Redis key set with NX and a time to live, released only by its holder.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CompactionLease } from './seams.js';
import type { RedisKeys } from './redis-keys.js';

/** Deletes the lease only if it still holds our token (it may have expired and gone to someone else). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Creates the lease; `redis` is the command connection. */
export const createRedisLease = (redis: Redis, keys: RedisKeys): CompactionLease => ({
  async acquire(room, ttlMs) {
    const key = keys.lease(room);
    const token = randomUUID();
    const granted = await redis.set(key, token, 'PX', ttlMs, 'NX');
    if (granted !== 'OK') return undefined;
    return {
      async release() {
        await redis.eval(RELEASE, 1, key, token).catch(() => {});
      },
    };
  },
});
