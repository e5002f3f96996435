import type { StoredEvent } from '../../shared/event.js';
import { CREATION_TOOLS, classifyUseCase, isCreditExhaustionEvent, messageSignalFlags, weekStart } from '../../shared/metrics.js';
import { forgetInIntelligence, rememberForgottenConversations, takeForgottenConversations } from './forget.js';
import { DAY_ROLLUPS, ROLLUPS_VERSION, conversationContributions, dayRollupDeltas, rebuildDayRollups, refreshUserRollups, type ConversationContribution, type DayRollupName, type Touched } from './rollups.js';
import { SNAPSHOT_DDL, SNAPSHOT_SCHEMA_VERSION, ensureSnapshotSchema, everyRow, refreshRanOut } from './schema.js';
import type { Statement } from 'better-sqlite3';
import type { Snapshot } from './snapshot.js';

/** user_profiles as read from PostgreSQL (TIMESTAMPs as UTC ISO strings). */
export interface ProfileRow {
  user_id: string;
  email: string | null;
  created_at: string | null;
  total_conversations: number | null;
  total_messages: number | null;
  total_credits_used: number | null;
  last_active_at: string | null;
  primary_use_case?: string | null;
  preferred_tools?: unknown;
  average_session_length?: number | null;
  completion_rate?: number | null;
  retention_cohort?: string | null;
  activation_status?: string | null;
  credit_exhaustion_count?: number | null;
  preferences?: unknown;
  context_summary?: string | null;
  frequently_used_prompts?: string[] | null;
  change_seq?: number | null;
}

export interface ConversationRow {
  id: string;
  user_id: string;
  started_at: string | null;
  last_message_at: string | null;
  message_count: number | null;
  credits_used: number | null;
  first_intent: string | null;
  tools_used: Record<string, number> | null;
  completion_status: string | null;
  user_satisfaction_signal?: number | null;
  extracted_use_case?: string | null;
  blocker_reason?: string | null;
  change_seq?: number | null;
}

export type EventRow = StoredEvent & { change_seq?: number | null };

export interface ApplyBatch {
  users?: ProfileRow[];
  conversations?: ConversationRow[];
  events?: EventRow[];
  /** Events as the sync pulls them (see PulledEventRow). */
  pulledEvents?: PulledEventRow[];
}

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
/** content->>'key' as PostgreSQL's ->> would render it. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
const day = (iso: string): string => iso.slice(0, 10);
const creationTools = new Set<string>(CREATION_TOOLS);
/** A successful call of a creation tool (the SQL's `event_type = 'tool_call' AND success = 1 AND tool_name IN CREATION_TOOLS`). */
const isCreation = (e: FlatEvent): boolean => e.event_type === 'tool_call' && e.success === 1 && e.tool_name !== null && creationTools.has(e.tool_name);

interface FlatEvent {
  id: string;
  conversation_id: string | null;
  user_id: string;
  ts: string;
  day: string;
  event_type: string;
  role: string | null;
  message: string | null;
  tool_name: string | null;
  success: number | null;
  credits: number;
  error_type: string | null;
  completion_status: string | null;
  params: string | null;
  result: string | null;
  flags: number;
  change_seq: number | null;
}

/**
 * An event as the sync reads it: the content fields the snapshot keeps are extracted by PostgreSQL (->>, and the
 * params/result JSON as text), so the sync's own thread neither parses nor re-serializes any JSON.
 */
export interface PulledEventRow {
  id: string;
  conversation_id: string;
  user_id: string;
  timestamp: string;
  event_type: string;
  tool_name: string | null;
  success: boolean | null;
  credits_consumed: number | null;
  change_seq: number | null;
  role: string | null;
  message: string | null;
  error_type: string | null;
  completion_status: string | null;
  params: string | null;
  result: string | null;
}

export function flattenEvent(e: EventRow): FlatEvent {
  const c = e.content ?? {};
  const fields = { role: text(c.role), message: text(c.message), error_type: text(c.error), completion_status: text(c.completion_status), params: json(c.params), result: json(c.result) };
  return flatEvent(e, new Date(e.timestamp).toISOString(), fields);
}

/** A pulled row carries the content fields already, and its timestamp is UTC ISO 8601 (timestampToIso). */
export function flattenPulledEvent(e: PulledEventRow): FlatEvent {
  return flatEvent(e, e.timestamp, e);
}

type ContentFields = Pick<PulledEventRow, 'role' | 'message' | 'error_type' | 'completion_status' | 'params' | 'result'>;

