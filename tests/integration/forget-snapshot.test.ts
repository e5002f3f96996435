import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgetUser } from '../../src/main/forget/forget.js';
import { trackEvents } from '../../src/main/ingest/capture.js';
import { ensureIntelligenceTables } from '../../src/main/intelligence/store.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { syncFromPostgres } from '../../src/main/snapshot/sync.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

// The forget's guarantees around the audit: written with the deletes or not at all; every forget a snapshot missed is
// applied at its next sync; leftovers of older versions are swept when a snapshot is opened.
const conv = (n: number) => `0193a800-0000-7000-8000-${String(n).padStart(12, '0')}`;
const evt = (n: number) => `0193a800-0000-7000-9000-${String(n).padStart(12, '0')}`;
const message = (n: number, user: string, c: number) => ({
  id: evt(n), conversation_id: conv(c), user_id: user, timestamp: `2026-06-0${1 + (n % 5)}T12:00:00Z`, event_type: 'message' as const,
  content: { role: 'user' as const, message: `words of ${user} number ${n}` },
});

describe('forget and the snapshots', () => {
  let db: TestDatabase;
  let dir: string;
  let snapshot: Snapshot;
  const count = (sql: string, ...args: unknown[]) => (snapshot.db.prepare(sql).get(...args) as { n: number }).n;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-forget-snap-'));
    snapshot = openSnapshot(path.join(dir, 'snapshot.sqlite'));
  });
  afterAll(async () => {
    snapshot?.close();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a forget whose audit cannot be written deletes nothing (one transaction)', async () => {
    await trackEvents(db.pool, [message(1, 'gus', 1), message(2, 'gus', 1)]);
    await db.pool.query(`CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$`);
    await db.pool.query('CREATE TRIGGER fail_audit BEFORE INSERT ON uis_forget_audit FOR EACH ROW EXECUTE FUNCTION fail_audit()');
    await expect(forgetUser(db.pool, 'gus', { requestedBy: 'test' })).rejects.toThrow('audit down');
    await db.pool.query('DROP TRIGGER fail_audit ON uis_forget_audit; DROP FUNCTION fail_audit()');
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM conversation_events WHERE user_id = 'gus'`)).rows[0].n).toBe(2);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM user_profiles WHERE user_id = 'gus'`)).rows[0].n).toBe(1);
  });

  it('a snapshot that missed several forgets applies them all at its next sync, Intelligence rows included', async () => {
    await trackEvents(db.pool, [message(10, 'hal', 10), message(11, 'ivy', 11), message(12, 'jon', 12), message(13, 'ivy', 12)]);
    await syncFromPostgres(snapshot, db.url);
    ensureIntelligenceTables(snapshot.db);
    for (const [c, user] of [[10, 'hal'], [11, 'ivy'], [12, 'jon']] as const) {
      snapshot.db
        .prepare(`INSERT INTO ai_conversation_analysis (conversation_id, source, user_id, model, prompt_version, content_hash, status, primary_intent, analyzed_at)
                  VALUES (?, 'llm', ?, 'm', 'v', 'h', 'ok', ?, '2026-06-07')`)
        .run(conv(c), user, `words of ${user}`);
      snapshot.db.prepare(`INSERT INTO ai_sent_log (run_id, purpose, conversation_id, sent_at, payload, redactions) VALUES ('r', 'conversation-analysis', ?, 'now', ?, '{}')`).run(conv(c), `words of ${user}`);
    }
    snapshot.db.prepare(`INSERT INTO ai_intent_members (run_id, event_id, cluster_id) VALUES ('run-with-ivy', ?, 0), ('run-with-ivy', ?, 0)`).run(evt(11), evt(10));
    snapshot.db.prepare(`INSERT INTO ai_intent_clusters (run_id, cluster_id, label, top_terms, messages, users) VALUES ('run-with-ivy', 0, 'words of ivy', '[]', 2, 2)`).run();
    snapshot.db.prepare(`INSERT INTO ai_results (kind, run_id, computed_at, payload) VALUES ('intents', 'run-with-ivy', 'now', '{"examples":["words of ivy"]}')`).run();

    // Two forgets (and one re-run) between syncs; ivy also wrote in jon's conversation.
    await forgetUser(db.pool, 'hal', { requestedBy: 'test' });
    await forgetUser(db.pool, 'ivy', { requestedBy: 'test' });
    await forgetUser(db.pool, 'ivy', { requestedBy: 'test' });
    const r = await syncFromPostgres(snapshot, db.url);
    expect(r.forgotten).toBe(2);
    for (const user of ['hal', 'ivy']) {
      expect(count('SELECT count(*) AS n FROM events WHERE user_id = ?', user)).toBe(0);
      expect(count('SELECT count(*) AS n FROM users WHERE user_id = ?', user)).toBe(0);
      expect(count('SELECT count(*) AS n FROM ai_conversation_analysis WHERE user_id = ?', user)).toBe(0);
      expect(count(`SELECT count(*) AS n FROM ai_sent_log WHERE payload LIKE ?`, `%${user}%`)).toBe(0);
    }
    // jon's conversation came back without ivy's message; its analysis (which read ivy's words) is gone.
    expect(count('SELECT count(*) AS n FROM conversations WHERE id = ?', conv(12))).toBe(1);
    expect(count('SELECT count(*) AS n FROM events WHERE conversation_id = ?', conv(12))).toBe(1);
    expect(count('SELECT count(*) AS n FROM ai_conversation_analysis WHERE conversation_id = ?', conv(12))).toBe(0);
    expect(count(`SELECT count(*) AS n FROM ai_intent_members WHERE run_id = 'run-with-ivy'`)).toBe(0);
    expect(count(`SELECT count(*) AS n FROM ai_intent_clusters WHERE run_id = 'run-with-ivy'`)).toBe(0);
    expect(count(`SELECT count(*) AS n FROM ai_results WHERE run_id = 'run-with-ivy'`)).toBe(0);
    // The WAL was checkpointed and truncated after the forget.
    expect(fs.statSync(path.join(dir, 'snapshot.sqlite-wal')).size).toBe(0);
    expect(snapshot.db.pragma('secure_delete', { simple: true })).toBe(1);
  });

  it('on open, a snapshot sweeps Intelligence rows of conversations and events it no longer has', async () => {
    snapshot.db.prepare(`INSERT INTO ai_conversation_analysis (conversation_id, source, user_id, model, prompt_version, content_hash, status, primary_intent, analyzed_at)
                         VALUES ('gone-conversation', 'local', 'old-user', 'rules', 'v', 'h', 'ok', 'old words', '2026-06-07')`).run();
    snapshot.db.prepare(`INSERT INTO ai_conversation_analysis (conversation_id, source, user_id, model, prompt_version, content_hash, status, primary_intent, analyzed_at)
                         VALUES (?, 'local', 'jon', 'rules', 'v', 'h', 'ok', 'jon words', '2026-06-07')`).run(conv(12));
    snapshot.db.prepare(`INSERT INTO ai_intent_members (run_id, event_id, cluster_id) VALUES ('old-run', 'gone-event', 0)`).run();
    snapshot.db.prepare(`INSERT INTO ai_intent_clusters (run_id, cluster_id, label, top_terms, messages, users) VALUES ('old-run', 0, 'old words', '[]', 1, 1)`).run();
    // As a version without the sweep left it.
    snapshot.db.prepare(`DELETE FROM meta WHERE key = 'forget_sweep'`).run();
    snapshot.close();
    snapshot = openSnapshot(path.join(dir, 'snapshot.sqlite'));
    expect(count(`SELECT count(*) AS n FROM ai_conversation_analysis WHERE conversation_id = 'gone-conversation'`)).toBe(0);
    expect(count(`SELECT count(*) AS n FROM ai_intent_clusters WHERE run_id = 'old-run'`)).toBe(0);
    expect(count('SELECT count(*) AS n FROM ai_conversation_analysis WHERE conversation_id = ?', conv(12))).toBe(1);
  });
});
