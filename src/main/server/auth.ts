import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235 §2.1), so `bearer` and `BEARER` too. */
const BEARER = /^bearer +(.*)$/i;

/**
 * Bearer-token check; the token is compared in constant time and never echoed. `name` says which token the door
 * takes (UIS_API_TOKEN for /v1, the workbench's for /rpc), so a 401 tells a client which one it needs.
 */
export function bearerAuth(token: string, name: string) {
  const expected = Buffer.from(token);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(BEARER.exec(header)?.[1] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply
        .code(401)
        .send({ error: 'unauthorized', message: header ? `Bearer token is wrong: this route takes ${name}` : `Missing Authorization: Bearer <${name}>` });
    }
  };
}
