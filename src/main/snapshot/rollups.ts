/**
 * Rollups: what the dashboard reads instead of scanning the per-user-day and per-conversation tables.
 *
 * - `agg_day`, `agg_conversation_day`, `agg_conversation_length`, `agg_tool_calls_day`, `agg_failure_kind_day`: per day, no
 *   user dimension (a few rows a day at any size). They answer any date range without a segment.
 * - `agg_user_cube`: users grouped by signup day, last active day and the facts the activation and retention rules
 *   read (kept from `user_cube`, each user's facts): the user-level metrics of a range up to the latest data.
 * - `user_totals`: one row per user with everything up to the snapshot's latest data, and `user_use_cases`,
 *   `user_failures`, `user_signals`, `user_blockers`: one row per user and use case / failure kind / message signal /
 *   blocker, with the last day seen. They answer any range that
 *   ends on or after the latest day (the default "all time" view and the 7/30/90-day presets), segment or not: a user
 *   was active in [since, latest] exactly when their last day is on or after `since`.
 *
 * Each rollup's SELECT is written once here and used twice: by the writer to build the rollup (after a bulk load, or
 * where it may not match the tables), and by the engine, over the same tables with the segment's condition, wherever a
 * rollup cannot answer. Between builds the writer keeps them current: the per-day ones by adding each write's deltas
 * (apply.ts: the cost of a sync follows what it changed, not the size of a day), the per-user ones by recomputing the
 * users it touched. Both paths add the same integers, so they give the same numbers (tests/unit/rollups.test.ts
 * compares whole dashboards). The per-day rollups are each described once (DAY_ROLLUPS below): rebuild, deltas and a
 * segment's rows are generated from that description.
 */
import type Database from 'better-sqlite3';
import { MESSAGE_SIGNAL_BITS } from '../../shared/metrics.js';

/** Written to meta `rollups` once every rollup matches the tables; anything else sends the engine to the tables. */
// 6: `exhausted` is "ran out" (an episode), no longer also ≥ 90 credits.
export const ROLLUPS_VERSION = '6';

/** Weeks after signup whose activity is tracked (bit k of weeks_mask, k ≤ 52). */
export const TRACKED_WEEKS = 53;
const WEEK_COLUMNS = Array.from({ length: TRACKED_WEEKS }, (_, k) => `w${k}`);
/** The user cube's key: every fact of a user the user-level metrics group by (see USER_FACTS). */
const CUBE_KEY = 'signup_day, signup_week, last_day, exhausted, power, created_any, off';
const CUBE_KEY_DDL = 'signup_day TEXT NOT NULL, signup_week TEXT NOT NULL, last_day TEXT NOT NULL, exhausted INTEGER NOT NULL, power INTEGER NOT NULL, created_any INTEGER NOT NULL, off INTEGER NOT NULL';
/** Per-user 0/1 flags the cube counts (with `users` and the week columns). */
const CUBE_FLAGS = ['day1', 'day7', 'week1', 'first_chat', 'used_tool', 'created'];
const CUBE_SUMS = ['users', ...CUBE_FLAGS, ...WEEK_COLUMNS];

// Re-created whenever the rollups are rebuilt in full (its columns have changed between versions).
const USER_CUBE_DDL = `
-- Every user's facts for the user-level metrics ('' where a day is unknown), and the users grouped by them (the
-- summary, journey, retention and signups of a range up to the latest data sum a few thousand rows, not every user).
CREATE TABLE IF NOT EXISTS user_cube (
  user_id TEXT PRIMARY KEY, ${CUBE_KEY_DDL}, ${CUBE_FLAGS.map((c) => `${c} INTEGER NOT NULL`).join(', ')}, weeks_mask INTEGER NOT NULL,
  creation_ms INTEGER, exhaustion_ms INTEGER  -- time from signup (created_at) to the first creation / the exhaustion
) WITHOUT ROWID;
-- The times-to of a range's signups, read from the index alone.
CREATE INDEX IF NOT EXISTS user_cube_times ON user_cube (signup_day, creation_ms, exhaustion_ms) WHERE creation_ms IS NOT NULL OR exhaustion_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS agg_user_cube (
  ${CUBE_KEY_DDL},
  ${CUBE_SUMS.map((c) => `${c} INTEGER NOT NULL`).join(', ')},
  PRIMARY KEY (${CUBE_KEY})
) WITHOUT ROWID;
`;

