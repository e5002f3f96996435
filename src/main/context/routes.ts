import type { FastifyInstance } from 'fastify';
import { ContextParams, ContextQuery } from '../../shared/context.js';
import { sendValidationError } from '../http/errors.js';
import type { ContextCache } from './cache.js';

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
