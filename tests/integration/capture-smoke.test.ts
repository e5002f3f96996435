import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackEvents } from '../../src/main/ingest/capture.js';
import { OutboxRelay } from '../../src/main/stream/relay.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

describe('capture → outbox → stream (smoke)', () => {
  let db: TestDatabase;
  let redis: Redis;
  const prefix = testPrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db.drop();
  });

  it('stores a batch, updates the conversation and profile, and publishes each event once', async () => {
    const conv = '0193a000-0000-7000-8000-000000000001';
    const r = await trackEvents(db.pool, [
      { id: '0193a000-0000-7000-8000-0000000000a1', conversation_id: conv, user_id: 'u1', timestamp: '2026-03-01T10:00:00Z', event_type: 'message', content: { role: 'user', message: 'make me a vertical video' } },
      { id: '0193a000-0000-7000-8000-0000000000a2', conversation_id: conv, user_id: 'u1', timestamp: '2026-03-01T10:00:05Z', event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 12 },
      { id: '0193a000-0000-7000-8000-0000000000a3', conversation_id: conv, user_id: 'u1', timestamp: '2026-03-01T10:01:00Z', event_type: 'completion', completion_status: 'completed' },
    ]);
    expect(r).toMatchObject({ accepted: 3, duplicates: 0 });
    const again = await trackEvents(db.pool, [{ id: '0193a000-0000-7000-8000-0000000000a2', conversation_id: conv, user_id: 'u1', event_type: 'tool_call', tool_name: 'video_gen', credits_consumed: 12 }]);
    expect(again).toMatchObject({ accepted: 0, duplicates: 1 });

    const c = (await db.pool.query('SELECT * FROM conversations WHERE id = $1', [conv])).rows[0];
    expect(c).toMatchObject({ message_count: 1, credits_used: 12, first_intent: 'make me a vertical video', tools_used: { video_gen: 1 }, completion_status: 'completed', started_at: '2026-03-01T10:00:00.000Z', last_message_at: '2026-03-01T10:01:00.000Z' });
    const p = (await db.pool.query('SELECT * FROM user_profiles WHERE user_id = $1', ['u1'])).rows[0];
    expect(p).toMatchObject({ total_conversations: 1, total_messages: 1, total_credits_used: 12 });

    const relay = new OutboxRelay(db.pool, redis, { keyPrefix: prefix });
    expect(await relay.drainOnce()).toBe(3);
    expect(await relay.drainOnce()).toBe(0);
    const entries = await redis.xrange(streamKeys(prefix).stream, '-', '+');
    expect(entries.map(([, f]) => JSON.parse(f[1]).id)).toEqual([
      '0193a000-0000-7000-8000-0000000000a1',
      '0193a000-0000-7000-8000-0000000000a2',
      '0193a000-0000-7000-8000-0000000000a3',
    ]);
  });
});
