import { Redis } from 'ioredis';

/**
 * A Redis connection that fails fast while Redis is down (no offline queue), so callers such as the outbox relay
 * back off and retry instead of piling up commands; it reconnects by itself.
 */
export function createRedis(url: string, opts: { lazy?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: opts.lazy ?? false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', () => {});
  return redis;
}
