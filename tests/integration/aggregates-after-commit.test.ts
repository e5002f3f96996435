import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { AggregateApplier, applyAggregatesOnce } from '../../src/main/ingest/aggregates.js';
import { storeEvents, trackEvents } from '../../src/main/ingest/capture.js';
import { forgetUser } from '../../src/main/forget/forget.js';
import type { EventInput } from '../../src/shared/event.js';
import { chunks, generate, liveShaped } from '../../src/main/bench/ingest-platform.js';
import { aggregatesApplied, createTestDatabase, type TestDatabase } from '../helpers/pg.js';

// The aggregates as they must be: recomputed from the stored events alone (the rules of migrations 1764288000007 and
// 1764288000008: owner = user of the earliest event, first_intent = the owner's first user message, an episode = a
// (user, conversation) with a credit-exhaustion event).
const RECOMPUTED_CONVERSATIONS = `
  SELECT c.id::text, c.user_id, c.message_count, c.credits_used, c.tools_used, c.first_intent, c.completion_status,
         c.started_at, c.last_message_at,
         r.owner, r.messages, r.credits, r.tools, r.intent, r.status, r.first_at, r.last_at
  FROM conversations c JOIN LATERAL (
    SELECT (SELECT user_id FROM conversation_events WHERE conversation_id = c.id ORDER BY timestamp, id LIMIT 1) AS owner,
      (SELECT count(*)::int FROM conversation_events WHERE conversation_id = c.id AND event_type = 'message') AS messages,
      (SELECT COALESCE(sum(credits_consumed), 0)::int FROM conversation_events WHERE conversation_id = c.id) AS credits,
      (SELECT jsonb_object_agg(tool_name, n) FROM (SELECT tool_name, count(*) AS n FROM conversation_events
         WHERE conversation_id = c.id AND event_type = 'tool_call' AND tool_name IS NOT NULL GROUP BY tool_name) t) AS tools,
      uis_owner_first_intent(c.id, c.user_id) AS intent,
      (SELECT content->>'completion_status' FROM conversation_events WHERE conversation_id = c.id AND event_type = 'completion'
         AND content->>'completion_status' IS NOT NULL ORDER BY timestamp DESC, id DESC LIMIT 1) AS status,
      (SELECT min(timestamp) FROM conversation_events WHERE conversation_id = c.id) AS first_at,
      (SELECT max(timestamp) FROM conversation_events WHERE conversation_id = c.id) AS last_at
  ) r ON true
  WHERE EXISTS (SELECT 1 FROM conversation_events WHERE conversation_id = c.id)
  ORDER BY 1`;

const RECOMPUTED_PROFILES = `
  SELECT p.user_id, p.total_messages, p.total_credits_used, p.total_conversations, p.credit_exhaustion_count,
    (SELECT count(*)::int FROM conversation_events e WHERE e.user_id = p.user_id AND e.event_type = 'message') AS messages,
    (SELECT COALESCE(sum(credits_consumed), 0)::int FROM conversation_events e WHERE e.user_id = p.user_id) AS credits,
    (SELECT count(*)::int FROM conversations c WHERE c.user_id = p.user_id) AS conversations,
    (SELECT count(DISTINCT conversation_id)::int FROM conversation_events e WHERE e.user_id = p.user_id
       AND ((e.event_type = 'completion' AND e.content->>'completion_status' = 'blocked_by_credits') OR e.content->>'error' = 'insufficient_credits')) AS episodes
  FROM user_profiles p ORDER BY 1`;

async function expectAggregatesRecomputed(pool: pg.Pool): Promise<void> {
  const conversations = (await pool.query(RECOMPUTED_CONVERSATIONS)).rows;
  expect(conversations.length).toBeGreaterThan(0);
  for (const c of conversations) {
    expect(
      [c.user_id, c.message_count, c.credits_used, c.tools_used, c.first_intent, c.completion_status, c.started_at, c.last_message_at],
      c.id,
    ).toEqual([c.owner, c.messages, c.credits, c.tools, c.intent, c.status, c.first_at, c.last_at]);
  }
  for (const p of (await pool.query(RECOMPUTED_PROFILES)).rows) {
    expect([p.total_messages, p.total_credits_used, p.total_conversations, p.credit_exhaustion_count], p.user_id).toEqual([p.messages, p.credits, p.conversations, p.episodes]);
  }
}

const queued = async (pool: pg.Pool) => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM uis_aggregate_queue')).rows[0].n;
const messages = async (pool: pg.Pool) => (await pool.query<{ n: number }>('SELECT COALESCE(sum(message_count), 0)::int AS n FROM conversations')).rows[0].n;

/** Live-shaped traffic: one event of each of 50 conversations per batch, credit-exhaustion events in some of them. */
function traffic(count: number, tag: string, startMs: number): EventInput[][] {
  const events = liveShaped(generate(count, tag, startMs), startMs).map((e, i) =>
    i % 97 === 5 ? { ...e, event_type: 'error' as const, tool_name: 'video_gen', content: { error: 'insufficient_credits' } } : e,
  );
  return chunks(events, 50);
}

