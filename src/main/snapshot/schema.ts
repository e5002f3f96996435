/**
 * The SQLite snapshot's tables (documented in docs/metrics.md; the intelligence jobs read them with SQL too).
 * Seed tables are mirrored with the JSON fields the metrics need extracted into columns at sync; agg_* tables are
 * kept current as rows arrive (apply.ts) so the dashboard never scans events.
 */
import type Database from 'better-sqlite3';
import { MESSAGE_SIGNAL_BITS, creditExhaustionEventSql } from '../../shared/metrics.js';
import { ROLLUPS_DDL } from './rollups.js';

/** A user message asking for a feature (a literal: the partial index events_requests applies to queries that say so). */
export const FEATURE_REQUEST = `(flags & ${MESSAGE_SIGNAL_BITS.feature_request}) <> 0`;

// 2: events.id unique through the events_id index instead of the table's PRIMARY KEY (a first sync builds it once at
// the end instead of inserting 10M random ids into a B-tree one by one). Version 1 snapshots keep their PRIMARY KEY.
// 3: the same for conversations.id (conversations_id): 1.43M random ids took 18.8-19.9 s into the PRIMARY KEY, 2.1 s
// into the table plus 1.7-1.8 s for the index built after. Older snapshots keep their PRIMARY KEY until a first sync.
export const SNAPSHOT_SCHEMA_VERSION = 3;

export const SNAPSHOT_DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);

CREATE TABLE IF NOT EXISTS users (
  user_id TEXT PRIMARY KEY,
  email TEXT,
  created_at TEXT,                 -- signup time, UTC ISO 8601
  signup_day TEXT,                 -- YYYY-MM-DD (UTC)
  signup_week TEXT,                -- Monday of the signup week
  total_conversations INTEGER, total_messages INTEGER, total_credits_used INTEGER,
  last_active_at TEXT,
  primary_use_case TEXT, preferred_tools TEXT, average_session_length INTEGER, completion_rate REAL,
  retention_cohort TEXT, activation_status TEXT, credit_exhaustion_count INTEGER,
  preferences TEXT, context_summary TEXT, frequently_used_prompts TEXT,
  -- derived from events at sync (lifetime)
  first_conversation_at TEXT, first_tool_at TEXT, first_creation_at TEXT, exhausted_at TEXT,
  change_seq INTEGER
);

CREATE TABLE IF NOT EXISTS conversations (
  id TEXT NOT NULL,                 -- unique (conversations_id, see ensureSnapshotSchema)
  user_id TEXT NOT NULL,
  started_at TEXT, start_day TEXT, last_message_at TEXT,
  message_count INTEGER, credits_used INTEGER, first_intent TEXT,
  tools_used TEXT,                  -- JSON {tool: calls}
  completion_status TEXT, user_satisfaction_signal INTEGER, extracted_use_case TEXT, blocker_reason TEXT,
  use_case TEXT,                    -- extracted_use_case, else keyword rules on first_intent
  blocker TEXT,                     -- blocker_reason, else derived (see docs/metrics.md)
  has_video_gen INTEGER,            -- tools_used ? 'video_gen' (seed query 1)
  change_seq INTEGER,
  ran_out_at TEXT                   -- a credit-exhaustion episode: its first exhaustion event's ts (NULL: none)
);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user_id, started_at);
CREATE INDEX IF NOT EXISTS conversations_day ON conversations (start_day);
-- Evidence lists (latest conversations first) stop after their first rows instead of sorting every conversation.
CREATE INDEX IF NOT EXISTS conversations_started ON conversations (started_at);
-- Episodes (credit exhaustion) by user, read from the index alone: the ran-out list, a user's count.
CREATE INDEX IF NOT EXISTS conversations_ran_out ON conversations (user_id, ran_out_at) WHERE ran_out_at IS NOT NULL;
-- Blockers read only the blocked conversations (never the table); a blocker's latest conversations are its first entries.
CREATE INDEX IF NOT EXISTS conversations_blocker ON conversations (blocker, started_at, start_day, user_id) WHERE blocker IS NOT NULL;

