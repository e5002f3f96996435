import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import type { StoredEvent } from '../../src/shared/event.js';
import { aggregatesApplied, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

const TOKEN = 'test-token-0123456789';
const CONV = '0193a200-0000-7000-8000-000000000001';
const id = (n: number) => `0193a200-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

describe('HTTP door: uis serve (POST /v1/events, POST /v1/users, GET /healthz)', () => {
  let db: TestDatabase;
  let redis: Redis;
  let service: RunningService;
  const prefix = testPrefix();
  const keys = streamKeys(prefix);

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    const env = readEnv({ DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: TOKEN, UIS_REDIS_PREFIX: prefix });
    service = await startService(env, { port: 0 });
  });
  afterAll(async () => {
    await service.close();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db.drop();
  });

  const post = (path: string, body: unknown, opts: { token?: string | null; raw?: string; contentType?: string } = {}) => {
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
    const token = opts.token === undefined ? TOKEN : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    return fetch(`${service.url}${path}`, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(body) });
  };
  const counts = async () =>
    (
      await db.pool.query(`SELECT (SELECT count(*) FROM conversation_events)::int AS events, (SELECT count(*) FROM conversations)::int AS conversations,
        (SELECT count(*) FROM user_profiles)::int AS profiles, (SELECT coalesce(sum(message_count), 0)::int FROM conversations) AS messages`)
    ).rows[0];
  const streamIds = async () => (await redis.xrange(keys.stream, '-', '+')).map(([, f]) => (JSON.parse(f[1]) as StoredEvent).id);

  it('GET /healthz answers without a token and reports PostgreSQL and Redis', async () => {
    const res = await fetch(`${service.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', postgres: 'up', redis: 'up' });
  });

  it('POST /v1/events stores one event and answers 202 {accepted, duplicates}', async () => {
    const res = await post('/v1/events', {
      id: id(1),
      conversation_id: CONV,
      user_id: 'bob',
      timestamp: '2026-03-05T12:00:00+02:00',
      event_type: 'message',
      content: { role: 'user', message: 'write a launch tweet' },
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
    const row = (await db.pool.query('SELECT * FROM conversation_events WHERE id = $1', [id(1)])).rows[0];
    expect(row).toMatchObject({ user_id: 'bob', timestamp: '2026-03-05T10:00:00.000Z', content: { role: 'user', message: 'write a launch tweet' }, credits_consumed: 0 });
  });

  it('POST /v1/events with {"events": [...]} stores the batch; replays in the batch and across batches are duplicates', async () => {
    const events = [
      { id: id(2), conversation_id: CONV, user_id: 'bob', timestamp: '2026-03-05T10:00:05Z', event_type: 'tool_call', tool_name: 'search', success: true, credits_consumed: 2 },
      { id: id(3), conversation_id: CONV, user_id: 'bob', timestamp: '2026-03-05T10:00:09Z', event_type: 'message', content: { role: 'assistant', message: 'Here are 3 drafts' } },
      { id: id(1), conversation_id: CONV, user_id: 'bob', event_type: 'message', content: { role: 'user', message: 'write a launch tweet' } },
      { id: id(2), conversation_id: CONV, user_id: 'bob', event_type: 'tool_call', tool_name: 'search', credits_consumed: 2 },
    ];
    const res = await post('/v1/events', { events });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 2 });

    const again = await post('/v1/events', { events: events.slice(0, 2) });
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 2 });

    await aggregatesApplied(db.pool); // by the service's applier, after the 202
    const conv = (await db.pool.query('SELECT * FROM conversations WHERE id = $1', [CONV])).rows[0];
    expect(conv).toMatchObject({ message_count: 2, credits_used: 2, tools_used: { search: 1 }, first_intent: 'write a launch tweet', last_message_at: '2026-03-05T10:00:09.000Z' });
    const profile = (await db.pool.query('SELECT * FROM user_profiles WHERE user_id = $1', ['bob'])).rows[0];
    expect(profile).toMatchObject({ total_conversations: 1, total_messages: 2, total_credits_used: 2 });
  });

  it('POST /v1/users identifies a user (email, signup time) and keeps the counters', async () => {
    const res = await post('/v1/users', { user_id: 'bob', email: 'bob@example.com', created_at: '2026-03-01T08:00:00Z' });
    expect(res.status).toBe(202);
    const profile = (await db.pool.query('SELECT * FROM user_profiles WHERE user_id = $1', ['bob'])).rows[0];
    expect(profile).toMatchObject({ email: 'bob@example.com', created_at: '2026-03-01T08:00:00.000Z', total_messages: 2, total_credits_used: 2 });
  });

  it('the running relay publishes every accepted event to the stream exactly once, in order', async () => {
    await expect.poll(streamIds, { timeout: 10_000 }).toEqual([id(1), id(2), id(3)]);
  });

  describe('bad input writes nothing and the server keeps serving', () => {
    const valid = { conversation_id: CONV, user_id: 'bob', event_type: 'message', content: { message: 'hello' } };
    const cases: Array<{ name: string; send: () => Promise<Response>; status: number; error: string; names?: string }> = [
      { name: 'missing user_id', send: () => post('/v1/events', { ...valid, user_id: undefined }), status: 400, error: 'invalid_request', names: 'user_id' },
      { name: 'wrong-typed credits_consumed', send: () => post('/v1/events', { ...valid, credits_consumed: 'ten' }), status: 400, error: 'invalid_request', names: 'credits_consumed' },
      { name: 'unknown event_type', send: () => post('/v1/events', { ...valid, event_type: 'click' }), status: 400, error: 'invalid_request', names: 'event_type' },
      { name: 'bad conversation_id inside a batch', send: () => post('/v1/events', { events: [valid, { ...valid, conversation_id: 'c-42' }] }), status: 400, error: 'invalid_request', names: 'events[1].conversation_id' },
      { name: 'bad timestamp', send: () => post('/v1/events', { ...valid, timestamp: 'yesterday' }), status: 400, error: 'invalid_request', names: 'timestamp' },
      { name: 'unknown field', send: () => post('/v1/events', { ...valid, colour: 'red' }), status: 400, error: 'invalid_request', names: 'colour' },
      { name: 'empty batch', send: () => post('/v1/events', { events: [] }), status: 400, error: 'invalid_request', names: 'events' },
      { name: 'batch over 1,000', send: () => post('/v1/events', { events: Array.from({ length: 1001 }, () => valid) }), status: 400, error: 'invalid_request', names: 'events' },
      { name: 'invalid JSON', send: () => post('/v1/events', null, { raw: '{"events": [' }), status: 400, error: 'invalid_json' },
      { name: 'body over 1 MB', send: () => post('/v1/events', { ...valid, content: { message: 'x'.repeat(1_100_000) } }), status: 413, error: 'body_too_large' },
      { name: 'a text body instead of a JSON object', send: () => post('/v1/events', null, { raw: 'hello', contentType: 'text/plain' }), status: 415, error: 'unsupported_media_type', names: 'Content-Type' },
      { name: 'no token', send: () => post('/v1/events', valid, { token: null }), status: 401, error: 'unauthorized' },
      { name: 'wrong token', send: () => post('/v1/events', valid, { token: 'wrong-token-000000000' }), status: 401, error: 'unauthorized' },
      { name: 'users: bad email', send: () => post('/v1/users', { user_id: 'carol', email: 'not-an-email' }), status: 400, error: 'invalid_request', names: 'email' },
      { name: 'users: no token', send: () => post('/v1/users', { user_id: 'carol' }, { token: null }), status: 401, error: 'unauthorized' },
    ];

    for (const c of cases) {
      it(`${c.name} → ${c.status}`, async () => {
        const before = await counts();
        const res = await c.send();
        expect(res.status).toBe(c.status);
        const body = (await res.json()) as { error: string; message: string };
        expect(body.error).toBe(c.error);
        if (c.names) expect(body.message).toContain(c.names);
        expect(body.message).not.toContain(TOKEN);
        expect(await counts()).toEqual(before);
      });
    }

    it('still accepts a valid event afterwards', async () => {
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      const res = await post('/v1/events', { ...valid, id: id(9) });
      expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 });
    });
  });
});