function flatEvent(
  e: Pick<PulledEventRow, 'id' | 'conversation_id' | 'user_id' | 'event_type' | 'tool_name' | 'success' | 'credits_consumed'> & { change_seq?: number | null },
  ts: string,
  { role, message, error_type, completion_status, params, result }: ContentFields,
): FlatEvent {
  return {
    id: e.id,
    conversation_id: e.conversation_id,
    user_id: e.user_id,
    ts,
    day: day(ts),
    event_type: e.event_type,
    role,
    message,
    tool_name: e.tool_name,
    success: e.success === null || e.success === undefined ? null : e.success ? 1 : 0,
    credits: e.credits_consumed ?? 0,
    error_type,
    completion_status,
    params,
    result,
    // Signals are read from what users write, not from assistant replies.
    flags: e.event_type === 'message' && (role ?? 'user') === 'user' ? messageSignalFlags(message) : 0,
    change_seq: e.change_seq ?? null,
  };
}

type Counter = Map<string, { cols: unknown[]; n: number[] }>;
/** The counts of `key`, created at zero on first use (cols only built then: this runs for every event synced). */
function counts(map: Counter, key: string, cols: () => unknown[], width: number): number[] {
  let cur = map.get(key);
  if (!cur) map.set(key, (cur = { cols: cols(), n: new Array<number>(width).fill(0) }));
  return cur.n;
}

/** Aggregate deltas of a batch, flushed once per batch (far fewer upserts than events). */
class Deltas {
  userDay: Counter = new Map();
  intent: Counter = new Map();
  failure: Counter = new Map();
  toolDay: Counter = new Map();
  // The per-day rollups (rollups.ts DAY_ROLLUPS, by name), where they are kept by deltas (not while they are to be
  // rebuilt): cols are the rollup's key, n its sums.
  day: Counter = new Map();
  toolCalls: Counter = new Map();
  failureDay: Counter = new Map();
  conversationDay: Counter = new Map();
  conversationLength: Counter = new Map();

  constructor(readonly rollups: boolean) {}

  addConversation(c: ConversationContribution | undefined, sign: 1 | -1): void {
    if (!this.rollups || !c?.start_day) return;
    const cols = [c.start_day, c.use_case, c.completion_status];
    const d = counts(this.conversationDay, JSON.stringify(cols), () => cols, 4);
    d[0] += sign;
    d[1] += (c.message_count ?? 0) * sign;
    d[2] += (c.duration_ms ?? 0) * sign;
    d[3] += (c.duration_ms === null ? 0 : 1) * sign;
    const length = [c.start_day, c.message_count];
    counts(this.conversationLength, JSON.stringify(length), () => length, 1)[0] += sign;
  }

  add(e: FlatEvent, sign: 1 | -1): void {
    const isMessage = e.event_type === 'message' ? 1 : 0;
    const isTool = e.event_type === 'tool_call' ? 1 : 0;
    const failed = e.success === 0 ? 1 : 0;
    const creation = isCreation(e) ? 1 : 0;
    // Counted per conversation (an episode) by refreshDerived; here only whether the user's day had one.
    const exhaustion = e.conversation_id !== null && isCreditExhaustionEvent(e.event_type, e.error_type, e.completion_status) ? 1 : 0;
    const u = counts(this.userDay, `${e.user_id}\u0000${e.day}`, () => [e.user_id, e.day], 7);
    u[0] += sign;
    u[1] += isMessage * sign;
    u[2] += isTool * sign;
    u[3] += failed * sign;
    u[4] += e.credits * sign;
    u[5] += creation * sign;
    u[6] += exhaustion * sign;
    if (isMessage) {
      const cols = [e.day, e.message, e.tool_name, e.success];
      const n = counts(this.intent, JSON.stringify(cols), () => cols, 2);
      n[0] += sign;
      // The users' own messages (role user or none), as the message signals read them.
      if ((e.role ?? 'user') === 'user') n[1] += sign;
    }
    if (failed) {
      const cols = [e.tool_name, e.error_type, e.user_id, e.day];
      counts(this.failure, JSON.stringify(cols), () => cols, 1)[0] += sign;
    }
    if (isTool && e.tool_name !== null) {
      const t = counts(this.toolDay, `${e.tool_name}\u0000${e.day}\u0000${e.user_id}`, () => [e.tool_name, e.day, e.user_id], 2);
      t[0] += sign;
      t[1] += failed * sign;
    }
    if (!this.rollups) return;
    const d = counts(this.day, e.day, () => [e.day], 4); // [active users (see flush), events, messages, credits]
    d[1] += sign;
    d[2] += isMessage * sign;
    d[3] += e.credits * sign;
    if (isTool && e.tool_name !== null) {
      const t = counts(this.toolCalls, `${e.day}\u0000${e.tool_name}`, () => [e.day, e.tool_name], 2);
      t[0] += sign;
      t[1] += failed * sign;
    }
    if (failed) {
      const cols = [e.day, e.tool_name, e.error_type];
      counts(this.failureDay, JSON.stringify(cols), () => cols, 1)[0] += sign;
    }
  }
}

