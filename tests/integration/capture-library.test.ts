import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../src/main/ingest/capture.js';
import { UisClient } from '../../src/main/ingest/client.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { OutboxRelay } from '../../src/main/stream/relay.js';
import { toUserContextMessage, type StoredEvent } from '../../src/shared/event.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

const CONV = '0193a100-0000-7000-8000-000000000001';
const CONV2 = '0193a100-0000-7000-8000-000000000002';

describe('library door: UisClient.processMessage / track', () => {
  let db: TestDatabase;
  let redis: Redis;
  let subscriber: Redis;
  let client: UisClient;
  let relay: OutboxRelay;
  const prefix = testPrefix();
  const keys = streamKeys(prefix);
  const received: unknown[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    subscriber = new Redis(REDIS_URL);
    await subscriber.subscribe(keys.channel);
    subscriber.on('message', (_channel, message) => received.push(JSON.parse(message)));
    client = new UisClient({ databaseUrl: db.url });
    relay = new OutboxRelay(db.pool, redis, { keyPrefix: prefix });
  });
  afterAll(async () => {
    await client.close();
    subscriber.disconnect();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db.drop();
  });

  const conversation = async (id: string) => (await db.pool.query('SELECT * FROM conversations WHERE id = $1', [id])).rows[0];
  const profile = async (id: string) => (await db.pool.query('SELECT * FROM user_profiles WHERE user_id = $1', [id])).rows[0];
  const streamEvents = async (): Promise<StoredEvent[]> =>
    (await redis.xrange(keys.stream, '-', '+')).map(([, fields]) => JSON.parse(fields[1]) as StoredEvent);

  it('processMessage stores the message, each tool call and the reply, and updates the conversation and profile', async () => {
    await client.identify({ user_id: 'alice', email: 'alice@example.com', created_at: '2026-02-27T09:00:00Z' });
    const r = await client.processMessage({
      id: '0193a100-0000-7000-8000-0000000000f1',
      userId: 'alice',
      conversationId: CONV,
      message: 'make a 15 second product video',
      toolCalls: [
        { tool: 'video_gen', params: { seconds: 15 }, credits: 10, result: { url: 'v.mp4' } },
        { tool: 'image_gen', params: { n: 1 }, credits: 0, error: 'content_policy' },
      ],
      result: 'Here is your video',
      timestamp: '2026-03-01T10:00:00.000Z',
    });
    expect(r).toMatchObject({ accepted: 4, duplicates: 0 });

    const rows = (await db.pool.query('SELECT * FROM conversation_events WHERE conversation_id = $1 ORDER BY timestamp', [CONV])).rows;
    expect(rows.map((e) => [e.event_type, e.tool_name, e.success, e.credits_consumed, e.content.role ?? null])).toEqual([
      ['message', null, null, 0, 'user'],
      ['tool_call', 'video_gen', true, 10, null],
      ['tool_call', 'image_gen', false, 0, null],
      ['message', null, null, 0, 'assistant'],
    ]);
    expect(rows[2].content).toMatchObject({ tool: 'image_gen', error: 'content_policy' });
    expect(rows[0].timestamp).toBe('2026-03-01T10:00:00.000Z');

    expect(await conversation(CONV)).toMatchObject({
      user_id: 'alice',
      started_at: '2026-03-01T10:00:00.000Z',
      last_message_at: '2026-03-01T10:00:00.003Z',
      message_count: 2,
      credits_used: 10,
      tools_used: { video_gen: 1, image_gen: 1 },
      first_intent: 'make a 15 second product video',
      completion_status: null,
    });
    expect(await profile('alice')).toMatchObject({
      email: 'alice@example.com',
      created_at: '2026-02-27T09:00:00.000Z',
      total_conversations: 1,
      total_messages: 2,
      total_credits_used: 10,
      last_active_at: '2026-03-01T10:00:00.003Z',
    });
  });

  it('a second message counts tools, keeps the first intent, and a completion sets completion_status', async () => {
    await client.processMessage({
      userId: 'alice',
      conversationId: CONV,
      message: 'now make it vertical',
      toolCalls: [{ tool: 'video_gen', credits: 12 }],
      timestamp: '2026-03-01T10:05:00.000Z',
    });
    await client.track({ conversation_id: CONV, user_id: 'alice', timestamp: '2026-03-01T10:06:00Z', event_type: 'completion', completion_status: 'completed' });
    expect(await conversation(CONV)).toMatchObject({
      message_count: 3,
      credits_used: 22,
      tools_used: { video_gen: 2, image_gen: 1 },
      first_intent: 'make a 15 second product video',
      completion_status: 'completed',
      last_message_at: '2026-03-01T10:06:00.000Z',
    });
    expect(await profile('alice')).toMatchObject({ total_conversations: 1, total_messages: 3, total_credits_used: 22 });
  });

  it('first_intent is the first user message even when the reply arrives in the same batch first', async () => {
    await client.track([
      { conversation_id: CONV2, user_id: 'alice', timestamp: '2026-03-02T08:00:01Z', event_type: 'message', content: { role: 'assistant', message: 'Hi! What shall we make?' } },
      { conversation_id: CONV2, user_id: 'alice', timestamp: '2026-03-02T08:00:02Z', event_type: 'message', content: { role: 'user', message: 'a logo for my bakery' } },
      { conversation_id: CONV2, user_id: 'alice', timestamp: '2026-03-02T08:00:03Z', event_type: 'error', content: { error: 'out_of_credits' }, success: false },
      { conversation_id: CONV2, user_id: 'alice', timestamp: '2026-03-02T08:00:04Z', event_type: 'completion', completion_status: 'blocked_by_credits' },
    ]);
    expect(await conversation(CONV2)).toMatchObject({
      first_intent: 'a logo for my bakery',
      message_count: 2,
      completion_status: 'blocked_by_credits',
      started_at: '2026-03-02T08:00:01.000Z',
    });
    expect(await profile('alice')).toMatchObject({ total_conversations: 2, total_messages: 5, last_active_at: '2026-03-02T08:00:04.000Z' });
  });

  it('replaying ids (same processMessage id, same track ids, duplicates inside one batch) changes no aggregate', async () => {
    const before = { conv: await conversation(CONV), profile: await profile('alice'), events: await db.pool.query('SELECT count(*)::int AS n FROM conversation_events') };
    const replay = await client.processMessage({
      id: '0193a100-0000-7000-8000-0000000000f1',
      userId: 'alice',
      conversationId: CONV,
      message: 'make a 15 second product video',
      toolCalls: [
        { tool: 'video_gen', params: { seconds: 15 }, credits: 10, result: { url: 'v.mp4' } },
        { tool: 'image_gen', params: { n: 1 }, credits: 0, error: 'content_policy' },
      ],
      result: 'Here is your video',
    });
    expect(replay).toMatchObject({ accepted: 0, duplicates: 4 });

    const id = '0193a100-0000-7000-8000-0000000000e1';
    const ev = { id, conversation_id: CONV, user_id: 'alice', timestamp: '2026-03-01T10:07:00Z', event_type: 'tool_call' as const, tool_name: 'search', credits_consumed: 1 };
    expect(await client.track([ev, ev, ev])).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(await client.track(ev)).toMatchObject({ accepted: 0, duplicates: 1 });

    const after = await conversation(CONV);
    expect(after).toMatchObject({
      message_count: before.conv.message_count,
      credits_used: before.conv.credits_used + 1,
      tools_used: { ...before.conv.tools_used, search: 1 },
    });
    expect(await profile('alice')).toMatchObject({
      total_messages: before.profile.total_messages,
      total_credits_used: before.profile.total_credits_used + 1,
      total_conversations: 2,
    });
    const n = (await db.pool.query('SELECT count(*)::int AS n FROM conversation_events')).rows[0].n;
    expect(n).toBe(before.events.rows[0].n + 1);
  });

  it('invalid input throws naming the field and writes nothing', async () => {
    const count = async () => (await db.pool.query('SELECT count(*)::int AS n FROM conversation_events')).rows[0].n;
    const before = await count();
    const err = await client
      .track([
        { conversation_id: CONV, user_id: 'alice', event_type: 'message', content: { message: 'ok' } },
        { conversation_id: CONV, user_id: 'alice', event_type: 'click' as never },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).issues[0].path).toBe('[1].event_type');
    expect(await count()).toBe(before);
  });

  it('the relay publishes every stored event once, in order, to the stream and to user_context in the seed shape', async () => {
    const stored = (await db.pool.query('SELECT id FROM conversation_events ORDER BY change_seq')).rows.map((r) => r.id);
    expect(await relay.drainOnce()).toBe(stored.length);
    const published = await streamEvents();
    expect(published.map((e) => e.id).sort()).toEqual([...stored].sort());
    expect(new Set(published.map((e) => e.id)).size).toBe(published.length);

    // Within each conversation the stream keeps the order in which events were stored.
    for (const conv of [CONV, CONV2]) {
      const order = (await db.pool.query('SELECT id FROM conversation_events WHERE conversation_id = $1 ORDER BY change_seq', [conv])).rows.map((r) => r.id);
      expect(published.filter((e) => e.conversation_id === conv).map((e) => e.id)).toEqual(order);
    }

    const videoCall = published.find((e) => e.tool_name === 'video_gen')!;
    expect(videoCall).toMatchObject({
      conversation_id: CONV,
      user_id: 'alice',
      timestamp: '2026-03-01T10:00:00.001Z',
      event_type: 'tool_call',
      content: { tool: 'video_gen', params: { seconds: 15 }, result: { url: 'v.mp4' } },
      success: true,
      credits_consumed: 10,
    });

    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(stored.length);
    expect(received[0]).toEqual({ userId: 'alice', event: 'new_interaction', data: { message: 'make a 15 second product video', toolCalls: [] } });
    expect(received[1]).toEqual({
      userId: 'alice',
      event: 'new_interaction',
      data: { message: null, toolCalls: [{ tool: 'video_gen', params: { seconds: 15 }, success: true }] },
    });
    expect(await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox').then((r) => r.rows[0].n)).toBe(0);

    // Every published pair: the stream's event is the stored row, and user_context is the seed's message of it.
    const rows = (
      await db.pool.query<StoredEvent>(`SELECT id, conversation_id, user_id, to_char(timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS timestamp,
        event_type, content, tool_name, success, credits_consumed FROM conversation_events`)
    ).rows;
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(published.length).toBe(rows.length);
    const kinds = new Set<string>();
    published.forEach((e, i) => {
      const row = byId.get(e.id)!;
      expect(e).toEqual(row);
      expect(received[i]).toEqual(JSON.parse(JSON.stringify(toUserContextMessage(row))));
      kinds.add(`${row.event_type}:${row.success}:${'params' in row.content}`);
    });
    // Covered: failed tool calls, tool calls without params, completions.
    expect([...kinds].some((k) => k.startsWith('tool_call:false'))).toBe(true);
    expect([...kinds].some((k) => k.startsWith('tool_call') && k.endsWith(':false'))).toBe(true);
    expect([...kinds].some((k) => k.startsWith('completion'))).toBe(true);
  });
});
