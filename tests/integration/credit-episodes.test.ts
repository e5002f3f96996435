import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { readEnv } from '../../src/main/config.js';
import { MIGRATIONS_DIR, migrate } from '../../src/main/db/migrate.js';
import { trackEvents } from '../../src/main/ingest/capture.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { syncFromPostgres } from '../../src/main/snapshot/sync.js';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';
import { creditExhaustionEventSql } from '../../src/shared/metric-definitions.js';
import { aggregatesApplied, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

/**
 * user_profiles.credit_exhaustion_count = the user's credit-exhaustion episodes (conversations that hit the limit),
 * kept by the capture trigger through every door, with no `uis profiles rebuild`; an existing database gets it from
 * migration 1764288000008's backfill. Checked against SQL written here (not the trigger's).
 */
const id = (n: number) => `0193a500-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
// The episode rule, written again here over PostgreSQL's columns: distinct conversations holding an exhaustion event.
const EPISODES_SQL = `SELECT p.user_id, p.credit_exhaustion_count AS stored,
    (SELECT COUNT(DISTINCT e.conversation_id)::int FROM conversation_events e
      WHERE e.user_id = p.user_id AND e.conversation_id IS NOT NULL
        AND ((e.event_type = 'completion' AND e.content->>'completion_status' = 'blocked_by_credits') OR e.content->>'error' = 'insufficient_credits')) AS episodes
  FROM user_profiles p ORDER BY p.user_id`;

const at = (minute: number) => new Date(Date.UTC(2026, 2, 10, 9, minute)).toISOString();
const message = (n: number, conversation: number, user: string, minute: number, text = 'make a video') =>
  ({ id: id(n), conversation_id: id(1000 + conversation), user_id: user, timestamp: at(minute), event_type: 'message', content: { role: 'user', message: text } });
const outOfCredits = (n: number, conversation: number, user: string, minute: number) =>
  ({ id: id(n), conversation_id: id(1000 + conversation), user_id: user, timestamp: at(minute), event_type: 'error', tool_name: 'video_gen', success: false, content: { error: 'insufficient_credits' } });
const blocked = (n: number, conversation: number, user: string, minute: number) =>
  ({ id: id(n), conversation_id: id(1000 + conversation), user_id: user, timestamp: at(minute), event_type: 'completion', content: { completion_status: 'blocked_by_credits' } });
const spend = (n: number, conversation: number, user: string, minute: number, credits: number) =>
  ({ id: id(n), conversation_id: id(1000 + conversation), user_id: user, timestamp: at(minute), event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: credits, content: {} });

async function expectCountsEqualEpisodes(db: TestDatabase): Promise<Array<{ user_id: string; stored: number | null; episodes: number }>> {
  const rows = (await db.pool.query(EPISODES_SQL)).rows as Array<{ user_id: string; stored: number | null; episodes: number }>;
  for (const r of rows) expect(r.stored, r.user_id).toBe(r.episodes);
  return rows;
}

describe('credit_exhaustion_count: an existing database, backfilled by the migration', () => {
  let db: TestDatabase;
  afterAll(async () => db?.drop());

  it('rows stored before 1764288000008 get their episodes; new profiles start at 0', async () => {
    db = await createTestDatabase({ migrate: false });
    const all = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    const EPISODES = '1764288000008_credit-exhaustion-episodes';
    // Every migration before this one.
    await runner({ databaseUrl: db.url, dir: MIGRATIONS_DIR, direction: 'up', migrationsTable: 'uis_migrations', count: all.indexOf(`${EPISODES}.sql`), singleTransaction: true, log: () => {} });
    // Before: the platform's own INSERTs (the trigger of 1764288000007 keeps everything but this column).
    await trackEvents(db.pool, [
      message(1, 1, 'ann', 0), outOfCredits(2, 1, 'ann', 1), blocked(3, 1, 'ann', 2), // one episode, two events
      message(4, 2, 'ann', 10), blocked(5, 2, 'ann', 11), // a second
      message(6, 3, 'bob', 0), spend(7, 3, 'bob', 1, 95), // high usage, never ran out
    ]);
    expect((await db.pool.query(`SELECT credit_exhaustion_count FROM user_profiles WHERE user_id = 'ann'`)).rows[0].credit_exhaustion_count).toBeNull();
    const { applied } = await migrate(db.url);
    expect(applied[0]).toBe(EPISODES);
    const rows = await expectCountsEqualEpisodes(db);
    expect(rows.map((r) => [r.user_id, r.stored])).toEqual([['ann', 2], ['bob', 0]]);
  });
});

describe('credit_exhaustion_count kept by the capture trigger through every door', () => {
  let db: TestDatabase;
  let redis: Redis;
  let service: RunningService;
  let dir: string;
  const prefix = testPrefix();
  const TOKEN = 'test-token-episodes-0123456789';

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    service = await startService(readEnv({ DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: TOKEN, UIS_REDIS_PREFIX: prefix }), { port: 0 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-episodes-'));
  });
  afterAll(async () => {
    await service?.close();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the library, HTTP and direct SQL doors: one per conversation that hit the limit, however the events arrive', async () => {
    // Library: the error and the blocked completion in two batches of the same conversation: one episode.
    await trackEvents(db.pool, [message(11, 11, 'cara', 0), outOfCredits(12, 11, 'cara', 1)]);
    expect((await db.pool.query(`SELECT credit_exhaustion_count FROM user_profiles WHERE user_id = 'cara'`)).rows[0].credit_exhaustion_count).toBe(1);
    await trackEvents(db.pool, [blocked(13, 11, 'cara', 2)]);
    // The same events again (a retry): nothing changes.
    await trackEvents(db.pool, [outOfCredits(12, 11, 'cara', 1), blocked(13, 11, 'cara', 2)]);
    expect((await db.pool.query(`SELECT credit_exhaustion_count FROM user_profiles WHERE user_id = 'cara'`)).rows[0].credit_exhaustion_count).toBe(1);

    // HTTP: a second conversation of cara's blocked, and a user who only spends.
    const post = (body: unknown) =>
      fetch(`${service.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
    const res = await post({ events: [message(21, 12, 'cara', 20), blocked(22, 12, 'cara', 21), message(23, 13, 'dan', 20), spend(24, 13, 'dan', 21, 95)] });
    expect(res.status).toBe(202);

    // Direct SQL: the platform INSERTs rows itself; a third conversation for cara, with two errors and the completion.
    const conv = id(1014);
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'cara', '2026-03-10 09:30:00')`, [conv]);
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content, tool_name, success, credits_consumed) VALUES
        ($2, $1, 'cara', '2026-03-10 09:30:00', 'error', '{"error":"insufficient_credits"}', 'video_gen', false, 0),
        ($3, $1, 'cara', '2026-03-10 09:30:05', 'error', '{"error":"insufficient_credits"}', 'image_gen', false, 0),
        ($4, $1, 'cara', '2026-03-10 09:30:09', 'completion', '{"completion_status":"blocked_by_credits"}', NULL, NULL, 0)`,
      [conv, id(31), id(32), id(33)],
    );
    await aggregatesApplied(db.pool); // HTTP and direct SQL: applied by the service's applier after the commit
    const rows = await expectCountsEqualEpisodes(db);
    expect(rows.map((r) => [r.user_id, r.stored])).toEqual([['cara', 3], ['dan', 0]]);

    // The synced snapshot: the seed's column and the engine's episodes agree for every user, with no rebuild.
    const snapshot = openSnapshot(path.join(dir, 'synced.sqlite'));
    try {
      await syncFromPostgres(snapshot, db.url);
      const engine = new AnalyticsEngine(snapshot);
      expect(engine.ranOutUsers().map((r) => [r.userId, r.episodes])).toEqual([['cara', 3]]);
      expect(engine.creditExhaustion().map((r) => [r.userId, r.creditExhaustionCount, r.episodes])).toEqual([['dan', 0, 0]]);
      for (const r of rows) expect(engine.userDetail(r.user_id)!.pmf.creditExhaustionEpisodes, r.user_id).toBe(r.stored);
    } finally {
      snapshot.close();
    }
    // Forgetting a user whose conversation another user hit the limit in: that episode goes with the conversation.
    await trackEvents(db.pool, [message(41, 41, 'eve', 40), message(42, 41, 'fay', 41), outOfCredits(43, 41, 'fay', 42), blocked(44, 41, 'fay', 43)]);
    await trackEvents(db.pool, [message(45, 42, 'fay', 50), blocked(46, 42, 'fay', 51)]);
    expect((await expectCountsEqualEpisodes(db)).find((r) => r.user_id === 'fay')?.stored).toBe(2);
    const { forgetUser } = await import('../../src/main/forget/forget.js');
    await forgetUser(db.pool, 'eve', { requestedBy: 'credit-episodes-test' });
    expect((await expectCountsEqualEpisodes(db)).find((r) => r.user_id === 'fay')?.stored).toBe(1);

    // The shared condition is the one the test's SQL spells out.
    expect(creditExhaustionEventSql({ eventType: 'e.event_type', errorType: "e.content->>'error'", completionStatus: "e.content->>'completion_status'" })).toBe(
      "((e.event_type = 'completion' AND e.content->>'completion_status' = 'blocked_by_credits') OR e.content->>'error' IN ('insufficient_credits'))",
    );
  });
});
