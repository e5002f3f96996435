import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeEvents } from '../../src/main/ingest/capture.js';
import type { EventInput } from '../../src/shared/event.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

// What the capture statement stores from awkward input: control characters and backslashes in every text field, a
// batch mixing new and known ids, a conversation naming two users, upper-case ids.
describe('capture stores exactly what was sent', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const eventRow = async (id: string) =>
    (await db.pool.query('SELECT user_id, timestamp, event_type, content, tool_name, success, credits_consumed FROM conversation_events WHERE id = $1', [id])).rows[0];

  it('stores text holding tabs, newlines, carriage returns and backslashes exactly as sent', async () => {
    const conv = '0193c000-0000-7000-8000-000000000001';
    const awkward = 'tab\there\nnew line\r\nCRLF \\N not null \\. and \\\\ two backslashes "quoted" ünïcödé 🎬';
    const events: EventInput[] = [
      { id: '0193c000-0000-7000-8000-0000000000a1', conversation_id: conv, user_id: 'user\twith\ttabs\\', timestamp: '2026-05-01T08:00:00.5Z', event_type: 'message', content: { role: 'user', message: awkward, params: { path: 'C:\\videos\\new' } } },
      { id: '0193c000-0000-7000-8000-0000000000a2', conversation_id: conv, user_id: 'user\twith\ttabs\\', timestamp: '2026-05-01T08:00:01Z', event_type: 'tool_call', tool_name: 'edit\\cut\n', success: false, credits_consumed: 7, content: { error: 'line 1\nline 2' } },
    ];
    expect(await storeEvents(db.pool, events)).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(await eventRow(events[0].id!)).toEqual({
      user_id: 'user\twith\ttabs\\',
      timestamp: '2026-05-01T08:00:00.500Z',
      event_type: 'message',
      content: { role: 'user', message: awkward, params: { path: 'C:\\videos\\new' } },
      tool_name: null,
      success: null,
      credits_consumed: 0,
    });
    expect(await eventRow(events[1].id!)).toMatchObject({ tool_name: 'edit\\cut\n', success: false, credits_consumed: 7, content: { error: 'line 1\nline 2' } });
    const conversation = (await db.pool.query('SELECT user_id, started_at, message_count, credits_used, tools_used, first_intent FROM conversations WHERE id = $1', [conv])).rows[0];
    expect(conversation).toEqual({
      user_id: 'user\twith\ttabs\\',
      started_at: '2026-05-01T08:00:00.500Z',
      message_count: 1,
      credits_used: 7,
      tools_used: { 'edit\\cut\n': 1 },
      first_intent: awkward,
    });
  });

  it('a batch holding one id stored before stores the others once, counts the duplicate, and aggregates once', async () => {
    const conv = '0193c000-0000-7000-8000-000000000002';
    const ev = (n: number, credits: number): EventInput => ({
      id: `0193c000-0000-7000-8000-0000000000b${n}`,
      conversation_id: conv,
      user_id: 'mixed',
      timestamp: `2026-05-02T08:00:0${n}Z`,
      event_type: 'tool_call',
      tool_name: 'search',
      success: true,
      credits_consumed: credits,
    });
    expect(await storeEvents(db.pool, [ev(1, 5)])).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await storeEvents(db.pool, [ev(2, 3), ev(1, 5), ev(3, 1)])).toMatchObject({ accepted: 2, duplicates: 1 });
    const conversation = (await db.pool.query('SELECT credits_used, tools_used FROM conversations WHERE id = $1', [conv])).rows[0];
    expect(conversation).toEqual({ credits_used: 9, tools_used: { search: 3 } });
    expect((await db.pool.query(`SELECT total_credits_used FROM user_profiles WHERE user_id = 'mixed'`)).rows[0].total_credits_used).toBe(9);
    const outboxIds = (await db.pool.query('SELECT event_ids FROM uis_outbox ORDER BY seq')).rows.flatMap((r: { event_ids: string[] }) => r.event_ids);
    expect(outboxIds.filter((id) => id.startsWith('0193c000-0000-7000-8000-0000000000b')).sort()).toEqual([ev(1, 0).id, ev(2, 0).id, ev(3, 0).id]);
  });

  it('a conversation whose first events name two users belongs to the user of the earliest event (docs/schema.md)', async () => {
    const conv = '0193c000-0000-7000-8000-000000000003';
    const base = { conversation_id: conv, event_type: 'message' as const, content: { message: 'x' } };
    await storeEvents(db.pool, [
      { ...base, user_id: 'zed', timestamp: '2026-05-03T08:00:00Z' },
      { ...base, user_id: 'amy', timestamp: '2026-05-03T08:00:05Z' },
    ]);
    expect((await db.pool.query('SELECT user_id, started_at FROM conversations WHERE id = $1', [conv])).rows[0]).toEqual({ user_id: 'zed', started_at: '2026-05-03T08:00:00.000Z' });
  });

  it('upper-case ids are stored and reported in PostgreSQL form', async () => {
    const r = await storeEvents(db.pool, [{ id: '0193C000-0000-7000-8000-0000000000CC', conversation_id: '0193C000-0000-7000-8000-0000000000DD', user_id: 'caps', event_type: 'message', content: {} }]);
    expect(r.ids).toEqual(['0193c000-0000-7000-8000-0000000000cc']);
    expect((await db.pool.query(`SELECT conversation_id FROM conversation_events WHERE user_id = 'caps'`)).rows).toEqual([{ conversation_id: '0193c000-0000-7000-8000-0000000000dd' }]);
  });
});
