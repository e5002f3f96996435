import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../stream/redis.js';
import type pg from 'pg';
import { z } from 'zod';
import { UserId } from '../../shared/context.js';
import type { ContextCache } from '../context/cache.js';
import { sendValidationError } from '../http/errors.js';
import { forgetUser } from './forget.js';

const Params = z.object({ id: UserId }).strict();
/** Who asks (recorded in the audit); the token alone does not name a person. */
const Headers = z.object({ 'x-requested-by': z.string().min(1).max(200).optional() });

/** DELETE /v1/users/:id: forget the user everywhere; answers with what was removed (zero counts when nothing was stored). */
export function forgetRoutes(api: FastifyInstance, deps: { pool: pg.Pool; redis?: RedisClient; keyPrefix?: string; cache?: ContextCache }): void {
  api.delete('/v1/users/:id', async (req, reply) => {
    const params = Params.safeParse(req.params);
    if (!params.success) return sendValidationError(reply, params.error, 'path');
    const headers = Headers.safeParse(req.headers);
    if (!headers.success) return sendValidationError(reply, headers.error, 'headers');
    const result = await forgetUser(deps.pool, params.data.id, {
      requestedBy: `api:${headers.data['x-requested-by'] ?? 'token-holder'}`,
      redis: deps.redis,
      keyPrefix: deps.keyPrefix,
      cache: deps.cache,
    });
    // Idempotent: a user with nothing stored (never seen, or forgotten already) answers 200 too, with zero counts and
    // a warning; the audit records the request either way.
    return reply.code(200).send(result);
  });
}
