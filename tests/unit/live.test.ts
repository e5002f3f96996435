import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../../src/main/live/bus.js';
import { LiveCounters, LiveFeed } from '../../src/main/live/feed.js';
import { LiveSimulator } from '../../src/main/live/simulator.js';
import { entryToItem } from '../../src/main/live/stream-tail.js';
import type { StoredEvent } from '../../src/shared/event.js';
import { compareStreamIds, formatLiveLine, matchesLive, type LiveItem } from '../../src/shared/live.js';

const ev = (over: Partial<StoredEvent>): StoredEvent => ({
  id: '0193e000-0000-7000-9000-000000000001', conversation_id: 'c', user_id: 'u1', timestamp: '2026-03-01T10:00:00.000Z',
  event_type: 'tool_call', content: { params: { style: 'anime' } }, tool_name: 'video_gen', success: true, credits_consumed: 10, ...over,
});
const item = (e: StoredEvent | null, over: Partial<LiveItem> = {}): LiveItem => ({ key: 'k', source: 'stream', channel: null, receivedAt: 1_000_000, event: e, raw: null, userId: e?.user_id ?? null, ...over });

describe('live filters', () => {
  it('match user, tool, type, success and text; raw pub/sub items only by user and text', () => {
    const fail = item(ev({ event_type: 'error', success: false, content: { error: 'Timeout while rendering' } }));
    const ok = item(ev({}));
    expect(matchesLive(ok, { user: 'u1', tool: 'video_gen', type: 'tool_call', success: true })).toBe(true);
    expect(matchesLive(ok, { user: 'u2' })).toBe(false);
    expect(matchesLive(fail, { success: false, text: 'timeout' })).toBe(true);
    expect(matchesLive(ok, { success: false })).toBe(false);
    const raw = item(null, { source: 'pubsub', channel: 'user_context', raw: '{"userId":"u1","data":{"message":"hello"}}', userId: 'u1' });
    expect(matchesLive(raw, { user: 'u1', text: 'HELLO' })).toBe(true);
    expect(matchesLive(raw, { type: 'message' })).toBe(false);
  });

  it('stream ids compare numerically, not as text', () => {
    expect(compareStreamIds('999-0', '1000-0')).toBe(-1);
    expect(compareStreamIds('1000-10', '1000-9')).toBe(1);
    expect(compareStreamIds('5-1', '5-1')).toBe(0);
  });

  it('a stream entry becomes an event item, or a raw one when it is not our JSON', () => {
    expect(entryToItem('1-0', ['event', JSON.stringify(ev({}))], 5).event?.tool_name).toBe('video_gen');
    expect(entryToItem('2-0', ['foo', 'bar'], 5)).toMatchObject({ event: null, raw: 'foo bar', userId: null });
    expect(formatLiveLine(item(ev({})))).toBe('10:00:00.000  u1            tool_call   video_gen   ok     10cr');
    // A completion shows its status; a stream entry that is not an event is labelled as the stream's, not pub/sub's.
    expect(formatLiveLine(item(ev({ event_type: 'completion', tool_name: null, success: null, credits_consumed: 0, content: { completion_status: 'blocked_by_credits' } })))).toMatch(/completion\s+blocked_by_credits$/);
    expect(formatLiveLine(item(null, { raw: 'foo bar' }))).toContain('[stream]  foo bar');
    expect(formatLiveLine(item(null, { source: 'pubsub', channel: 'user_context', raw: 'x' }))).toContain('[user_context]  x');
    // A message carrying terminal escapes prints as plain text.
    const evil = formatLiveLine(item(ev({ event_type: 'message', tool_name: null, success: null, credits_consumed: 0, content: { message: 'hi\u001b[2J\u001b]0;pwned\u0007 there' } })));
    expect([...evil].some((c) => c.charCodeAt(0) < 32)).toBe(false);
    expect(evil).toContain('hi [2J ]0;pwned there');
  });
});

describe('live tiles and batching', () => {
  it('counts events, errors and credits per minute, active users over 5 minutes, and a 60 s sparkline', () => {
    const c = new LiveCounters();
    const t0 = 1_700_000_000_000;
    c.add(item(ev({ credits_consumed: 10 }), { receivedAt: t0 }));
    c.add(item(ev({ user_id: 'u2', event_type: 'error', success: false, credits_consumed: 0 }), { receivedAt: t0 + 500, userId: 'u2' }));
    c.add(item(ev({ credits_consumed: 5 }), { receivedAt: t0 + 2000 }));
    c.add(item(ev({ credits_consumed: 7 }), { receivedAt: t0 - 61_000 })); // outside the minute
    const s = c.stats(t0 + 2500);
    expect(s).toMatchObject({ eventsPerMin: 3, errorsPerMin: 1, creditsPerMin: 15, activeUsers: 2, total: 4 });
    expect(s.sparkline).toHaveLength(60);
    expect(s.sparkline.slice(-3)).toEqual([2, 0, 1]);
    expect(c.stats(t0 + 6 * 60_000).activeUsers).toBe(0);
  });

  it('emits one batch per window and keeps only the newest items', async () => {
    const batches: number[] = [];
    const feed = new LiveFeed({ capacity: 100, batchMs: 30, onBatch: (b) => batches.push(b.items.length), status: () => ({ mode: 'demo', state: 'live', message: '', subscriptions: [], lastId: null }) });
    for (let i = 0; i < 10; i++) feed.push(Array.from({ length: 30 }, (_, j) => item(ev({ id: `id-${i}-${j}` }), { key: `${i}-${j}` })));
    await new Promise((r) => setTimeout(r, 60));
    feed.close();
    expect(batches).toEqual([100]);
    expect(feed.recent().length).toBeLessThanOrEqual(120);
    expect(feed.recent(5).map((i) => i.key)).toEqual(['9-25', '9-26', '9-27', '9-28', '9-29']);
  });

  it('the demo simulator speaks as the given users, starts conversations with a request, and keeps its rate', () => {
    const bus = new InProcessBus();
    const got: StoredEvent[] = [];
    bus.subscribe((e) => got.push(...e));
    const sim = new LiveSimulator(bus, { rate: 200, users: ['user_01', 'user_02'] });
    for (let i = 0; i < 10; i++) sim.tick(100);
    expect(got).toHaveLength(200);
    expect(new Set(got.map((e) => e.user_id))).toEqual(new Set(['user_01', 'user_02']));
    const firstByConversation = new Map<string, StoredEvent>();
    for (const e of got) if (!firstByConversation.has(e.conversation_id)) firstByConversation.set(e.conversation_id, e);
    for (const e of firstByConversation.values()) expect(e.event_type).toBe('message');
    expect(got.some((e) => e.event_type === 'tool_call' && e.credits_consumed! > 0)).toBe(true);
    expect(got.some((e) => e.event_type === 'completion')).toBe(true);
  });
});
