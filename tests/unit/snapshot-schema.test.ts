import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToSnapshot } from '../../src/main/demo/sinks.js';
import { SnapshotWriter } from '../../src/main/snapshot/apply.js';
import { SNAPSHOT_SCHEMA_VERSION } from '../../src/main/snapshot/schema.js';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-schema-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const indexes = (db: Database.Database) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'conversations') AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[]);
const event = (n: number) => ({
  id: `e${n}`,
  conversation_id: 'c1',
  user_id: 'u1',
  timestamp: '2026-05-01T10:00:00.000Z',
  event_type: 'message' as const,
  content: { role: 'user', message: `hi ${n}` },
  tool_name: null,
  success: null,
  credits_consumed: 0,
});
/** A snapshot written before version 2: events.id is the table's PRIMARY KEY. */
function openVersion1(file: string, { withEvent }: { withEvent: boolean }) {
  const old = new Database(file);
  old.exec(`CREATE TABLE events (id TEXT PRIMARY KEY, conversation_id TEXT, user_id TEXT NOT NULL, ts TEXT NOT NULL, day TEXT NOT NULL,
    event_type TEXT, role TEXT, message TEXT, tool_name TEXT, success INTEGER, credits INTEGER NOT NULL DEFAULT 0, error_type TEXT,
    completion_status TEXT, params TEXT, result TEXT, flags INTEGER NOT NULL DEFAULT 0, change_seq INTEGER)`);
  if (withEvent) old.prepare(`INSERT INTO events (id, user_id, ts, day, event_type) VALUES ('e1', 'u1', '2026-05-01T10:00:00.000Z', '2026-05-01', 'message')`).run();
  old.close();
  const snapshot = openSnapshot(file);
  snapshot.setMeta('schema_version', '1');
  return snapshot;
}

const conversation = (id: string) => ({
  id, user_id: 'u1', started_at: '2026-05-01T10:00:00.000Z', last_message_at: '2026-05-01T10:00:00.000Z', message_count: 1, credits_used: 0,
  first_intent: 'hi', tools_used: null, completion_status: null,
});

const ALL = ['conversations_blocker', 'conversations_day', 'conversations_id', 'conversations_ran_out', 'conversations_started', 'conversations_user', 'events_conversation', 'events_id', 'events_requests', 'events_user', 'events_user_messages', 'events_user_signals'];