export const ROLLUPS_DDL = `
CREATE TABLE IF NOT EXISTS agg_day (
  day TEXT PRIMARY KEY, active_users INTEGER NOT NULL, events INTEGER NOT NULL, messages INTEGER NOT NULL, credits INTEGER NOT NULL
) WITHOUT ROWID;
-- Conversations by the day they started, use case and completion status (either may be NULL).
CREATE TABLE IF NOT EXISTS agg_conversation_day (
  day TEXT NOT NULL, use_case TEXT, completion_status TEXT,
  conversations INTEGER NOT NULL, messages INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL, timed INTEGER NOT NULL  -- sum of last_message_at - started_at, and how many had both
);
CREATE INDEX IF NOT EXISTS agg_conversation_day_day ON agg_conversation_day (day);
CREATE TABLE IF NOT EXISTS agg_conversation_length (day TEXT NOT NULL, message_count INTEGER, conversations INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS agg_conversation_length_day ON agg_conversation_length (day);
CREATE TABLE IF NOT EXISTS agg_tool_calls_day (
  day TEXT NOT NULL, tool_name TEXT NOT NULL, calls INTEGER NOT NULL, failed INTEGER NOT NULL, PRIMARY KEY (day, tool_name)
) WITHOUT ROWID;
-- Failed tool calls by day, tool and error (either may be NULL).
CREATE TABLE IF NOT EXISTS agg_failure_kind_day (day TEXT NOT NULL, tool_name TEXT, error_type TEXT, failures INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS agg_failure_kind_day_day ON agg_failure_kind_day (day);
CREATE TABLE IF NOT EXISTS user_use_cases (user_id TEXT NOT NULL, use_case TEXT, conversations INTEGER NOT NULL, last_day TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS user_use_cases_user ON user_use_cases (user_id);
-- Users per use case read in index order (grouped without a sort, no table row).
CREATE INDEX IF NOT EXISTS user_use_cases_case ON user_use_cases (use_case, last_day, user_id);
CREATE TABLE IF NOT EXISTS user_failures (user_id TEXT NOT NULL, tool_name TEXT, error_type TEXT, failures INTEGER NOT NULL, last_day TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS user_failures_user ON user_failures (user_id);
-- Failure points read in index order (grouped without a sort, no table row).
CREATE INDEX IF NOT EXISTS user_failures_kind ON user_failures (tool_name, error_type, last_day, failures, user_id);
-- Users per conversation blocker, with the last start day of a conversation it blocked.
CREATE TABLE IF NOT EXISTS user_blockers (
  blocker TEXT NOT NULL, user_id TEXT NOT NULL, last_day TEXT NOT NULL, PRIMARY KEY (blocker, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_blockers_user ON user_blockers (user_id);
-- Users whose messages carry a signal (MESSAGE_SIGNAL_BITS), with the last day one did.
CREATE TABLE IF NOT EXISTS user_signals (
  signal INTEGER NOT NULL, user_id TEXT NOT NULL, last_day TEXT NOT NULL, PRIMARY KEY (signal, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_signals_user ON user_signals (user_id);
${USER_CUBE_DDL}
CREATE TABLE IF NOT EXISTS user_totals (
  user_id TEXT PRIMARY KEY,
  -- agg_user_day, offsets from the signup day (see USER_ACTIVITY)
  active_days INTEGER, creations INTEGER, credits INTEGER, messages INTEGER, exhaustion_events INTEGER, last_day TEXT,
  max_offset INTEGER, day1 INTEGER, day7 INTEGER, week1 INTEGER, weeks_mask INTEGER,
  -- conversations (see USER_CONVERSATIONS)
  conversations INTEGER, last_conversation_day TEXT, conversation_days INTEGER, conversation_credits INTEGER,
  created_video INTEGER, completed_any INTEGER
) WITHOUT ROWID;
`;

/** Signup day (users without a recorded signup: their first conversation's day). */
export const SIGNUP_DAY = 'COALESCE(u.signup_day, substr(u.first_conversation_at, 1, 10))';
/** The Monday of the signup week. */
export const SIGNUP_WEEK = `COALESCE(u.signup_week, date(${SIGNUP_DAY}, '-6 days', 'weekday 1'))`;

/**
 * What the activation and retention rules read of a user's activity (user_totals' columns; NULL for no activity):
 * exhausted (ran out: a credit-exhaustion event in a conversation, i.e. ≥ 1 episode; not high usage), power (≥ 5 creations on ≥ 3 days), created_any,
 * and off: the latest day offset after signup reduced to what the rules compare it with (≤ 0, 1, 2–6, ≥ 7 → 0, 1, 2, 7).
 */
