import { Redis } from 'ioredis';
import { REDIS_TIMEOUT_MS } from '../config.js';

/**
 * A Redis connection that fails fast while Redis is down (no offline queue), so callers such as the outbox relay
 * back off and retry instead of piling up commands; it reconnects by itself. Every command, and every connection
 * attempt, fails after `timeoutMs` (UIS_REDIS_TIMEOUT_MS): a paused Redis (SIGSTOP, a long DEBUG SLEEP, a stuck
 * network) accepts the connection but never answers, and without a timeout every caller would wait forever.
 */
export function createRedis(url: string, opts: { lazy?: boolean; timeoutMs?: number } = {}): Redis {
  const timeoutMs = opts.timeoutMs ?? REDIS_TIMEOUT_MS;
  const redis = new Redis(url, {
    lazyConnect: opts.lazy ?? false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
  });
  redis.on('error', () => {});
  return redis;
}

/**
 * A connection of its own for blocking reads (XREAD / XREADGROUP ... BLOCK blockMs): the same settings, with the
 * command timeout stretched by the longest block, so a read that legitimately waits is not cut.
 */
export function blockingConnection(redis: Redis, blockMs: number): Redis {
  const timeout = redis.options.commandTimeout;
  const conn = redis.duplicate(timeout === undefined ? {} : { commandTimeout: timeout + blockMs });
  conn.on('error', () => {});
  return conn;
}