describe('aggregates applied after the capture commit (migrations/1764288000010)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('the commit queues the batch; an aborted or killed applier changes nothing; the next applies each event once', async () => {
    const [batch] = traffic(50, 'abort', Date.UTC(2026, 4, 1));
    await storeEvents(db.pool, batch, { aggregates: 'applier' });
    expect(await queued(db.pool)).toBe(1);
    expect(await messages(db.pool)).toBe(0);

    // Aborted after the application's steps, before its commit.
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      expect((await client.query('SELECT applied, users FROM uis_apply_aggregates()')).rows[0]).toEqual({ applied: 50, users: [...new Set(batch.map((e) => e.user_id))].sort() });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await queued(db.pool)).toBe(1);
    expect(await messages(db.pool)).toBe(0);

    // Killed mid-transaction (its connection ended by the server), as a crashed process's would be.
    const doomed = new pg.Client({ connectionString: db.url });
    doomed.on('error', () => {});
    await doomed.connect();
    await doomed.query('BEGIN');
    await doomed.query('SELECT uis_apply_aggregates()');
    const pid = (await doomed.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    // Meanwhile another applier finds the lock taken and leaves at once.
    expect(await applyAggregatesOnce(db.pool)).toBe(-1);
    await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await doomed.end().catch(() => {});
    expect(await queued(db.pool)).toBe(1);
    expect(await messages(db.pool)).toBe(0);

    expect(await applyAggregatesOnce(db.pool, { wait: true })).toBe(50);
    expect(await applyAggregatesOnce(db.pool, { wait: true })).toBe(0);
    const counted = await messages(db.pool);
    expect(counted).toBe(batch.filter((e) => e.event_type === 'message').length);

    // A replay (the stored ids sent again) stores nothing, queues nothing, counts nothing.
    const stored = (await db.pool.query<{ id: string }>('SELECT id::text FROM conversation_events')).rows.map((r) => r.id);
    const again = await trackEvents(db.pool, stored.map((id) => ({ ...batch[0], id })));
    expect(again).toMatchObject({ accepted: 0, duplicates: stored.length });
    expect(await queued(db.pool)).toBe(0);
    expect(await messages(db.pool)).toBe(counted);
    await expectAggregatesRecomputed(db.pool);
  });

  it('concurrent writers, two appliers and live-shaped traffic: the aggregates equal a recomputation from the events', async () => {
    const appliers = [new AggregateApplier(db.pool), new AggregateApplier(db.pool)];
    for (const a of appliers) a.start();
    try {
      const batches = traffic(3000, 'live', Date.UTC(2026, 4, 2));
      // Four writers at once, batches continuing the same conversations; the 2nd writer replays what it sent.
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          while (next < batches.length) {
            const b = batches[next++];
            const ids = (await storeEvents(db.pool, b, { aggregates: 'applier' })).ids;
            if (w === 1) await storeEvents(db.pool, b.map((e, i) => ({ ...e, id: ids[i] })), { aggregates: 'applier' });
          }
        }),
      );
      // Fresh without anyone asking: the appliers, woken by the trigger's NOTIFY, empty the queue.
      await aggregatesApplied(db.pool);
    } finally {
      for (const a of appliers) await a.stop();
    }
    // Counted once stopped: the queue is empty as soon as the last pass commits, but that pass's reply may not have
    // reached its applier yet (stop() waits for the pass in flight).
    expect(appliers[0].applied + appliers[1].applied).toBe(3000);
    await expectAggregatesRecomputed(db.pool);
  });

  it('forget while events wait for the applier: the same aggregates as if they had been applied first', async () => {
    const at = (s: number) => new Date(Date.UTC(2026, 4, 3, 9, 0, s)).toISOString();
    const shared = '0193a800-0000-7000-8000-000000000001';
    const own = '0193a800-0000-7000-8000-000000000002';
    await trackEvents(db.pool, [
      { conversation_id: shared, user_id: 'owner', timestamp: at(0), event_type: 'message', content: { role: 'user', message: 'owner asks' } },
      { conversation_id: shared, user_id: 'guest', timestamp: at(1), event_type: 'message', content: { role: 'user', message: 'guest joins' } },
      { conversation_id: own, user_id: 'guest', timestamp: at(2), event_type: 'message', content: { role: 'user', message: 'guest alone' } },
      { conversation_id: own, user_id: 'owner', timestamp: at(3), event_type: 'tool_call', tool_name: 'search', credits_consumed: 2 },
    ]);
    // Waiting, not applied: more of both users in both conversations, a credit episode of owner's in guest's one.
    await storeEvents(
      db.pool,
      [
        { conversation_id: shared, user_id: 'owner', timestamp: at(4), event_type: 'tool_call', tool_name: 'video_gen', credits_consumed: 5 },
        { conversation_id: shared, user_id: 'guest', timestamp: at(5), event_type: 'message', content: { role: 'user', message: 'guest again' } },
        { conversation_id: own, user_id: 'owner', timestamp: at(6), event_type: 'error', content: { error: 'insufficient_credits' } },
      ],
      { aggregates: 'applier' },
    );
    expect(await queued(db.pool)).toBe(1);
    await forgetUser(db.pool, 'guest', { requestedBy: 'test' });
    await aggregatesApplied(db.pool, { apply: true });
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM conversation_events WHERE user_id = 'guest'`)).rows[0].n).toBe(0);
    await expectAggregatesRecomputed(db.pool);
  });
});