/**
 * During a bulk load every event of the table passes through the writer once, so what refreshDerived would otherwise
 * group from the whole table at the end is kept as the events go by: each user's first tool call and first creation,
 * and each conversation's first credit-exhaustion event (its ran_out_at). The same conditions as refreshDerived's and
 * refreshRanOut's SQL; ISO times compare as text in both.
 */
class LoadedFirsts {
  /** user_id → [first tool call, first creation]. */
  readonly users = new Map<string, [string | null, string | null]>();
  /** conversation_id → its first credit-exhaustion event's time. */
  readonly ranOut = new Map<string, string>();

  add(e: FlatEvent): void {
    if (e.event_type === 'tool_call') {
      let firsts = this.users.get(e.user_id);
      if (!firsts) this.users.set(e.user_id, (firsts = [null, null]));
      if (firsts[0] === null || e.ts < firsts[0]) firsts[0] = e.ts;
      if (isCreation(e) && (firsts[1] === null || e.ts < firsts[1])) firsts[1] = e.ts;
    }
    if (e.conversation_id !== null && isCreditExhaustionEvent(e.event_type, e.error_type, e.completion_status)) {
      const at = this.ranOut.get(e.conversation_id);
      if (at === undefined || e.ts < at) this.ranOut.set(e.conversation_id, e.ts);
    }
  }
}

/**
 * Whether `touched` holds more than a fifth of the table's rows, counting at most five times as many rows as it holds:
 * a COUNT(*) of the 1.43M conversations took 70-104 ms of every 10k-event sync at 10M events.
 */
function overAFifth(db: Snapshot['db'], table: 'users' | 'conversations', touched: Set<string>): boolean {
  if (touched.size === 0) return false;
  const bound = touched.size * 5;
  return (db.prepare(`SELECT COUNT(*) FROM (SELECT 1 FROM ${table} LIMIT ?)`).pluck().get(bound) as number) < bound;
}

/** A conversation's row: a bulk load's plain insert, and the head of the writer's upsert (upsertConversation). */
const INSERT_CONVERSATION = `INSERT INTO conversations (id, user_id, started_at, start_day, last_message_at, message_count, credits_used,
    first_intent, tools_used, completion_status, user_satisfaction_signal, extracted_use_case, blocker_reason, use_case, has_video_gen, change_seq)
  VALUES (@id, @user_id, @started_at, @start_day, @last_message_at, @message_count, @credits_used, @first_intent, @tools_used,
    @completion_status, @user_satisfaction_signal, @extracted_use_case, @blocker_reason, @use_case, @has_video_gen, @change_seq)`;

// Positional parameters: binding 17 named ones costs a property lookup each, and took as long as the insert itself
// (200k events: 1.6–2.2 s named, 1.0 s positional).
const INSERT_EVENT = `INSERT INTO events (id, conversation_id, user_id, ts, day, event_type, role, message, tool_name, success, credits,
    error_type, completion_status, params, result, flags, change_seq) VALUES (${new Array(17).fill('?').join(', ')})`;
const insertEvent = (statement: Statement, e: FlatEvent) =>
  statement.run(e.id, e.conversation_id, e.user_id, e.ts, e.day, e.event_type, e.role, e.message, e.tool_name, e.success, e.credits,
    e.error_type, e.completion_status, e.params, e.result, e.flags, e.change_seq);

/** Applies rows pulled from PostgreSQL (or generated by the demo) to the snapshot. Idempotent: re-applying a row changes nothing. */
export class SnapshotWriter {
  private readonly s;

