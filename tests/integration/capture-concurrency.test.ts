import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackEvents } from '../../src/main/ingest/capture.js';
import type { EventInput } from '../../src/shared/event.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const conv = (n: number) => `0193a700-0000-7000-8000-${String(n).padStart(12, '0')}`;

describe('concurrent batches on the same conversations and users', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('never deadlock into an error and count every event exactly once', async () => {
    // 12 batches at once, each touching the same 4 conversations (2 users) plus a new one of its own per user,
    // in a different order per batch: the worst case for row-lock ordering.
    const batches: EventInput[][] = Array.from({ length: 12 }, (_, b) => {
      const events: EventInput[] = [];
      for (let i = 0; i < 40; i++) {
        const shared = (b + i) % 4;
        const c = i % 5 === 4 ? 100 + b * 2 + (i % 2) : shared;
        const user = c >= 100 ? `user-${c % 2}` : `user-${shared % 2}`;
        events.push({
          conversation_id: conv(c),
          user_id: user,
          timestamp: new Date(Date.UTC(2026, 3, 1) + b * 1000 + i).toISOString(),
          event_type: i % 2 ? 'tool_call' : 'message',
          tool_name: i % 2 ? 'search' : undefined,
          credits_consumed: 1,
          content: { role: 'user', message: `b${b} e${i}` },
        });
      }
      return events.reverse(); // arrival order ≠ event time: the outbox must follow event time within a batch
    });
    const results = await Promise.all(batches.map((batch) => trackEvents(db.pool, batch)));
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(480);

    const totals = (
      await db.pool.query(`SELECT sum(message_count)::int AS messages, sum(credits_used)::int AS credits,
        sum((tools_used->>'search')::int)::int AS searches, count(*)::int AS conversations FROM conversations`)
    ).rows[0];
    expect(totals).toEqual({ messages: 240, credits: 480, searches: 240, conversations: 4 + 24 });
    const profiles = (await db.pool.query('SELECT user_id, total_messages, total_credits_used, total_conversations FROM user_profiles ORDER BY user_id')).rows;
    expect(profiles.reduce((n, p) => n + p.total_messages, 0)).toBe(240);
    expect(profiles.reduce((n, p) => n + p.total_credits_used, 0)).toBe(480);
    expect(profiles.reduce((n, p) => n + p.total_conversations, 0)).toBe(28);

    // Per conversation, batches never interleave in the outbox (each batch's events are one run, i.e. commit order),
    // and within a batch the events are in timestamp order.
    const outbox = (
      await db.pool.query(`SELECT e.conversation_id, e.xmin::text AS tx, e.timestamp
        FROM uis_outbox o CROSS JOIN LATERAL unnest(o.event_ids) WITH ORDINALITY AS u(id, n)
        JOIN conversation_events e ON e.id = u.id ORDER BY o.seq, u.n`)
    ).rows as Array<{ conversation_id: string; tx: string; timestamp: string }>;
    expect(outbox.length).toBe(480);
    const byConversation = new Map<string, typeof outbox>();
    for (const r of outbox) byConversation.set(r.conversation_id, [...(byConversation.get(r.conversation_id) ?? []), r]);
    for (const rows of byConversation.values()) {
      const runs = rows.filter((r, i) => i === 0 || rows[i - 1].tx !== r.tx).map((r) => r.tx);
      expect(new Set(runs).size).toBe(runs.length);
      for (let i = 1; i < rows.length; i++) if (rows[i - 1].tx === rows[i].tx) expect(Date.parse(rows[i - 1].timestamp)).toBeLessThanOrEqual(Date.parse(rows[i].timestamp));
    }
  });

  it('the same ids sent by several batches at once are stored once, counted once, and reported as duplicates', async () => {
    // A platform retrying a batch while the first attempt is still in flight: 6 copies of 60 events, sent together.
    const events: EventInput[] = Array.from({ length: 60 }, (_, i) => ({
      id: `0193a700-0000-7000-8000-0000000b${String(i).padStart(4, '0')}`,
      conversation_id: conv(500 + (i % 3)),
      user_id: 'retrying-user',
      timestamp: new Date(Date.UTC(2026, 4, 1) + i).toISOString(),
      event_type: 'tool_call',
      tool_name: 'search',
      credits_consumed: 2,
    }));
    const results = await Promise.all(Array.from({ length: 6 }, (_, k) => trackEvents(db.pool, k % 2 ? [...events].reverse() : events)));
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(60);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(5 * 60);
    const conversations = (await db.pool.query(`SELECT sum(credits_used)::int AS credits, sum((tools_used->>'search')::int)::int AS searches FROM conversations WHERE user_id = 'retrying-user'`)).rows[0];
    expect(conversations).toEqual({ credits: 120, searches: 60 });
    expect((await db.pool.query(`SELECT total_credits_used FROM user_profiles WHERE user_id = 'retrying-user'`)).rows[0].total_credits_used).toBe(120);
    const listed = (await db.pool.query(`SELECT count(*)::int AS n FROM uis_outbox o CROSS JOIN LATERAL unnest(o.event_ids) AS u(id) WHERE u.id::text LIKE '0193a700-0000-7000-8000-0000000b%'`)).rows[0].n;
    expect(listed).toBe(60);
  });
});