describe('snapshot schema', () => {
  it('a bulk load builds every index once at the end; events stay unique by id afterwards', () => {
    const snapshot = openSnapshot(path.join(dir, 'bulk.sqlite'));
    const writer = new SnapshotWriter(snapshot);
    writer.beginBulkLoad();
    expect(indexes(snapshot.db)).toEqual([]);
    writer.apply({ conversations: [conversation('c1')], events: [event(1), event(2)] });
    writer.finish();
    expect(indexes(snapshot.db)).toEqual(ALL);
    // Applied again (an overlapping re-read): nothing doubles, in rows or in the aggregates.
    writer.apply({ conversations: [{ ...conversation('c1'), message_count: 2 }], events: [event(1), event(2)] });
    writer.finish();
    expect(snapshot.db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(2);
    expect(snapshot.db.prepare('SELECT id, message_count FROM conversations').all()).toEqual([{ id: 'c1', message_count: 2 }]);
    expect(snapshot.db.prepare('SELECT events, messages FROM agg_user_day').get()).toEqual({ events: 2, messages: 2 });
    snapshot.close();
  });

  it('a version 1 snapshot keeps its PRIMARY KEY on events.id (no second index) and still applies idempotently', () => {
    const file = path.join(dir, 'v1.sqlite');
    const snapshot = openVersion1(file, { withEvent: true });
    expect(indexes(snapshot.db)).not.toContain('events_id');
    const writer = new SnapshotWriter(snapshot);
    writer.beginBulkLoad(); // not empty: nothing dropped, still version 1
    expect(snapshot.getMeta('schema_version')).toBe('1');
    writer.apply({ events: [event(2), event(2)] });
    writer.finish();
    expect(snapshot.db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(2);
    snapshot.close();
  });

  it('an empty version 1 table is re-created in the current layout by a bulk load', () => {
    const file = path.join(dir, 'v1-empty.sqlite');
    const snapshot = openVersion1(file, { withEvent: false });
    const writer = new SnapshotWriter(snapshot);
    writer.beginBulkLoad();
    expect(snapshot.getMeta('schema_version')).toBe(String(SNAPSHOT_SCHEMA_VERSION));
    writer.apply({ events: [event(1)] });
    writer.finish();
    expect(snapshot.db.prepare(`SELECT pk FROM pragma_table_info('events') WHERE name = 'id'`).pluck().get()).toBe(0);
    expect(indexes(snapshot.db)).toEqual(ALL);
    snapshot.close();
  });

  it('a version 2 snapshot keeps its PRIMARY KEY on conversations.id (no second index) and still upserts; an empty one is re-created by a bulk load', () => {
    for (const withConversation of [true, false]) {
      const file = path.join(dir, `v2-${withConversation}.sqlite`);
      const old = new Database(file);
      old.exec(`CREATE TABLE conversations (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, started_at TEXT, start_day TEXT, last_message_at TEXT,
        message_count INTEGER, credits_used INTEGER, first_intent TEXT, tools_used TEXT, completion_status TEXT, user_satisfaction_signal INTEGER,
        extracted_use_case TEXT, blocker_reason TEXT, use_case TEXT, blocker TEXT, has_video_gen INTEGER, change_seq INTEGER, ran_out_at TEXT)`);
      if (withConversation) old.prepare(`INSERT INTO conversations (id, user_id, started_at, start_day) VALUES ('c0', 'u1', '2026-05-01T09:00:00.000Z', '2026-05-01')`).run();
      old.close();
      const snapshot = openSnapshot(file);
      const primaryKey = () => snapshot.db.prepare(`SELECT pk FROM pragma_table_info('conversations') WHERE name = 'id'`).pluck().get();
      expect(primaryKey()).toBe(1);
      expect(indexes(snapshot.db)).not.toContain('conversations_id');
      const writer = new SnapshotWriter(snapshot);
      writer.beginBulkLoad(); // no events: a bulk load, which re-creates the conversations only when there are none
      writer.apply({ conversations: [conversation('c1')], events: [event(1)] });
      writer.finish();
      writer.apply({ conversations: [{ ...conversation('c1'), message_count: 2 }] });
      writer.finish();
      expect(primaryKey()).toBe(withConversation ? 1 : 0);
      expect(indexes(snapshot.db).includes('conversations_id')).toBe(!withConversation);
      expect(snapshot.db.prepare(`SELECT id, message_count FROM conversations WHERE id = 'c1'`).all()).toEqual([{ id: 'c1', message_count: 2 }]);
      expect(snapshot.db.prepare('SELECT COUNT(*) FROM conversations').pluck().get()).toBe(withConversation ? 2 : 1);
      snapshot.close();
    }
  });

  it('a snapshot made before episodes were stored gets them on open: ran_out_at, exhausted_at, the users\' intents; the next sync rebuilds its rollups', () => {
    const file = path.join(dir, 'before-episodes.sqlite');
    const snapshot = openSnapshot(file);
    writeDemoToSnapshot(snapshot, generateDemo({ users: 60, days: 21, seed: 5, endDay: '2026-05-21' }));
    const now = () => new Date('2026-05-22T00:00:00Z');
    const pick = (e: AnalyticsEngine) => {
      const d = e.dashboard({});
      return { ranOut: d.summary.ranOut, ranOutUsers: d.ranOutUsers, userIntents: d.userIntents, journey: d.journey, exhaustion: d.usageHealth.timeToCreditExhaustion };
    };
    const before = pick(new AnalyticsEngine(snapshot, {}, now));
    expect(before.ranOutUsers.rows.length).toBeGreaterThan(0);
    // As an older version left it: no ran_out_at, no user_frequency, exhausted_at by the old rule, rollups of version 5.
    snapshot.db.exec(`DROP INDEX conversations_ran_out; ALTER TABLE conversations DROP COLUMN ran_out_at; ALTER TABLE agg_intent DROP COLUMN user_frequency;
      UPDATE users SET exhausted_at = NULL`);
    snapshot.setMeta('rollups', '5');
    snapshot.close();
    const reopened = openSnapshot(file);
    try {
      expect(reopened.getMeta('rollups')).toBe('stale');
      expect(pick(new AnalyticsEngine(reopened, {}, now))).toEqual(before);
      new SnapshotWriter(reopened).finish();
      expect(pick(new AnalyticsEngine(reopened, {}, now))).toEqual(before);
    } finally {
      reopened.close();
    }
  });
});
