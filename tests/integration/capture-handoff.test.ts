import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { forgetUser } from '../../src/main/forget/forget.js';
import { storeEvents } from '../../src/main/ingest/capture.js';
import { startService } from '../../src/main/server/service.js';
import { CapturedEvents } from '../../src/main/stream/captured.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { OutboxRelay } from '../../src/main/stream/relay.js';
import type { EventInput, StoredEvent } from '../../src/shared/event.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

// `uis serve` hands the events its ingest stored to its own relay in memory. What reaches the stream must still be
// exactly what PostgreSQL holds, only once, and never an event `uis forget` removed.
describe('events handed from ingest to the relay in memory', () => {
  let db: TestDatabase;
  let redis: Redis;
  let captured: CapturedEvents;
  let relay: OutboxRelay;
  let prefix: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
  });
  // Each test: its own stream, a relay that runs only when the test drains it, the hand-over on as when it leads.
  beforeEach(async () => {
    prefix = testPrefix();
    captured = new CapturedEvents();
    captured.setEnabled(true);
    relay = new OutboxRelay(db.pool, redis, { keyPrefix: prefix, captured });
    return () => cleanupPrefix(redis, prefix);
  });
  afterAll(async () => {
    redis.disconnect();
    await db.drop();
  });

  const published = async () => (await redis.xrange(streamKeys(prefix).stream, '-', '+')).map(([, f]) => JSON.parse(f[1]) as StoredEvent);
  // The events as PostgreSQL holds them, in the relay's PostgreSQL shape.
  const stored = async (ids: string[]) =>
    (
      await db.pool.query<StoredEvent>(
        `SELECT id, conversation_id, user_id, to_char(timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS timestamp, event_type,
                content, tool_name, success, credits_consumed
         FROM conversation_events WHERE id = ANY($1::uuid[]) ORDER BY timestamp, id`,
        [ids],
      )
    ).rows;

  it('publishes each stored event once, from memory, identical to the row PostgreSQL holds', async () => {
    const conv = '0193b000-0000-7000-8000-000000000001';
    const events: EventInput[] = [
      { id: '0193b000-0000-7000-8000-0000000000a1', conversation_id: conv, user_id: 'ana', timestamp: '2026-04-01T10:00:00.123Z', event_type: 'message', content: { role: 'user', message: 'Schnitt für «Café» 🎬 — 30 s\nzweite Zeile\r\n\ttab', params: { nested: [1, 2.5, null, { ok: true }] } } },
      { id: '0193b000-0000-7000-8000-0000000000a2', conversation_id: conv, user_id: 'ana', timestamp: '2026-04-01T10:00:01Z', event_type: 'tool_call', tool_name: 'video_gen', success: false, credits_consumed: 4, content: { tool: 'video_gen', error: 'timeout' } },
      { id: '0193b000-0000-7000-8000-0000000000a3', conversation_id: conv, user_id: 'ana', timestamp: '2026-04-01T10:00:02Z', event_type: 'completion', completion_status: 'abandoned' },
    ];
    expect(await storeEvents(db.pool, events, { captured })).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(captured.size).toBe(3);

    expect(await relay.drainOnce()).toBe(3);
    expect(captured.stats.taken).toBe(3); // none read back
    expect(captured.size).toBe(0);
    expect(await published()).toEqual(await stored(events.map((e) => e.id!)));
    expect(await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox').then((r) => r.rows[0].n)).toBe(0);
  });

  it('upper-case ids are published from memory in the form PostgreSQL stored', async () => {
    const r = await storeEvents(db.pool, [{ id: '0193B000-0000-7000-8000-0000000000AA', conversation_id: '0193B000-0000-7000-8000-0000000000BB', user_id: 'hal', timestamp: '2026-04-07T09:00:00Z', event_type: 'message', content: { message: 'caps' } }], { captured });
    expect(r.ids).toEqual(['0193b000-0000-7000-8000-0000000000aa']);
    await relay.drainOnce();
    expect(captured.stats.taken).toBe(1);
    expect(await published()).toEqual(await stored(r.ids));
    expect((await published())[0].conversation_id).toBe('0193b000-0000-7000-8000-0000000000bb');
  });

  it('a later duplicate with other content never replaces the stored event, even before publication', async () => {
    const conv = '0193b000-0000-7000-8000-000000000002';
    const id = '0193b000-0000-7000-8000-0000000000b1';
    const first: EventInput = { id, conversation_id: conv, user_id: 'ben', timestamp: '2026-04-02T09:00:00Z', event_type: 'message', content: { role: 'user', message: 'first' } };
    expect(await storeEvents(db.pool, [first], { captured })).toMatchObject({ accepted: 1, duplicates: 0 });
    // A retry of the same id with changed content (a platform bug): reported as a duplicate, stores nothing.
    expect(await storeEvents(db.pool, [{ ...first, content: { role: 'user', message: 'second' } }], { captured })).toMatchObject({ accepted: 0, duplicates: 1 });

    await relay.drainOnce();
    const events = await published();
    expect(events.map((e) => [e.id, e.content.message])).toEqual([[id, 'first']]);
  });

  it('a batch holding an id stored before is read back whole: the stored content goes out, once', async () => {
    const conv = '0193b000-0000-7000-8000-000000000008';
    const a: EventInput = { id: '0193b000-0000-7000-8000-000000000ab1', conversation_id: conv, user_id: 'ivy', timestamp: '2026-04-08T09:00:00Z', event_type: 'message', content: { message: 'original' } };
    const b: EventInput = { ...a, id: '0193b000-0000-7000-8000-000000000ab2', timestamp: '2026-04-08T09:00:05Z', content: { message: 'new' } };
    await storeEvents(db.pool, [a], { captured });
    expect(await storeEvents(db.pool, [{ ...a, content: { message: 'changed' } }, b], { captured })).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(captured.size).toBe(1); // only the first batch's event

    expect(await relay.drainOnce()).toBe(2);
    expect((await published()).map((e) => e.content.message)).toEqual(['original', 'new']);
    expect(await published()).toEqual(await stored([a.id!, b.id!]));
  });

  it('an id sent twice in one batch: the first copy is stored, published once, the other counted a duplicate', async () => {
    const conv = '0193b000-0000-7000-8000-000000000003';
    const id = '0193b000-0000-7000-8000-0000000000c1';
    const base = { id, conversation_id: conv, user_id: 'cleo', timestamp: '2026-04-03T09:00:00Z', event_type: 'message' as const };
    const r = await storeEvents(db.pool, [{ ...base, content: { message: 'one\nline' } }, { ...base, content: { message: 'two\nline' } }], { captured });
    expect(r).toMatchObject({ accepted: 1, duplicates: 1 });

    await relay.drainOnce();
    const events = await published();
    expect(events.map((e) => e.content.message)).toEqual(['one\nline']);
    expect(events).toEqual(await stored([id]));
  });

  it('a user forgotten while their events wait in memory and in the outbox is never published; others in the same row are', async () => {
    const convDan = '0193b000-0000-7000-8000-000000000004';
    const convEva = '0193b000-0000-7000-8000-000000000005';
    const batch: EventInput[] = [
      { id: '0193b000-0000-7000-8000-0000000000d1', conversation_id: convDan, user_id: 'dan', timestamp: '2026-04-04T09:00:00Z', event_type: 'message', content: { role: 'user', message: 'private plans' } },
      { id: '0193b000-0000-7000-8000-0000000000e1', conversation_id: convEva, user_id: 'eva', timestamp: '2026-04-04T09:00:01Z', event_type: 'message', content: { role: 'user', message: 'hello' } },
      { id: '0193b000-0000-7000-8000-0000000000d2', conversation_id: convDan, user_id: 'dan', timestamp: '2026-04-04T09:00:02Z', event_type: 'message', content: { role: 'assistant', message: 'noted' } },
    ];
    await storeEvents(db.pool, batch, { captured });
    expect(captured.size).toBe(3);
    // One statement, one outbox row shared by both users.
    expect((await db.pool.query('SELECT cardinality(event_ids) AS n FROM uis_outbox')).rows).toEqual([{ n: 3 }]);

    const result = await forgetUser(db.pool, 'dan', { requestedBy: 'test', redis, keyPrefix: prefix });
    expect(result?.removed).toMatchObject({ events: 2, outbox: 2 });
    // The outbox row now lists only eva's event; dan's copies in memory have no outbox id left to go out under.
    expect((await db.pool.query('SELECT event_ids FROM uis_outbox')).rows).toEqual([{ event_ids: ['0193b000-0000-7000-8000-0000000000e1'] }]);

    expect(await relay.drainOnce()).toBe(1);
    const events = await published();
    expect(events.map((e) => e.user_id)).toEqual(['eva']);
    expect(JSON.stringify(events)).not.toContain('private plans');
  });

  it('a forgotten user whose whole outbox row was theirs leaves no row behind', async () => {
    const conv = '0193b000-0000-7000-8000-000000000006';
    await storeEvents(db.pool, [{ id: '0193b000-0000-7000-8000-0000000000f1', conversation_id: conv, user_id: 'fay', timestamp: '2026-04-05T09:00:00Z', event_type: 'message', content: { message: 'x' } }], { captured });
    const result = await forgetUser(db.pool, 'fay', { requestedBy: 'test', redis, keyPrefix: prefix });
    expect(result?.removed.outbox).toBe(1);
    expect(await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox').then((r) => r.rows[0].n)).toBe(0);
    expect(await relay.drainOnce()).toBe(0);
    expect(await published()).toEqual([]);
  });
});

