import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../stream/redis.js';
import type pg from 'pg';
import { ContextCache } from '../context/cache.js';
import { contextRoutes } from '../context/routes.js';
import { forgetRoutes } from '../forget/routes.js';

export interface RealtimeRouteDeps {
  pool?: pg.Pool;
  redis?: RedisClient;
  /** UIS_REDIS_PREFIX: the builder's change announcements and the stream live under it. */
  keyPrefix?: string;
}

/** The real-time routes inside the token-protected scope: context and forget. Needs PostgreSQL. */
export async function realtimeRoutes(api: FastifyInstance, deps: RealtimeRouteDeps): Promise<ContextCache | null> {
  if (!deps.pool) return null;
  const cache = new ContextCache(deps.pool);
  if (deps.redis) await cache.listen(deps.redis, deps.keyPrefix);
  api.addHook('onClose', async () => cache.close());
  contextRoutes(api, cache);
  forgetRoutes(api, { pool: deps.pool, redis: deps.redis, keyPrefix: deps.keyPrefix, cache });
  return cache;
}