CREATE TABLE IF NOT EXISTS events (
  id TEXT NOT NULL,                 -- unique (events_id, see ensureSnapshotSchema)
  conversation_id TEXT, user_id TEXT NOT NULL,
  ts TEXT NOT NULL, day TEXT NOT NULL,
  event_type TEXT, role TEXT, message TEXT, tool_name TEXT,
  success INTEGER,                  -- 1, 0 or NULL
  credits INTEGER NOT NULL DEFAULT 0,
  error_type TEXT,                  -- content.error
  completion_status TEXT,           -- content.completion_status
  params TEXT, result TEXT,         -- JSON
  flags INTEGER NOT NULL DEFAULT 0, -- MESSAGE_SIGNAL_BITS of a user message
  change_seq INTEGER
);
CREATE INDEX IF NOT EXISTS events_user ON events (user_id, ts);
CREATE INDEX IF NOT EXISTS events_conversation ON events (conversation_id, ts);
-- Only the few flagged user messages (signals), by user: PMF evidence without scanning events, and a touched user's
-- signals (the per-user rollup user_signals).
CREATE INDEX IF NOT EXISTS events_user_signals ON events (user_id, flags, day) WHERE flags <> 0;
-- Message events by user, read from the index alone: a segment's intent lists (the engine's segmentIntents) read the
-- segment's (or the rest's) messages, not the whole table.
CREATE INDEX IF NOT EXISTS events_user_messages ON events (user_id, day, message, tool_name, success, role) WHERE event_type = 'message';
-- Feature requests grouped by their text, read from the index alone (no sort, no table row).
CREATE INDEX IF NOT EXISTS events_requests ON events (lower(trim(message)), day, user_id, conversation_id, message) WHERE ${FEATURE_REQUEST};

