import { Redis } from 'ioredis';
import pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgetUser } from '../../src/main/forget/forget.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { OutboxRelay } from '../../src/main/stream/relay.js';
import type { StoredEvent } from '../../src/shared/event.js';
import { aggregatesApplied, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

const CONV_A = '0193a300-0000-7000-8000-00000000000a';
const CONV_B = '0193a300-0000-7000-8000-00000000000b';

describe('direct SQL door: the platform INSERTs or COPYs rows itself', () => {
  let db: TestDatabase;
  let redis: Redis;
  let relay: OutboxRelay;
  const prefix = testPrefix();
  const keys = streamKeys(prefix);

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    relay = new OutboxRelay(db.pool, redis, { keyPrefix: prefix, pollMs: 100 });
    relay.start();
  });
  afterAll(async () => {
    await relay.stop();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db.drop();
  });

  const published = async () => (await redis.xrange(keys.stream, '-', '+')).map(([, f]) => JSON.parse(f[1]) as StoredEvent);

  it('INSERT INTO conversations + conversation_events updates aggregates and reaches the stream via the relay', async () => {
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'dana', '2026-03-10 09:00:00')`, [CONV_A]);
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content, tool_name, success, credits_consumed) VALUES
        ('0193a300-0000-7000-8000-0000000000a1', $1, 'dana', '2026-03-10 09:00:00', 'message', '{"role":"user","message":"translate my menu"}', NULL, NULL, 0),
        ('0193a300-0000-7000-8000-0000000000a2', $1, 'dana', '2026-03-10 09:00:02', 'tool_call', '{"tool":"translate"}', 'translate', true, 3),
        ('0193a300-0000-7000-8000-0000000000a3', $1, 'dana', '2026-03-10 09:00:09', 'completion', '{"completion_status":"completed"}', NULL, NULL, 0)`,
      [CONV_A],
    );
    await aggregatesApplied(db.pool, { apply: true }); // direct SQL: the aggregates are applied after the commit
    const conv = (await db.pool.query('SELECT * FROM conversations WHERE id = $1', [CONV_A])).rows[0];
    expect(conv).toMatchObject({
      message_count: 1,
      credits_used: 3,
      tools_used: { translate: 1 },
      first_intent: 'translate my menu',
      completion_status: 'completed',
      last_message_at: '2026-03-10T09:00:09.000Z',
      started_at: '2026-03-10T09:00:00.000Z',
    });
    const profile = (await db.pool.query(`SELECT * FROM user_profiles WHERE user_id = 'dana'`)).rows[0];
    expect(profile).toMatchObject({ total_conversations: 1, total_messages: 1, total_credits_used: 3, last_active_at: '2026-03-10T09:00:09.000Z' });

    await expect.poll(async () => (await published()).map((e) => e.id), { timeout: 10_000 }).toEqual([
      '0193a300-0000-7000-8000-0000000000a1',
      '0193a300-0000-7000-8000-0000000000a2',
      '0193a300-0000-7000-8000-0000000000a3',
    ]);
    expect((await published())[1]).toMatchObject({ event_type: 'tool_call', tool_name: 'translate', success: true, credits_consumed: 3, timestamp: '2026-03-10T09:00:02.000Z' });
  });

  it('a replayed INSERT … ON CONFLICT DO NOTHING changes nothing and publishes nothing', async () => {
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content, credits_consumed)
       VALUES ('0193a300-0000-7000-8000-0000000000a2', $1, 'dana', '2026-03-10 09:00:02', 'tool_call', '{}', 3) ON CONFLICT (id) DO NOTHING`,
      [CONV_A],
    );
    await aggregatesApplied(db.pool, { apply: true }); // direct SQL: the aggregates are applied after the commit
    const conv = (await db.pool.query('SELECT credits_used, tools_used FROM conversations WHERE id = $1', [CONV_A])).rows[0];
    expect(conv).toEqual({ credits_used: 3, tools_used: { translate: 1 } });
    expect(await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox').then((r) => r.rows[0].n)).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect((await published()).length).toBe(3);
  });

  it('an event row without a timestamp gets NOW() in UTC on a plain platform connection', async () => {
    // The platform's own connection sets no time zone: the database default (set by the migration) applies.
    const platform = new pg.Client({ connectionString: db.url });
    await platform.connect();
    try {
      expect((await platform.query('SHOW TimeZone')).rows[0].TimeZone).toBe('UTC');
      await platform.query(
        `INSERT INTO conversation_events (id, conversation_id, user_id, event_type, content)
         VALUES ('0193a300-0000-7000-8000-0000000000a4', $1, 'dana', 'message', '{"role":"assistant","message":"done"}')`,
        [CONV_A],
      );
    } finally {
      await platform.end();
    }
    const row = (await db.pool.query(`SELECT timestamp FROM conversation_events WHERE id = '0193a300-0000-7000-8000-0000000000a4'`)).rows[0];
    expect(Math.abs(Date.parse(row.timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('a row without content is published with content {}, and a row deleted before publication is not published', async () => {
    await relay.stop();
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type) VALUES
        ('0193a300-0000-7000-8000-0000000000a5', $1, 'dana', '2026-03-10 09:01:00', 'message'),
        ('0193a300-0000-7000-8000-0000000000a6', $1, 'dana', '2026-03-10 09:02:00', 'message')`,
      [CONV_A],
    );
    // Forgotten (e.g. `uis forget`) while still waiting in the outbox.
    await db.pool.query(`DELETE FROM conversation_events WHERE id = '0193a300-0000-7000-8000-0000000000a6'`);
    relay.start();
    await expect.poll(() => db.pool.query('SELECT count(*)::int AS n FROM uis_outbox').then((r) => r.rows[0].n), { timeout: 10_000 }).toBe(0);
    const events = await published();
    expect(events.find((e) => e.id === '0193a300-0000-7000-8000-0000000000a5')).toMatchObject({ content: {}, event_type: 'message' });
    expect(events.some((e) => e.id === '0193a300-0000-7000-8000-0000000000a6')).toBe(false);
  });

  it('COPY into conversation_events goes through the same trigger: aggregates, profile, stream', async () => {
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'eve', '2026-03-11 07:00:00')`, [CONV_B]);
    const lines = [
      ['0193a300-0000-7000-8000-0000000000b1', CONV_B, 'eve', '2026-03-11 07:00:00', 'message', '{"role":"user","message":"edit my podcast"}', '\\N', '\\N', '0'],
      ['0193a300-0000-7000-8000-0000000000b2', CONV_B, 'eve', '2026-03-11 07:00:03', 'tool_call', '{"tool":"audio_edit"}', 'audio_edit', 'f', '5'],
      ['0193a300-0000-7000-8000-0000000000b3', CONV_B, 'eve', '2026-03-11 07:00:04', 'tool_call', '{"tool":"audio_edit"}', 'audio_edit', 't', '5'],
    ].map((cols) => cols.join('\t') + '\n');
    const client = await db.pool.connect();
    try {
      await pipeline(
        Readable.from(lines),
        client.query(copyFrom('COPY conversation_events (id, conversation_id, user_id, timestamp, event_type, content, tool_name, success, credits_consumed) FROM STDIN')),
      );
    } finally {
      client.release();
    }
    await aggregatesApplied(db.pool, { apply: true }); // direct SQL: the aggregates are applied after the commit
    const conv = (await db.pool.query('SELECT * FROM conversations WHERE id = $1', [CONV_B])).rows[0];
    expect(conv).toMatchObject({ message_count: 1, credits_used: 10, tools_used: { audio_edit: 2 }, first_intent: 'edit my podcast', last_message_at: '2026-03-11T07:00:04.000Z' });
    const profile = (await db.pool.query(`SELECT * FROM user_profiles WHERE user_id = 'eve'`)).rows[0];
    expect(profile).toMatchObject({ total_conversations: 1, total_messages: 1, total_credits_used: 10 });

    await expect
      .poll(async () => (await published()).filter((e) => e.conversation_id === CONV_B).map((e) => [e.id, e.success]), { timeout: 10_000 })
      .toEqual([
        ['0193a300-0000-7000-8000-0000000000b1', null],
        ['0193a300-0000-7000-8000-0000000000b2', false],
        ['0193a300-0000-7000-8000-0000000000b3', true],
      ]);
    expect((await published()).length).toBe(8); // 3 INSERTed + 1 without timestamp + 1 without content + 3 COPYed
  });

  it('one statement of 2,500 events: outbox rows of at most 1,000 ids in event-time order, each event published once, in order', async () => {
    await relay.stop();
    const conv = '0193a300-0000-7000-8000-00000000000c';
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'finn', '2026-03-12 08:00:00')`, [conv]);
    // Inserted in reverse time order: the outbox follows event time, not insertion order.
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content)
       SELECT ('0193a300-0000-7000-8000-' || lpad(g::text, 12, '0'))::uuid, $1, 'finn',
              timestamp '2026-03-12 08:00:00' + g * interval '1 second', 'message', jsonb_build_object('message', 'm' || g)
       FROM generate_series(2500, 1, -1) g`,
      [conv],
    );
    const rows = (await db.pool.query('SELECT cardinality(event_ids) AS n FROM uis_outbox ORDER BY seq')).rows.map((r) => r.n);
    expect(rows).toEqual([1000, 1000, 500]);
    relay.start();
    await expect.poll(() => db.pool.query('SELECT count(*)::int AS n FROM uis_outbox').then((r) => r.rows[0].n), { timeout: 10_000 }).toBe(0);
    const messages = (await published()).filter((e) => e.conversation_id === conv).map((e) => e.content.message);
    expect(messages).toEqual(Array.from({ length: 2500 }, (_, i) => `m${i + 1}`));
    await aggregatesApplied(db.pool, { apply: true }); // direct SQL: the aggregates are applied after the commit
    const conversation = (await db.pool.query('SELECT message_count, first_intent FROM conversations WHERE id = $1', [conv])).rows[0];
    expect(conversation).toEqual({ message_count: 2500, first_intent: 'm1' });
  });

  it('a user forgotten while their events wait in a shared outbox row: counted as unpublished, never published; the others go out', async () => {
    await relay.stop();
    const conv = '0193a300-0000-7000-8000-00000000000d';
    const other = '0193a300-0000-7000-8000-00000000000e';
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'gus', '2026-03-13 08:00:00'), ($2, 'hal', '2026-03-13 08:00:00')`, [conv, other]);
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content)
       SELECT gen_random_uuid(), CASE WHEN g % 2 = 0 THEN $1::uuid ELSE $2::uuid END, CASE WHEN g % 2 = 0 THEN 'gus' ELSE 'hal' END,
              timestamp '2026-03-13 08:00:00' + g * interval '1 second', 'message', jsonb_build_object('message', 'm' || g)
       FROM generate_series(1, 10) g`,
      [conv, other],
    );
    expect((await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox')).rows[0].n).toBe(1); // one row, both users
    const result = await forgetUser(db.pool, 'gus', { requestedBy: 'test' });
    expect(result?.removed).toMatchObject({ events: 5, conversations: 1, outbox: 5 });
    relay.start();
    await expect.poll(() => db.pool.query('SELECT count(*)::int AS n FROM uis_outbox').then((r) => r.rows[0].n), { timeout: 10_000 }).toBe(0);
    const events = await published();
    expect(events.filter((e) => e.user_id === 'gus')).toEqual([]);
    expect(events.filter((e) => e.user_id === 'hal').map((e) => e.content.message)).toEqual(['m1', 'm3', 'm5', 'm7', 'm9']);
  });
});
