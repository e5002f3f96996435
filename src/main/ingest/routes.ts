import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { EventBatch, EventInput, UserInput } from '../../shared/event.js';
import { sendValidationError } from '../http/errors.js';
import type { CapturedEvents } from '../stream/captured.js';
import { captureSlots, identifyUser, storeEvents, type StoreOptions } from './capture.js';

/**
 * POST /v1/events and POST /v1/users: validate everything first, so bad input writes nothing. The schemas refuse
 * whatever PostgreSQL could not store as sent (src/shared/storable.ts); the body was checked UTF-8 (server/body.ts).
 */
export function ingestRoutes(
  app: FastifyInstance,
  pool: pg.Pool,
  opts: { captured?: CapturedEvents; captureConcurrency?: number; aggregates?: StoreOptions['aggregates'] } = {},
): void {
  // `uis serve` runs an AggregateApplier: the 202 goes out at the commit, the aggregates follow (docs/capture.md).
  const store: StoreOptions = { captured: opts.captured, slots: captureSlots(opts.captureConcurrency), aggregates: opts.aggregates };
  app.post('/v1/events', async (req, reply) => {
    const body = req.body;
    const isBatch = typeof body === 'object' && body !== null && !Array.isArray(body) && 'events' in body;
    const parsed = isBatch ? EventBatch.safeParse(body) : EventInput.safeParse(body);
    if (!parsed.success) return sendValidationError(reply, parsed.error);
    const events = 'events' in parsed.data ? parsed.data.events : [parsed.data];
    const result = await storeEvents(pool, events, store);
    return reply.code(202).send({ accepted: result.accepted, duplicates: result.duplicates });
  });

  app.post('/v1/users', async (req, reply) => {
    const parsed = UserInput.safeParse(req.body);
    if (!parsed.success) return sendValidationError(reply, parsed.error);
    await identifyUser(pool, parsed.data);
    return reply.code(202).send({ ok: true });
  });
}
