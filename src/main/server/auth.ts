import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Bearer-token check; the token is compared in constant time and never echoed. */
export function bearerAuth(token: string) {
  const expected = Buffer.from(token);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply
        .code(401)
        .send({ error: 'unauthorized', message: header ? 'Bearer token is wrong' : 'Missing Authorization: Bearer <UIS_API_TOKEN>' });
    }
  };
}
