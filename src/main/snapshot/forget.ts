import type Database from 'better-sqlite3';
import type { Snapshot } from './snapshot.js';
import { forgetHash } from './audit-hash.js';

/**
 * A forget in a workspace's SQLite snapshot (docs/realtime.md, Forget). The snapshot's own tables go in
 * SnapshotWriter.forgetUsers (snapshot/apply.ts); this module holds what Intelligence derived, the conversations to
 * settle after the pull, and the file itself (secure_delete, WAL).
 */

/** The ids of the snapshot's users whose keyed hash is in `hashes` (the audit names no user, audit-hash.ts). */
export function usersMatchingHashes(db: Database.Database, key: Buffer, hashes: ReadonlySet<string>): string[] {
  if (hashes.size === 0) return [];
  const candidates = db
    .prepare(`SELECT user_id FROM users UNION SELECT DISTINCT user_id FROM conversations UNION SELECT DISTINCT user_id FROM events`)
    .pluck()
    .iterate() as Iterable<string>;
  const found: string[] = [];
  for (const id of candidates) if (hashes.has(forgetHash(key, id))) found.push(id);
  return found;
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}

function tempIds(db: Database.Database, name: string, ids: Iterable<string>): string {
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${name} (id TEXT PRIMARY KEY); DELETE FROM ${name};`);
  const insert = db.prepare(`INSERT OR IGNORE INTO ${name} (id) VALUES (?)`);
  for (const id of ids) insert.run(id);
  return `SELECT id FROM ${name}`;
}

/**
 * Everything Intelligence keeps about these conversations and events (inside the caller's transaction): their
 * analyses, local and LLM (the cached results: primary intent and evidence quote the messages), what was sent for
 * them, and every intent-clustering run that had one of the events as a member: its members, clusters (labels and
 * examples quote messages), the latest view if it is that run's, and its sent log (embedding inputs, naming prompts).
 * Those runs are cleared, not recomputed: the next Intelligence run clusters what is left. Returns rows deleted.
 */
export function forgetInIntelligence(db: Database.Database, scope: { userIds: string[]; conversationIds: Iterable<string>; eventIds: Iterable<string> }): number {
  if (!hasTable(db, 'ai_conversation_analysis')) return 0;
  const conversations = tempIds(db, 'forget_conversations', scope.conversationIds);
  const events = tempIds(db, 'forget_events', scope.eventIds);
  const users = tempIds(db, 'forget_users', scope.userIds);
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS forget_runs (id TEXT PRIMARY KEY); DELETE FROM forget_runs;
    INSERT OR IGNORE INTO forget_runs SELECT DISTINCT run_id FROM ai_intent_members WHERE event_id IN (${events});`);
  let n = 0;
  const run = (sql: string) => (n += db.prepare(sql).run().changes);
  run(`DELETE FROM ai_conversation_analysis WHERE user_id IN (${users}) OR conversation_id IN (${conversations})`);
  run(`DELETE FROM ai_sent_log WHERE conversation_id IN (${conversations}) OR run_id IN (SELECT id FROM forget_runs)`);
  run('DELETE FROM ai_intent_members WHERE run_id IN (SELECT id FROM forget_runs)');
  run('DELETE FROM ai_intent_clusters WHERE run_id IN (SELECT id FROM forget_runs)');
  run('DELETE FROM ai_results WHERE run_id IN (SELECT id FROM forget_runs)');
  return n;
}

/**
 * The conversations a forget removed from the snapshot that may come back in the same sync (PostgreSQL recomputed
 * them without the user: another owner's conversation the user took part in). Kept in the file, so a sync that stops
 * before the end of its pull still settles them next time.
 */
export function rememberForgottenConversations(db: Database.Database, ids: Iterable<string>): void {
  db.exec('CREATE TABLE IF NOT EXISTS forget_pending (conversation_id TEXT PRIMARY KEY)');
  const insert = db.prepare('INSERT OR IGNORE INTO forget_pending (conversation_id) VALUES (?)');
  for (const id of ids) insert.run(id);
}

/** The remembered conversations that did not come back with the pull (they are gone from PostgreSQL); clears the list. */
export function takeForgottenConversations(db: Database.Database): string[] {
  if (!hasTable(db, 'forget_pending')) return [];
  const gone = db
    .prepare('SELECT conversation_id FROM forget_pending WHERE conversation_id NOT IN (SELECT id FROM conversations)')
    .pluck()
    .all() as string[];
  db.exec('DELETE FROM forget_pending');
  return gone;
}

/**
 * Once per snapshot, on open: what Intelligence keeps for conversations or events the snapshot no longer has (a forget
 * applied by a version that left the ai_* tables alone). Returns rows deleted.
 */
export function sweepIntelligenceLeftovers(snapshot: Snapshot): number {
  const db = snapshot.db;
  if (snapshot.getMeta('forget_sweep') === '1') return 0;
  let n = 0;
  db.transaction(() => {
    if (hasTable(db, 'ai_conversation_analysis')) {
      const conversations = db
        .prepare(
          `SELECT conversation_id FROM ai_conversation_analysis WHERE conversation_id NOT IN (SELECT id FROM conversations)
           UNION SELECT conversation_id FROM ai_sent_log WHERE conversation_id IS NOT NULL AND conversation_id NOT IN (SELECT id FROM conversations)`,
        )
        .pluck()
        .all() as string[];
      const events = db
        .prepare('SELECT DISTINCT event_id FROM ai_intent_members m WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = m.event_id)')
        .pluck()
        .all() as string[];
      if (conversations.length || events.length) n = forgetInIntelligence(db, { userIds: [], conversationIds: conversations, eventIds: events });
    }
    snapshot.setMeta('forget_sweep', '1');
  })();
  return n;
}

/**
 * After a forget: freed pages hold no trace. secure_delete (set on every connection, snapshot.ts) zeroes what is
 * deleted from now on; a snapshot written before it was on is vacuumed once (its free space may still hold rows
 * deleted or rewritten earlier). Then the WAL, which holds older page images, is checkpointed into the file and
 * truncated. Returns false when a reader kept the WAL from being truncated (it is, at the next forget or sync).
 */
export function scrubSnapshotFile(snapshot: Snapshot): boolean {
  const db = snapshot.db;
  if (snapshot.file === ':memory:') return true;
  if (snapshot.getMeta('secure_delete') !== '1') {
    db.exec('VACUUM');
    snapshot.setMeta('secure_delete', '1');
  }
  const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  return r?.busy === 0;
}