  constructor(readonly snapshot: Snapshot) {
    const db = snapshot.db;
    this.s = {
      upsertUser: db.prepare(`INSERT INTO users (user_id, email, created_at, signup_day, signup_week, total_conversations, total_messages,
          total_credits_used, last_active_at, primary_use_case, preferred_tools, average_session_length, completion_rate, retention_cohort,
          activation_status, credit_exhaustion_count, preferences, context_summary, frequently_used_prompts, change_seq)
        VALUES (@user_id, @email, @created_at, @signup_day, @signup_week, @total_conversations, @total_messages, @total_credits_used,
          @last_active_at, @primary_use_case, @preferred_tools, @average_session_length, @completion_rate, @retention_cohort,
          @activation_status, @credit_exhaustion_count, @preferences, @context_summary, @frequently_used_prompts, @change_seq)
        ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, created_at = excluded.created_at, signup_day = excluded.signup_day,
          signup_week = excluded.signup_week, total_conversations = excluded.total_conversations, total_messages = excluded.total_messages,
          total_credits_used = excluded.total_credits_used, last_active_at = excluded.last_active_at, primary_use_case = excluded.primary_use_case,
          preferred_tools = excluded.preferred_tools, average_session_length = excluded.average_session_length,
          completion_rate = excluded.completion_rate, retention_cohort = excluded.retention_cohort, activation_status = excluded.activation_status,
          credit_exhaustion_count = excluded.credit_exhaustion_count, preferences = excluded.preferences,
          context_summary = excluded.context_summary, frequently_used_prompts = excluded.frequently_used_prompts, change_seq = excluded.change_seq`),
      upsertConversation: db.prepare(`${INSERT_CONVERSATION}
        ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, started_at = excluded.started_at, start_day = excluded.start_day,
          last_message_at = excluded.last_message_at, message_count = excluded.message_count, credits_used = excluded.credits_used,
          first_intent = excluded.first_intent, tools_used = excluded.tools_used, completion_status = excluded.completion_status,
          user_satisfaction_signal = excluded.user_satisfaction_signal, extracted_use_case = excluded.extracted_use_case,
          blocker_reason = excluded.blocker_reason, use_case = excluded.use_case, has_video_gen = excluded.has_video_gen, change_seq = excluded.change_seq`),
      insertEvent: db.prepare(`${INSERT_EVENT} ON CONFLICT (id) DO NOTHING`),
      getEvent: db.prepare('SELECT * FROM events WHERE id = ?'),
      replaceEvent: db.prepare(`UPDATE events SET conversation_id = @conversation_id, user_id = @user_id, ts = @ts, day = @day, event_type = @event_type,
          role = @role, message = @message, tool_name = @tool_name, success = @success, credits = @credits, error_type = @error_type,
          completion_status = @completion_status, params = @params, result = @result, flags = @flags, change_seq = @change_seq WHERE id = @id`),
      userDay: db.prepare(`INSERT INTO agg_user_day (user_id, day, events, messages, tool_calls, failures, credits, creations, exhaustion_events)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, day) DO UPDATE SET events = events + excluded.events,
          messages = messages + excluded.messages, tool_calls = tool_calls + excluded.tool_calls, failures = failures + excluded.failures,
          credits = credits + excluded.credits, creations = creations + excluded.creations, exhaustion_events = exhaustion_events + excluded.exhaustion_events`),
      userDayPrune: db.prepare('DELETE FROM agg_user_day WHERE user_id = ? AND day = ? AND events <= 0'),
      intent: db.prepare(`INSERT INTO agg_intent (k, day, user_message, tool_name, success, frequency, user_frequency) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (k) DO UPDATE SET frequency = frequency + excluded.frequency, user_frequency = user_frequency + excluded.user_frequency`),
      intentPrune: db.prepare('DELETE FROM agg_intent WHERE k = ? AND frequency <= 0'),
      failure: db.prepare(`INSERT INTO agg_failure (k, tool_name, error_type, user_id, day, failures) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (k) DO UPDATE SET failures = failures + excluded.failures`),
      failurePrune: db.prepare('DELETE FROM agg_failure WHERE k = ? AND failures <= 0'),
      toolDay: db.prepare(`INSERT INTO agg_tool_day (tool_name, day, user_id, calls, failed) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (tool_name, day, user_id) DO UPDATE SET calls = calls + excluded.calls, failed = failed + excluded.failed`),
      toolDayPrune: db.prepare('DELETE FROM agg_tool_day WHERE tool_name = ? AND day = ? AND user_id = ? AND calls <= 0'),
      userDayExists: db.prepare('SELECT 1 FROM agg_user_day WHERE user_id = ? AND day = ?').pluck(),
      conversation: db.prepare(conversationContributions('id = ?')),
      rollupsStale: db.prepare(`INSERT INTO meta (key, value) VALUES ('rollups', 'stale') ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
    };
    this.rollupDeltas = Object.fromEntries(Object.entries(DAY_ROLLUPS).map(([name, r]) => [name, dayRollupDeltas(db, r)])) as Record<DayRollupName, (key: unknown[], delta: number[]) => void>;
    // Rollups left stale by a writer that stopped before finish() (its touched rows are unknown): rebuilt in full.
    this.rebuildRollups = snapshot.getMeta('rollups') !== ROLLUPS_VERSION;
  }

  private readonly rollupDeltas: Record<DayRollupName, (key: unknown[], delta: number[]) => void>;
  private readonly touchedUsers = new Set<string>();
  private readonly touchedConversations = new Set<string>();
  /** The rollups are built from the tables at finish() (and not kept by deltas until then). */
  private rebuildRollups: boolean;

  /**
   * Until finish() refreshes them, the rollups do not match the tables: the engine reads the tables. Written in every
   * write transaction (one row), so a transaction that rolls back cannot take the mark with it.
   */
  private markRollupsStale(): void {
    this.s.rollupsStale.run();
  }

  /**
   * Applies one batch in one SQLite transaction. Derived columns of the touched rows are refreshed by
   * finish() (once per sync, not per page: a page touches thousands of users).
   */
  apply(batch: ApplyBatch): void {
    const touchedUsers = this.touchedUsers;
    const touchedConversations = this.touchedConversations;
    this.snapshot.db.transaction(() => {
      this.markRollupsStale();
      const deltas = new Deltas(!this.rebuildRollups);
      for (const u of batch.users ?? []) {
        const created = u.created_at ? new Date(u.created_at).toISOString() : null;
        this.s.upsertUser.run({
          user_id: u.user_id,
          email: u.email ?? null,
          created_at: created,
          signup_day: created ? day(created) : null,
          signup_week: created ? weekStart(created) : null,
          total_conversations: u.total_conversations ?? 0,
          total_messages: u.total_messages ?? 0,
          total_credits_used: u.total_credits_used ?? 0,
          last_active_at: u.last_active_at ?? null,
          primary_use_case: u.primary_use_case ?? null,
          preferred_tools: json(u.preferred_tools),
          average_session_length: u.average_session_length ?? null,
          completion_rate: u.completion_rate ?? null,
          retention_cohort: u.retention_cohort ?? null,
          activation_status: u.activation_status ?? null,
          credit_exhaustion_count: u.credit_exhaustion_count ?? null,
          preferences: json(u.preferences),
          context_summary: u.context_summary ?? null,
          frequently_used_prompts: json(u.frequently_used_prompts),
          change_seq: u.change_seq ?? null,
        });
        touchedUsers.add(u.user_id);
      }
      for (const c of batch.conversations ?? []) {
        const started = c.started_at ? new Date(c.started_at).toISOString() : null;
        if (deltas.rollups) deltas.addConversation(this.s.conversation.get(c.id) as ConversationContribution | undefined, -1);
        (this.bulkInsertConversation ?? this.s.upsertConversation).run({
          id: c.id,
          user_id: c.user_id,
          started_at: started,
          start_day: started ? day(started) : null,
          last_message_at: c.last_message_at ?? null,
          message_count: c.message_count ?? 0,
          credits_used: c.credits_used ?? 0,
          first_intent: c.first_intent ?? null,
          tools_used: json(c.tools_used),
          completion_status: c.completion_status ?? null,
          user_satisfaction_signal: c.user_satisfaction_signal ?? null,
          extracted_use_case: c.extracted_use_case ?? null,
          blocker_reason: c.blocker_reason ?? null,
          use_case: c.extracted_use_case ?? classifyUseCase(c.first_intent),
          has_video_gen: c.tools_used && Object.prototype.hasOwnProperty.call(c.tools_used, 'video_gen') ? 1 : 0,
          change_seq: c.change_seq ?? null,
        });
        if (deltas.rollups) deltas.addConversation(this.s.conversation.get(c.id) as ConversationContribution, 1);
        touchedUsers.add(c.user_id);
        touchedConversations.add(c.id);
      }
      const insert = this.bulkInsertEvent ?? this.s.insertEvent;
      const flat = (batch.events ?? []).map(flattenEvent).concat((batch.pulledEvents ?? []).map(flattenPulledEvent));
      for (const e of flat) {
        this.loaded?.add(e);
        if (insertEvent(insert, e).changes === 0) {
          // Seen before (overlap re-read, or an UPDATE in PostgreSQL): replace it only if it changed.
          const old = this.s.getEvent.get(e.id) as FlatEvent;
          if (sameEvent(old, e)) continue;
          deltas.add(old, -1);
          this.s.replaceEvent.run(e);
          touchedUsers.add(old.user_id);
          if (old.conversation_id) touchedConversations.add(old.conversation_id);
        }
        deltas.add(e, 1);
        touchedUsers.add(e.user_id);
        if (e.conversation_id) touchedConversations.add(e.conversation_id);
      }
      this.flush(deltas);
    })();
  }

  /** Set during a bulk load: a plain INSERT (no unique index to check yet). */
  private bulkInsertEvent: Statement | null = null;
  /** Set during a bulk load: the loaded events' firsts, which finish() then does not group from the table. */
  private loaded: LoadedFirsts | null = null;
  /** The same for conversations, when the load found none either (a first sync: each conversation comes once). */
  private bulkInsertConversation: Statement | null = null;

  /**
   * Into an empty snapshot (first sync, demo), rows load faster without the indexes of `events` and `conversations`,
   * the unique one on the events' id included (random ids inserted one by one into a B-tree: 481k events took 11.3 s,
   * against 6.0 s plus 0.8 s to build the index at the end). finish() builds them once at the end, and Snapshot
   * re-creates any missing index on open, should the process die first. The ids of one pull are unique already
   * (PostgreSQL's primary key, read from one consistent snapshot; the demo's generator).
   */
  beginBulkLoad(): void {
    const db = this.snapshot.db;
    const empty = !db.prepare('SELECT 1 FROM events LIMIT 1').get();
    if (!empty) return;
    // Re-created in the current layout: an older snapshot's table checked its PRIMARY KEY on every insert.
    db.exec('DROP TABLE events');
    const noConversations = !db.prepare('SELECT 1 FROM conversations LIMIT 1').get();
    if (noConversations) db.exec('DROP TABLE conversations');
    db.exec(SNAPSHOT_DDL);
    // Every index the schema declares on the two tables (sql is NULL only for SQLite's own automatic indexes), but the
    // conversations' unique id while conversations already there are upserted.
    const indexes = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'conversations') AND sql IS NOT NULL`)
      .pluck()
      .all() as string[];
    for (const name of indexes) if (noConversations || name !== 'conversations_id') db.exec(`DROP INDEX "${name}"`);
    this.bulkInsertEvent = db.prepare(INSERT_EVENT);
    this.loaded = new LoadedFirsts();
    if (noConversations) this.bulkInsertConversation = db.prepare(INSERT_CONVERSATION);
    this.rebuildRollups = true; // once at the end, from the loaded tables
    this.snapshot.setMeta('schema_version', String(SNAPSHOT_SCHEMA_VERSION));
  }

  /** Refreshes the derived columns of everything applied since the last call. */
  finish(): void {
    const db = this.snapshot.db;
    // A forget during the load deleted rows the firsts counted: the table is grouped instead.
    const loaded = this.forgot ? null : this.loaded;
    if (this.bulkInsertEvent) {
      this.bulkInsertEvent = null;
      this.bulkInsertConversation = null;
      this.loaded = null;
      ensureSnapshotSchema(db);
    }
    // Past a fifth of all users (conversations), one pass over everything beats thousands of per-user lookups.
    const users = overAFifth(db, 'users', this.touchedUsers) ? 'all' : this.touchedUsers;
    const conversations = overAFifth(db, 'conversations', this.touchedConversations) ? 'all' : this.touchedConversations;
    db.transaction(() => {
      this.refreshDerived(users, conversations, loaded);
      if (this.rebuildRollups) rebuildDayRollups(db);
      refreshUserRollups(db, this.rebuildRollups ? 'all' : users);
      this.recordChanges(this.rebuildRollups ? 'all' : users);
      this.snapshot.setMeta('rollups', ROLLUPS_VERSION);
    })();
    this.rebuildRollups = false;
    this.touchedUsers.clear();
    this.touchedConversations.clear();
    this.forgot = false;
  }

  /** A forget happened since the last finish(): the column store is rebuilt, not updated (columnar.ts). */
  private forgot = false;

  /**
   * A new data version for the column store (columnar.ts): meta data_seq moves on, and the users whose rows changed
   * are stamped with it (columnar_changes), or, for a rewrite of everything or a forget, columnar_full_seq is (the
   * store is rebuilt in full: no forgotten user's row stays in its file). A forgotten user leaves columnar_changes.
   */
  private recordChanges(users: Touched): void {
    const seq = Number(this.snapshot.getMeta('data_seq') ?? 0) + 1;
    this.snapshot.setMeta('data_seq', String(seq));
    if (users === 'all' || this.forgot) {
      this.snapshot.setMeta('columnar_full_seq', String(seq));
      this.snapshot.db.exec('DELETE FROM columnar_changes WHERE user_id NOT IN (SELECT user_id FROM users)');
      if (users === 'all') return;
    }
    const stamp = this.snapshot.db.prepare('INSERT INTO columnar_changes (user_id, seq) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET seq = excluded.seq');
    const exists = this.snapshot.db.prepare('SELECT 1 FROM users WHERE user_id = ?').pluck();
    for (const id of users) if (!this.forgot || exists.get(id)) stamp.run(id, seq);
  }

  private flush(d: Deltas): void {
    for (const { cols, n } of d.userDay.values()) {
      const existed = d.rollups && this.s.userDayExists.get(...cols) ? 1 : 0;
      this.s.userDay.run(...cols, ...n);
      const pruned = n[0] < 0 && this.s.userDayPrune.run(...cols).changes > 0;
      // A day's active users: its agg_user_day rows, counted as they appear and go.
      if (d.rollups) counts(d.day, cols[1] as string, () => [cols[1]], 4)[0] += (pruned ? 0 : 1) - existed;
    }
    for (const name of Object.keys(DAY_ROLLUPS) as DayRollupName[]) {
      const add = this.rollupDeltas[name];
      for (const { cols, n } of d[name].values()) add(cols, n);
    }
    for (const [k, { cols, n }] of d.intent) {
      if (n[0] === 0 && n[1] === 0) continue;
      this.s.intent.run(k, ...cols, n[0], n[1]);
      if (n[0] < 0) this.s.intentPrune.run(k);
    }
    for (const [k, { cols, n }] of d.failure) {
      if (n[0] === 0) continue;
      this.s.failure.run(k, ...cols, n[0]);
      if (n[0] < 0) this.s.failurePrune.run(k);
    }
    for (const { cols, n } of d.toolDay.values()) {
      this.s.toolDay.run(...cols, ...n);
      if (n[0] < 0) this.s.toolDayPrune.run(...cols);
    }
  }

  /** Derived per-conversation and per-user columns (blocker, first_* times, exhausted_at) for the rows a batch touched. */
  refreshDerived(users: Set<string> | 'all', conversations: Set<string> | 'all', loaded: LoadedFirsts | null = null): void {
    const db = this.snapshot.db;
    // Every event's firsts, kept by a bulk load (LoadedFirsts), as a temp table in place of a grouping of the events.
    const loadedTable = (name: string, columns: string[], rows: Iterable<unknown[]>) => {
      db.exec(`DROP TABLE IF EXISTS temp.${name}; CREATE TEMP TABLE ${name} (${columns[0]} TEXT PRIMARY KEY, ${columns.slice(1).join(', ')}) WITHOUT ROWID`);
      const ins = db.prepare(`INSERT INTO temp.${name} VALUES (${columns.map(() => '?').join(', ')})`);
      for (const row of rows) ins.run(...row);
      return `temp.${name}`;
    };
    const scope = (name: string, ids: Set<string> | 'all', column: string) => {
      if (ids === 'all') return '1';
      db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${name} (id TEXT PRIMARY KEY); DELETE FROM ${name};`);
      const ins = db.prepare(`INSERT OR IGNORE INTO ${name} (id) VALUES (?)`);
      for (const id of ids) ins.run(id);
      return `${column} IN (SELECT id FROM ${name})`;
    };
    if (conversations === 'all' || conversations.size > 0) {
      const where = scope('touched_conversations', conversations, 'id');
      // A blocked conversation's blocker: blocker_reason when set; else running out of credits, or the last error seen.
      db.exec(`UPDATE conversations SET blocker = COALESCE(blocker_reason,
          CASE WHEN completion_status = 'blocked_by_credits' THEN 'insufficient_credits'
               WHEN completion_status = 'abandoned' THEN (SELECT e.error_type FROM events e WHERE e.conversation_id = conversations.id
                 AND e.error_type IS NOT NULL ORDER BY e.ts DESC, e.id DESC LIMIT 1) END)
        WHERE ${where}`);
      const eventsWhere = conversations === 'all' ? '1' : 'conversation_id IN (SELECT id FROM touched_conversations)';
      const firsts = conversations === 'all' && loaded ? loadedTable('loaded_ran_out', ['conversation_id', 'at'], loaded.ranOut) : undefined;
      refreshRanOut(db, where, eventsWhere, firsts);
    }
    if (users === 'all' || users.size > 0) {
      const where = scope('touched_users', users, 'user_id');
      const creation = CREATION_TOOLS.map((t) => `'${t}'`).join(', ');
      const eventFirsts =
        users === 'all' && loaded
          ? `SELECT user_id, NULL, first_tool_at, first_creation_at, NULL
             FROM ${loadedTable('loaded_firsts', ['user_id', 'first_tool_at', 'first_creation_at'], [...loaded.users].map(([u, f]) => [u, ...f]))}`
          : `SELECT user_id, NULL, MIN(CASE WHEN event_type = 'tool_call' THEN ts END),
               MIN(CASE WHEN event_type = 'tool_call' AND success = 1 AND tool_name IN (${creation}) THEN ts END), NULL
             FROM events ${everyRow(where)} WHERE ${where} GROUP BY user_id`;
      // Grouped passes over the touched users' rows (one per table), not correlated lookups per user: the users'
      // events would be read several times through events_user and the table (481k events: 1.6 s → 0.5 s).
      // exhausted_at: when the user first ran out (their first episode's first exhaustion event).
      db.exec(`CREATE TEMP TABLE IF NOT EXISTS derived_users (user_id TEXT PRIMARY KEY, first_conversation_at TEXT, first_tool_at TEXT,
          first_creation_at TEXT, exhausted_at TEXT) WITHOUT ROWID; DELETE FROM derived_users;`);
      db.exec(`INSERT INTO derived_users
        SELECT user_id, MAX(first_conversation_at), MAX(first_tool_at), MAX(first_creation_at), MAX(exhausted_at)
        FROM (
          SELECT user_id, MIN(started_at) AS first_conversation_at, NULL AS first_tool_at, NULL AS first_creation_at, MIN(ran_out_at) AS exhausted_at
          FROM conversations WHERE ${where} GROUP BY user_id
          UNION ALL
          ${eventFirsts})
        GROUP BY user_id`);
      db.exec(`UPDATE users SET (first_conversation_at, first_tool_at, first_creation_at, exhausted_at) =
          (SELECT first_conversation_at, first_tool_at, first_creation_at, exhausted_at FROM derived_users d WHERE d.user_id = users.user_id)
        WHERE ${where}`);
    }
    // Read once: not kept in the connection's memory for the rest of its life (~600k rows after a first sync at 10M).
    if (loaded) db.exec('DROP TABLE IF EXISTS temp.loaded_ran_out; DROP TABLE IF EXISTS temp.loaded_firsts');
  }

  /**
   * Removes every row of these users (forgotten users) and their share of the aggregates, as `uis forget` did in
   * PostgreSQL: their events; the conversations they own, with every event in them; the conversations of others they
   * took part in (PostgreSQL recomputed those without them: the sync pulls them again, and settleForgotten() drops
   * what did not come back); and what Intelligence derived from any of it (snapshot/forget.ts). Returns the users
   * removed.
   */
  forgetUsers(userIds: string[]): number {
    const db = this.snapshot.db;
    let removed = 0;
    this.forgot = true;
    db.transaction(() => {
      this.markRollupsStale();
      const USER_EVENTS = 'user_id = @u OR conversation_id IN (SELECT id FROM conversations WHERE user_id = @u)';
      const events = db.prepare(`SELECT * FROM events WHERE ${USER_EVENTS}`);
      const conversations = db
        .prepare('SELECT id FROM conversations WHERE user_id = @u UNION SELECT DISTINCT conversation_id FROM events WHERE user_id = @u AND conversation_id IS NOT NULL')
        .pluck();
      const ownerOf = db.prepare('SELECT user_id FROM conversations WHERE id = ?').pluck();
      const dropConversation = db.prepare('DELETE FROM conversations WHERE id = ?');
      for (const id of userIds) {
        this.touchedUsers.add(id);
        const doomed = events.all({ u: id }) as FlatEvent[];
        const touched = conversations.all({ u: id }) as string[];
        const deltas = new Deltas(!this.rebuildRollups);
        for (const e of doomed) {
          deltas.add(e, -1);
          this.touchedUsers.add(e.user_id);
        }
        for (const cid of touched) {
          const c = this.s.conversation.get(cid) as ConversationContribution | undefined;
          deltas.addConversation(c, -1);
          const owner = ownerOf.get(cid) as string | undefined;
          if (owner) this.touchedUsers.add(owner);
        }
        this.flush(deltas);
        forgetInIntelligence(db, { userIds: [id], conversationIds: touched, eventIds: doomed.map((e) => e.id) });
        rememberForgottenConversations(db, touched);
        db.prepare('DELETE FROM agg_user_day WHERE user_id = ?').run(id);
        db.prepare('DELETE FROM agg_tool_day WHERE user_id = ?').run(id);
        db.prepare('DELETE FROM agg_failure WHERE user_id = ?').run(id);
        db.prepare(`DELETE FROM events WHERE ${USER_EVENTS}`).run({ u: id });
        for (const cid of touched) dropConversation.run(cid);
        removed += db.prepare('DELETE FROM users WHERE user_id = ?').run(id).changes;
      }
    })();
    return removed;
  }

  /**
   * After a sync's pull: the conversations a forget removed that PostgreSQL no longer has lose the events left in the
   * snapshot (other senders' events in a forgotten user's conversation, under an owner the snapshot had not updated
   * yet) and what Intelligence kept about them. Returns the events removed.
   */
  settleForgotten(): number {
    const db = this.snapshot.db;
    let removed = 0;
    db.transaction(() => {
      const gone = takeForgottenConversations(db);
      if (gone.length === 0) return;
      this.forgot = true;
      this.markRollupsStale();
      const events = db.prepare('SELECT * FROM events WHERE conversation_id = ?');
      const drop = db.prepare('DELETE FROM events WHERE conversation_id = ?');
      const deltas = new Deltas(!this.rebuildRollups);
      const ids: string[] = [];
      for (const cid of gone) {
        for (const e of events.all(cid) as FlatEvent[]) {
          deltas.add(e, -1);
          ids.push(e.id);
          this.touchedUsers.add(e.user_id);
        }
      }
      this.flush(deltas);
      forgetInIntelligence(db, { userIds: [], conversationIds: gone, eventIds: ids });
      for (const cid of gone) removed += drop.run(cid).changes;
    })();
    return removed;
  }
}

function sameEvent(a: FlatEvent, b: FlatEvent): boolean {
  const keys: Array<keyof FlatEvent> = ['conversation_id', 'user_id', 'ts', 'event_type', 'role', 'message', 'tool_name', 'success', 'credits', 'error_type', 'completion_status', 'params', 'result'];
  return keys.every((k) => a[k] === b[k]);
}