export const USER_FACTS = `
  (COALESCE(exhaustion_events, 0) > 0) AS exhausted,
  (COALESCE(creations, 0) >= 5 AND COALESCE(active_days, 0) >= 3) AS power,
  (COALESCE(creations, 0) >= 1) AS created_any,
  CASE WHEN COALESCE(max_offset, -1) <= 0 THEN 0 WHEN max_offset < 2 THEN 1 WHEN max_offset < 7 THEN 2 ELSE 7 END AS off`;

/** Milliseconds from a user's signup (users.created_at) to a time column of theirs (exact: timestamps are whole ms). */
export const msFromSignup = (column: string) => `MAX(0, CAST(ROUND((julianday(${column}) - julianday(created_at)) * 86400000.0) AS INTEGER))`;

/** Days from the signup day to an agg_user_day row's day (a: the row, u: its user). */
export const DAY_OFFSET = `CAST(julianday(a.day) - julianday(${SIGNUP_DAY}) AS INTEGER)`;

/**
 * Per-user activity from agg_user_day rows matching `where` (over alias a). Day offsets are reduced to what the
 * metrics need: the latest offset, day 1 / day 7 / days 7–13 flags, and a bitmask of active weeks since signup
 * (SUM(DISTINCT 2^week) = OR of the bits). Written for the column store too (its connection divides integers as SQLite
 * does; a 64-bit 1 to shift, no scalar MIN). `inStore`: the column store's form, the same columns and values: its
 * agg_user_day rows carry their DAY_OFFSET already (columnar.ts), so no join with users per row, and are grouped by
 * the user's number (uid) as well as the id, the weeks OR-ed by DuckDB's bit_or (a past month's `act` of 55k members
 * at 10M events: 110 ms with the join, ~56 without; see docs/benchmarks.md, ninth pass).
 */
export const userActivity = (where: string, opts: { inStore?: boolean } = {}) => `
  SELECT user_id, COUNT(*) AS active_days, SUM(creations) AS creations, SUM(credits) AS credits, SUM(messages) AS messages,
    SUM(exhaustion_events) AS exhaustion_events, MAX(day) AS last_day, MAX(o) AS max_offset, MAX(o = 1) AS day1, MAX(o = 7) AS day7,
    MAX(o BETWEEN 7 AND 13) AS week1, ${opts.inStore ? 'bit_or(' : 'SUM(DISTINCT '}CASE WHEN o >= 0 THEN CAST(1 AS BIGINT) << CASE WHEN o < 364 THEN o / 7 ELSE 52 END END) AS weeks_mask
  FROM (${
    opts.inStore
      ? `SELECT a.*, a.day_offset AS o FROM agg_user_day a WHERE ${where}`
      : `SELECT a.*, ${DAY_OFFSET} AS o FROM agg_user_day a LEFT JOIN users u ON u.user_id = a.user_id WHERE ${where}`
  })
  GROUP BY ${opts.inStore ? 'uid, user_id' : 'user_id'}`;

/** Per-user conversations (the seed funnel's user_journey, single-session users) from rows matching `where`. */
const userConversations = (where: string) => `
  SELECT user_id, COUNT(*) AS conversations, MAX(start_day) AS last_conversation_day, COUNT(DISTINCT start_day) AS conversation_days,
    SUM(credits_used) AS conversation_credits, MAX(has_video_gen) AS created_video,
    MAX(CASE WHEN completion_status = 'completed' THEN 1 ELSE 0 END) AS completed_any
  FROM conversations WHERE start_day IS NOT NULL AND ${where} GROUP BY user_id`;

/** Conversations per user and use case, with the last start day. */
export const userUseCases = (where: string) => `
  SELECT user_id, use_case, COUNT(*) AS conversations, MAX(start_day) AS last_day
  FROM conversations WHERE start_day IS NOT NULL AND ${where} GROUP BY user_id, use_case`;

/** Users per conversation blocker, with the last start day of a blocked conversation. */
export const userBlockers = (where: string) => `
  SELECT blocker, user_id, MAX(start_day) AS last_day
  FROM conversations WHERE blocker IS NOT NULL AND start_day IS NOT NULL AND ${where} GROUP BY blocker, user_id`;

