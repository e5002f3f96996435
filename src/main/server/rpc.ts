import type { FastifyInstance } from 'fastify';
import { topics, type TopicName } from '../../shared/api/index.js';
import type { HttpErrorBody } from '../../shared/contract.js';
import type { Core } from '../core/index.js';
import { httpStatusFor } from '../core/errors.js';

const HEARTBEAT_MS = 15_000;

/**
 * The HTTP transport of the contract, registered inside the token-protected scope:
 * - POST /rpc/<channel> with the JSON input → 200 with the output, or the service's error envelope {error: code, message}
 *   with a matching status;
 * - GET /rpc/events[?topics=a,b] → Server-Sent Events, one `event: <topic>` per publish (read with fetch, so the token
 *   travels in the Authorization header, never in a URL).
 */
export function registerRpcRoutes(api: FastifyInstance, core: Core): void {
  // Event streams never end on their own: close them when the server closes, or app.close() would wait forever.
  const streams = new Set<{ end(): void }>();
  api.addHook('preClose', async () => {
    for (const res of streams) res.end();
  });

  api.post<{ Params: { channel: string } }>('/rpc/:channel', async (req, reply) => {
    const result = await core.dispatch(req.params.channel, req.body);
    if (result.ok) return reply.code(200).header('cache-control', 'no-store').send(result.value === undefined ? null : result.value);
    return reply.code(httpStatusFor(result.error.code)).send({ error: result.error.code, message: result.error.message } satisfies HttpErrorBody);
  });

  api.get<{ Querystring: { topics?: string } }>('/rpc/events', (req, reply) => {
    const wanted = (req.query.topics ?? '').split(',').filter(Boolean);
    const unknown = wanted.filter((t) => !Object.prototype.hasOwnProperty.call(topics, t));
    if (unknown.length) {
      return reply.code(400).send({ error: 'invalid_input', message: `topics: unknown topic "${unknown[0]}"` } satisfies HttpErrorBody);
    }
    const filter = wanted.length ? new Set<string>(wanted) : null;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': connected\n\n');
    const unsubscribe = core.subscribe((topic: TopicName, payload) => {
      if (filter && !filter.has(topic)) return;
      res.write(`event: ${topic}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    streams.add(res);
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    req.raw.on('close', stop);
    res.on('error', stop);
  });
}