-- One row per user and active day: DAU, retention, per-user state at any end date.
CREATE TABLE IF NOT EXISTS agg_user_day (
  user_id TEXT NOT NULL, day TEXT NOT NULL,
  events INTEGER NOT NULL DEFAULT 0, messages INTEGER NOT NULL DEFAULT 0, tool_calls INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0, credits INTEGER NOT NULL DEFAULT 0, creations INTEGER NOT NULL DEFAULT 0,
  exhaustion_events INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS agg_user_day_day ON agg_user_day (day, user_id);

-- Seed query 2 pre-grouped: k = JSON [day, message, tool_name, success] (exact even for NULLs); user_frequency: the
-- users' own messages (role user or none) of the same key.
CREATE TABLE IF NOT EXISTS agg_intent (
  k TEXT PRIMARY KEY, day TEXT NOT NULL, user_message TEXT, tool_name TEXT, success INTEGER, frequency INTEGER NOT NULL,
  user_frequency INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS agg_intent_day ON agg_intent (day);

-- Seed query 3 pre-grouped per user and day (distinct users over any range): k = JSON [tool, error, user, day].
CREATE TABLE IF NOT EXISTS agg_failure (
  k TEXT PRIMARY KEY, tool_name TEXT, error_type TEXT, user_id TEXT NOT NULL, day TEXT NOT NULL, failures INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agg_failure_day ON agg_failure (day);
-- A user's failures (the per-user rollup user_failures, recomputed for the users a sync touched; a forgotten user).
CREATE INDEX IF NOT EXISTS agg_failure_user ON agg_failure (user_id);

-- Tool calls per tool, user and day: error rate by tool, the tool segment filter.
CREATE TABLE IF NOT EXISTS agg_tool_day (
  tool_name TEXT NOT NULL, day TEXT NOT NULL, user_id TEXT NOT NULL,
  calls INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tool_name, day, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS agg_tool_day_user ON agg_tool_day (user_id, tool_name);

-- The data version (meta data_seq) at which each user's rows last changed: what the column store copies again
-- (columnar.ts). One row per user at most.
CREATE TABLE IF NOT EXISTS columnar_changes (user_id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS columnar_changes_seq ON columnar_changes (seq);
${ROLLUPS_DDL}`;

/** Creates what is missing: tables, and indexes a bulk load dropped or a crash left unbuilt. */
export function ensureSnapshotSchema(db: Database.Database): void {
  // Snapshots made before episodes were stored: the column, its values, and users.exhausted_at (now the first
  // episode) recomputed; the rollups are marked stale so the next sync rebuilds them (the engine reads the tables).
  const conversationsExist = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'conversations'`).get();
  const hasRanOut = db.prepare(`SELECT 1 FROM pragma_table_info('conversations') WHERE name = 'ran_out_at'`).get();
  if (conversationsExist && !hasRanOut) {
    db.transaction(() => {
      db.exec('ALTER TABLE conversations ADD COLUMN ran_out_at TEXT');
      refreshRanOut(db, '1', '1');
      db.exec(`UPDATE users SET exhausted_at = (SELECT MIN(ran_out_at) FROM conversations c WHERE c.user_id = users.user_id)`);
      db.exec(`INSERT INTO meta (key, value) VALUES ('rollups', 'stale') ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    })();
  }
  const intentsExist = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'agg_intent'`).get();
  const hasUserIntents = db.prepare(`SELECT 1 FROM pragma_table_info('agg_intent') WHERE name = 'user_frequency'`).get();
  if (intentsExist && !hasUserIntents) {
    db.transaction(() => {
      db.exec('ALTER TABLE agg_intent ADD COLUMN user_frequency INTEGER NOT NULL DEFAULT 0');
      db.exec(`UPDATE agg_intent SET user_frequency = x.n
        FROM (SELECT day, message, tool_name, success, COUNT(*) AS n FROM events WHERE event_type = 'message' AND COALESCE(role, 'user') = 'user'
              GROUP BY day, message, tool_name, success) x
        WHERE agg_intent.day = x.day AND agg_intent.user_message IS x.message AND agg_intent.tool_name IS x.tool_name AND agg_intent.success IS x.success`);
    })();
  }
  db.exec(SNAPSHOT_DDL);
  // Superseded by events_user_signals (the same rows, by user); older snapshots still have it.
  db.exec('DROP INDEX IF EXISTS events_signals');
  // In older snapshots the id of events (version 1) and of conversations (versions 1-2) is the table's PRIMARY KEY,
  // unique already: a second index would only cost.
  for (const table of ['events', 'conversations']) {
    const legacyKey = db.prepare(`SELECT 1 FROM pragma_table_info('${table}') WHERE name = 'id' AND pk = 1`).get();
    if (!legacyKey) db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS ${table}_id ON ${table} (id)`);
  }
}

/**
 * `NOT INDEXED` when a grouping reads every row (`where` is '1'): SQLite would walk an index in the GROUP BY's order to
 * skip a sort and fetch each row from the table at random, where a scan in the table's order and a sort are 3-10x
 * faster (a first sync's derive phase at 40k users: the ran-out times 10.6 s → 1.1 s, the users' first tool and
 * creation 11.0 → 3.7 s).
 */
export function everyRow(where: string): string {
  return where === '1' ? 'NOT INDEXED' : '';
}

/**
 * conversations.ran_out_at of the conversations matching `where`: the first credit-exhaustion event in it (NULL: not an
 * episode). `eventsWhere` picks their events (through events_conversation; '1' reads the table once, grouped); `firsts`,
 * a table of (conversation_id, at) already grouped from every event (a bulk load's), is read instead.
 */
export function refreshRanOut(db: Database.Database, where: string, eventsWhere: string, firsts?: string): void {
  const exhaustion = creditExhaustionEventSql({ eventType: 'event_type', errorType: 'error_type', completionStatus: 'completion_status' });
  db.exec(`UPDATE conversations SET ran_out_at = NULL WHERE ran_out_at IS NOT NULL AND ${where}`);
  db.exec(`UPDATE conversations SET ran_out_at = x.at
    FROM ${firsts ?? `(SELECT conversation_id, MIN(ts) AS at FROM events ${everyRow(eventsWhere)} WHERE conversation_id IS NOT NULL AND ${exhaustion} AND ${eventsWhere} GROUP BY conversation_id)`} x
    WHERE conversations.id = x.conversation_id`);
}
