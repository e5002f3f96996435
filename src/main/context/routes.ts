import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../stream/redis.js';
import type pg from 'pg';
import { ContextParams, ContextQuery } from '../../shared/context.js';
import { forgetRoutes } from '../forget/routes.js';
import { sendValidationError } from '../server/http-errors.js';
import { ContextCache } from './cache.js';

export interface RealtimeRouteDeps {
  pool?: pg.Pool;
  redis?: RedisClient;
  /** UIS_REDIS_PREFIX: the builder's change announcements and the stream live under it. */
  keyPrefix?: string;
}

/** GET /v1/users/:id/context, served from a cache that the profile builder's announcements invalidate. */
export function contextRoutes(api: FastifyInstance, cache: ContextCache): void {
  api.get('/v1/users/:id/context', async (req, reply) => {
    const params = ContextParams.safeParse(req.params);
    if (!params.success) return sendValidationError(reply, params.error, 'path');
    const query = ContextQuery.safeParse(req.query);
    if (!query.success) return sendValidationError(reply, query.error, 'query');
    const found = await cache.getBody(params.data.id, query.data.fields);
    if (!found) {
      return reply.code(404).send({ error: 'user_not_found', message: `No profile for user "${params.data.id}": no events or identify call stored for this id` });
    }
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-uis-cache', found.cached ? 'hit' : 'miss')
      .send(found.body);
  });
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