describe('uis serve', () => {
  it('its relay publishes what its HTTP ingest stored from memory', async () => {
    const db = await createTestDatabase();
    const prefix = testPrefix();
    const redis = new Redis(REDIS_URL);
    const service = await startService(readEnv({ DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: 'handoff-token-1', UIS_REDIS_PREFIX: prefix }), { port: 0 });
    try {
      await expect.poll(() => service.captured.enabled, { timeout: 5000 }).toBe(true); // the relay leads
      const conv = '0193b000-0000-7000-8000-000000000007';
      const events = Array.from({ length: 200 }, (_, i) => ({
        conversation_id: conv,
        user_id: 'gus',
        timestamp: new Date(Date.UTC(2026, 3, 6, 9) + i * 1000).toISOString(),
        event_type: 'message',
        content: { role: i % 2 ? 'assistant' : 'user', message: `message ${i}` },
      }));
      const res = await fetch(`${service.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer handoff-token-1' },
        body: JSON.stringify({ events }),
      });
      expect(res.status).toBe(202);
      const stream = streamKeys(prefix).stream;
      await expect.poll(() => redis.xlen(stream), { timeout: 10_000 }).toBe(200);
      const entries = (await redis.xrange(stream, '-', '+')).map(([, f]) => JSON.parse(f[1]) as StoredEvent);
      expect(entries.map((e) => e.content.message)).toEqual(events.map((e) => e.content.message));
      // The relay may read the outbox row before ingest's answer is back (then it reads the events from PostgreSQL).
      expect(service.captured.stats.remembered).toBe(200);
      expect(service.captured.size + service.captured.stats.taken).toBe(200);
    } finally {
      await service.close();
      await cleanupPrefix(redis, prefix);
      redis.disconnect();
      await db.drop();
    }
  });
});