/** Failed tool calls per user, tool and error, with the last day seen. */
export const userFailures = (where: string) => `
  SELECT user_id, tool_name, error_type, SUM(failures) AS failures, MAX(day) AS last_day
  FROM agg_failure WHERE ${where} GROUP BY user_id, tool_name, error_type`;

/** Users per message signal, with the last day their messages carried it (events matching `where`, alias e). */
export const userSignals = (where: string) => `
  SELECT b.value AS signal, e.user_id, MAX(e.day) AS last_day
  FROM events e JOIN json_each('${JSON.stringify(Object.values(MESSAGE_SIGNAL_BITS))}') b ON (e.flags & b.value) <> 0
  WHERE e.flags <> 0 AND ${where} GROUP BY b.value, e.user_id`;

/** Failed tool calls per day, tool and error. */
export const failureDays = (where: string) => `
  SELECT day, tool_name, error_type, SUM(failures) AS failures FROM agg_failure WHERE ${where} GROUP BY day, tool_name, error_type`;

/** Tool calls and failures per day and tool. */
export const toolDays = (where: string) => `
  SELECT day, tool_name, SUM(calls) AS calls, SUM(failed) AS failed FROM agg_tool_day WHERE ${where} GROUP BY day, tool_name`;

/** Active users and activity per day. */
export const dayActivity = (where: string) => `
  SELECT day, COUNT(*) AS active_users, SUM(events) AS events, SUM(messages) AS messages, SUM(credits) AS credits
  FROM agg_user_day WHERE ${where} GROUP BY day`;

/** Milliseconds between a conversation's start and last message (integers: sums are exact in any order). */
export const DURATION_MS = 'CAST(ROUND((julianday(last_message_at) - julianday(started_at)) * 86400000.0) AS INTEGER)';

// `duration` is each conversation's DURATION_MS: the column the column store keeps it in (columnar.ts), which has no julianday.
export const conversationDays = (where: string, duration = DURATION_MS) => `
  SELECT start_day AS day, use_case, completion_status, COUNT(*) AS conversations, COALESCE(SUM(message_count), 0) AS messages,
    COALESCE(SUM(${duration}), 0) AS duration_ms, COUNT(${duration}) AS timed
  FROM conversations WHERE start_day IS NOT NULL AND ${where} GROUP BY start_day, use_case, completion_status`;

export const conversationLengths = (where: string) => `
  SELECT start_day AS day, message_count, COUNT(*) AS conversations
  FROM conversations WHERE start_day IS NOT NULL AND ${where} GROUP BY start_day, message_count`;

/**
 * Message events matching `where` grouped as agg_intent (day, user_message, tool_name, success, frequency,
 * user_frequency: the users' own messages, role user or none). Valid on the snapshot and on the column store.
 */
export const intentGroups = (where: string) => `
  SELECT day, message AS user_message, tool_name, success, COUNT(*) AS frequency,
    SUM(CASE WHEN COALESCE(role, 'user') = 'user' THEN 1 ELSE 0 END) AS user_frequency
  FROM events WHERE event_type = 'message' AND ${where} GROUP BY day, message, tool_name, success`;

/**
 * Conversations grouped by every key of agg_conversation_day and agg_conversation_length at once: a segment's (or the
 * rest of the users') conversations read once for both.
 */
export const conversationGroups = (where: string) => `
  SELECT start_day AS day, use_case, completion_status, message_count, COUNT(*) AS conversations, COALESCE(SUM(message_count), 0) AS messages,
    COALESCE(SUM(${DURATION_MS}), 0) AS duration_ms, COUNT(${DURATION_MS}) AS timed
  FROM conversations WHERE start_day IS NOT NULL AND ${where} GROUP BY start_day, use_case, completion_status, message_count`;

/** What each conversation matching `where` adds to agg_conversation_day and agg_conversation_length (the writer's deltas). */
export const conversationContributions = (where: string) => `
  SELECT start_day, use_case, completion_status, message_count, ${DURATION_MS} AS duration_ms FROM conversations WHERE ${where}`;

export interface ConversationContribution {
  start_day: string | null;
  use_case: string | null;
  completion_status: string | null;
  message_count: number | null;
  duration_ms: number | null;
}

export type Touched = Set<string> | 'all';

/** The touched ids as a condition on a column: `column IN (temp table)`, or '1' for everything. */
function scope(db: Database.Database, name: string, ids: Touched): (column: string) => string {
  if (ids === 'all') return () => '1';
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${name} (id TEXT PRIMARY KEY); DELETE FROM ${name};`);
  const ins = db.prepare(`INSERT OR IGNORE INTO ${name} (id) VALUES (?)`);
  for (const id of ids) ins.run(id);
  return (column) => `${column} IN (SELECT id FROM temp.${name})`;
}

/**
 * Recomputes the per-user rollup rows of these users from the tables (call inside the writer's transaction, after
 * the users' derived columns are current: user_totals reads their signup day).
 */
export function refreshUserRollups(db: Database.Database, touched: Touched): void {
  if (touched !== 'all' && touched.size === 0) return;
  const users = scope(db, 'rollup_users', touched);
  db.exec(`DELETE FROM user_totals WHERE ${users('user_id')}`);
  // Each user's activity row and conversations row side by side (MAX of a value and NULL is the value). A FULL
  // JOIN of the two grouped subqueries compares every pair: seconds at 10k users.
  const activity = 'active_days, creations, credits, messages, exhaustion_events, last_day, max_offset, day1, day7, week1, weeks_mask';
  const conversations = 'conversations, last_conversation_day, conversation_days, conversation_credits, created_video, completed_any';
  const nulls = (columns: string) => columns.split(', ').map((c) => `NULL AS ${c}`).join(', ');
  const max = (columns: string) => columns.split(', ').map((c) => `MAX(${c})`).join(', ');
  db.exec(`INSERT INTO user_totals (user_id, ${activity}, ${conversations})
    SELECT user_id, ${max(activity)}, ${max(conversations)} FROM (
      SELECT user_id, ${activity}, ${nulls(conversations)} FROM (${userActivity(users('a.user_id'))})
      UNION ALL
      SELECT user_id, ${nulls(activity)}, ${conversations} FROM (${userConversations(users('user_id'))}))
    GROUP BY user_id`);
  db.exec(`DELETE FROM user_use_cases WHERE ${users('user_id')}`);
  db.exec(`INSERT INTO user_use_cases ${userUseCases(users('user_id'))}`);
  db.exec(`DELETE FROM user_failures WHERE ${users('user_id')}`);
  db.exec(`INSERT INTO user_failures ${userFailures(users('user_id'))}`);
  db.exec(`DELETE FROM user_blockers WHERE ${users('user_id')}`);
  db.exec(`INSERT INTO user_blockers ${userBlockers(users('user_id'))}`);
  db.exec(`DELETE FROM user_signals WHERE ${users('user_id')}`);
  db.exec(`INSERT INTO user_signals ${userSignals(users('e.user_id'))}`);
  refreshUserCube(db, touched, users);
}

/**
 * The touched users' cube facts (after user_totals): their old share of agg_user_cube taken out, the facts recomputed
 * from users and user_totals, the new share added. On the latest data, first_* set means "by the end of the range".
 */
function refreshUserCube(db: Database.Database, touched: Touched, users: (column: string) => string): void {
  const share = (sign: 1 | -1) =>
    db.exec(`INSERT INTO agg_user_cube (${CUBE_KEY}, ${CUBE_SUMS.join(', ')})
      SELECT ${CUBE_KEY}, ${sign} * COUNT(*), ${CUBE_FLAGS.map((c) => `${sign} * SUM(${c})`).join(', ')},
        ${WEEK_COLUMNS.map((_, k) => `${sign} * SUM((weeks_mask >> ${k}) & 1)`).join(', ')}
      FROM user_cube WHERE ${users('user_id')} GROUP BY ${CUBE_KEY}
      ON CONFLICT (${CUBE_KEY}) DO UPDATE SET ${CUBE_SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`);
  if (touched === 'all') db.exec(`DROP TABLE IF EXISTS user_cube; DROP TABLE IF EXISTS agg_user_cube; ${USER_CUBE_DDL}`);
  else share(-1);
  db.exec(`DELETE FROM user_cube WHERE ${users('user_id')}`);
  const columns = `user_id, ${CUBE_KEY}, ${CUBE_FLAGS.join(', ')}, weeks_mask, creation_ms, exhaustion_ms`;
  db.exec(`INSERT INTO user_cube (${columns}) SELECT ${columns}
    FROM (SELECT u.user_id, COALESCE(${SIGNUP_DAY}, '') AS signup_day, COALESCE(${SIGNUP_WEEK}, '') AS signup_week, COALESCE(t.last_day, '') AS last_day,
        ${USER_FACTS}, COALESCE(t.day1, 0) AS day1, COALESCE(t.day7, 0) AS day7, COALESCE(t.week1, 0) AS week1,
        u.first_conversation_at IS NOT NULL AS first_chat, u.first_tool_at IS NOT NULL AS used_tool, u.first_creation_at IS NOT NULL AS created,
        COALESCE(t.weeks_mask, 0) AS weeks_mask, ${msFromSignup('u.first_creation_at')} AS creation_ms, ${msFromSignup('u.exhausted_at')} AS exhaustion_ms
      FROM users u LEFT JOIN user_totals t ON t.user_id = u.user_id WHERE ${users('u.user_id')})`);
  share(1);
  db.exec('DELETE FROM agg_user_cube WHERE users = 0');
}

/**
 * A per-day rollup, described once: its table, its key, its additive columns (the first counts what the row is
 * about: a key whose first sum falls to 0 or below is dropped) and the SELECT that groups the tables' rows matching a
 * condition into its rows (key then sums, in this order). From it come the rebuild (rebuildDayRollups), the writer's
 * delta statements (dayRollupDeltas, apply.ts) and a segment's own rows (the engine's planner: the source over the
 * segment's users, or the table minus the rest of the users).
 */
export interface DayRollup {
  table: string;
  key: readonly string[];
  sums: readonly string[];
  source: (where: string) => string;
  /** The key is the table's primary key (an upsert); else keys may be NULL and are matched with IS. */
  unique: boolean;
}

export const DAY_ROLLUPS = {
  day: { table: 'agg_day', key: ['day'], sums: ['active_users', 'events', 'messages', 'credits'], source: dayActivity, unique: true },
  toolCalls: { table: 'agg_tool_calls_day', key: ['day', 'tool_name'], sums: ['calls', 'failed'], source: toolDays, unique: true },
  failureDay: { table: 'agg_failure_kind_day', key: ['day', 'tool_name', 'error_type'], sums: ['failures'], source: failureDays, unique: false },
  conversationDay: {
    table: 'agg_conversation_day',
    key: ['day', 'use_case', 'completion_status'],
    sums: ['conversations', 'messages', 'duration_ms', 'timed'],
    source: conversationDays,
    unique: false,
  },
  conversationLength: { table: 'agg_conversation_length', key: ['day', 'message_count'], sums: ['conversations'], source: conversationLengths, unique: false },
} as const satisfies Record<string, DayRollup>;

export type DayRollupName = keyof typeof DAY_ROLLUPS;

/** Builds the per-day rollups from the tables (after a bulk load, or where they may not match them). */
export function rebuildDayRollups(db: Database.Database): void {
  for (const r of Object.values(DAY_ROLLUPS) as DayRollup[]) {
    db.exec(`DELETE FROM ${r.table}; INSERT INTO ${r.table} (${[...r.key, ...r.sums].join(', ')}) ${r.source('1')}`);
  }
}

/**
 * The writer's statements for one rollup: add a delta (the sums, in order) to a key's row, creating it if missing,
 * and drop the row once its first sum is 0 or below.
 */
export function dayRollupDeltas(db: Database.Database, r: DayRollup): (key: unknown[], delta: number[]) => void {
  const match = r.key.map((k) => `${k} ${r.unique ? '=' : 'IS'} ?`).join(' AND ');
  const prune = db.prepare(`DELETE FROM ${r.table} WHERE ${match} AND ${r.sums[0]} <= 0`);
  const columns = [...r.key, ...r.sums].join(', ');
  const values = [...r.key, ...r.sums].map(() => '?').join(', ');
  if (r.unique) {
    const upsert = db.prepare(`INSERT INTO ${r.table} (${columns}) VALUES (${values})
      ON CONFLICT (${r.key.join(', ')}) DO UPDATE SET ${r.sums.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`);
    return (key, delta) => {
      upsert.run(...key, ...delta);
      if (delta[0] < 0) prune.run(...key);
    };
  }
  // Keys may be NULL: no unique index to upsert on, so update, else insert.
  const update = db.prepare(`UPDATE ${r.table} SET ${r.sums.map((c) => `${c} = ${c} + ?`).join(', ')} WHERE ${match}`);
  const insert = db.prepare(`INSERT INTO ${r.table} (${columns}) VALUES (${values})`);
  return (key, delta) => {
    if (delta.every((x) => x === 0)) return;
    if (update.run(...delta, ...key).changes === 0) insert.run(...key, ...delta);
    if (delta[0] < 0) prune.run(...key);
  };
}
