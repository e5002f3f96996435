import type pg from 'pg';
import { derivePreferences, preferencesMap, type ObservedEvidence, type Statement } from '../../shared/profile.js';
import { withTransaction } from '../db/pg.js';
import { CREATION_TOOLS, classifyUseCase, creditExhaustionEventSql } from '../../shared/metrics.js';
import { observedChoices, promptPattern, statedPreferences } from './extract.js';
import { CREDIT_ALLOWANCE, profileLabels } from './rules.js';
import { templateSummarizer, templateSummary, type ContextSummarizer, type SummaryInput } from './summary.js';

/** The lock every writer of a user's memory takes (builder, rebuild, forget), so they never interleave. */
export const USER_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('uis_profile:' || $1))";

interface FreshEvent {
  id: string;
  timestamp: string;
  event_type: string;
  content: Record<string, unknown> | null;
  tool_name: string | null;
}

// Only events that exist in PostgreSQL and are not yet in the ledger come back: redelivered or forgotten events
// (and anything XADDed by hand) change nothing.
const CLAIM_FRESH = `
  WITH fresh AS (
    INSERT INTO uis_profile_applied (event_id, user_id)
    SELECT id, user_id FROM conversation_events WHERE id = ANY($2::uuid[]) AND user_id = $1
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id)
  SELECT e.id, e.timestamp, e.event_type, e.content, e.tool_name
  FROM conversation_events e JOIN fresh f ON f.event_id = e.id
  ORDER BY e.timestamp, e.id`;

const CLAIM_ALL = `
  WITH fresh AS (
    INSERT INTO uis_profile_applied (event_id, user_id)
    SELECT id, user_id FROM conversation_events WHERE user_id = $1
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id)
  SELECT e.id, e.timestamp, e.event_type, e.content, e.tool_name
  FROM conversation_events e JOIN fresh f ON f.event_id = e.id
  ORDER BY e.timestamp, e.id`;

const sqlTs = (iso: string) => iso.replace(/Z$/, '');

/**
 * TIMESTAMP values as canonical ISO strings (always 3 fraction digits). The shared pg parser (db/pg.ts) passes
 * PostgreSQL's trimmed fraction through ("…:50.67Z"), which would break string comparison and equality.
 */
export function isoTs<T extends string | null>(s: T): T {
  return (s === null ? null : new Date(s).toISOString()) as T;
}

/** Adds the evidence in fresh events (tool choices, stated preferences, request patterns) to the user's memory tables. */
async function addEvidence(client: pg.PoolClient, userId: string, events: FreshEvent[]): Promise<void> {
  const observed = new Map<string, { key: string; value: string; count: number; first: string; last: string }>();
  const statements: Array<{ event_id: string; key: string; value: string; stated_at: string; excerpt: string }> = [];
  const prompts = new Map<string, { pattern: string; count: number; last: string; example: string }>();
  for (const raw of events) {
    const e = { ...raw, timestamp: isoTs(raw.timestamp) };
    const content = e.content ?? {};
    if (e.event_type === 'tool_call') {
      for (const c of observedChoices(content.params)) {
        const k = `${c.key}\u0000${c.value}`;
        const o = observed.get(k);
        if (o) {
          o.count++;
          o.last = e.timestamp > o.last ? e.timestamp : o.last;
          o.first = e.timestamp < o.first ? e.timestamp : o.first;
        } else observed.set(k, { key: c.key, value: c.value, count: 1, first: e.timestamp, last: e.timestamp });
      }
    }
    const role = content.role ?? 'user';
    if (e.event_type === 'message' && role === 'user' && typeof content.message === 'string') {
      for (const s of statedPreferences(content.message)) statements.push({ event_id: e.id, ...s, stated_at: e.timestamp });
      const pattern = promptPattern(content.message);
      if (pattern) {
        const p = prompts.get(pattern);
        const example = content.message.slice(0, 200);
        if (p) {
          p.count++;
          if (e.timestamp >= p.last) Object.assign(p, { last: e.timestamp, example });
        } else prompts.set(pattern, { pattern, count: 1, last: e.timestamp, example });
      }
    }
  }
  if (observed.size)
    await client.query(
      `INSERT INTO uis_preference_evidence AS p (user_id, key, value, count, first_seen, last_seen)
       SELECT $1, key, value, count, first_seen, last_seen
       FROM json_to_recordset($2::json) AS x(key text, value text, count int, first_seen timestamp, last_seen timestamp)
       ON CONFLICT (user_id, key, value) DO UPDATE SET count = p.count + EXCLUDED.count,
         first_seen = LEAST(p.first_seen, EXCLUDED.first_seen), last_seen = GREATEST(p.last_seen, EXCLUDED.last_seen)`,
      [userId, JSON.stringify([...observed.values()].map((o) => ({ key: o.key, value: o.value, count: o.count, first_seen: sqlTs(o.first), last_seen: sqlTs(o.last) })))],
    );
  if (statements.length)
    await client.query(
      `INSERT INTO uis_preference_statements (event_id, key, user_id, value, stated_at, excerpt)
       SELECT event_id, key, $1, value, stated_at, excerpt
       FROM json_to_recordset($2::json) AS x(event_id uuid, key text, value text, stated_at timestamp, excerpt text)
       ON CONFLICT (event_id, key) DO NOTHING`,
      [userId, JSON.stringify(statements.map((s) => ({ ...s, stated_at: sqlTs(s.stated_at) })))],
    );
  if (prompts.size)
    await client.query(
      `INSERT INTO uis_prompt_patterns AS p (user_id, pattern, count, last_seen, example)
       SELECT $1, pattern, count, last_seen, example
       FROM json_to_recordset($2::json) AS x(pattern text, count int, last_seen timestamp, example text)
       ON CONFLICT (user_id, pattern) DO UPDATE SET count = p.count + EXCLUDED.count,
         example = CASE WHEN EXCLUDED.last_seen >= p.last_seen THEN EXCLUDED.example ELSE p.example END,
         last_seen = GREATEST(p.last_seen, EXCLUDED.last_seen)`,
      [userId, JSON.stringify([...prompts.values()].map((p) => ({ ...p, last_seen: sqlTs(p.last) })))],
    );
}

const CREDIT_EXHAUSTION_EVENT_PG = creditExhaustionEventSql({ eventType: 'event_type', errorType: "content->>'error'", completionStatus: "content->>'completion_status'" });

// One round trip for everything the derived fields need (each part uses the user's indexes).
const FACTS = `
  SELECT
    p.created_at, p.last_active_at, COALESCE(p.total_conversations, 0) AS total_conversations,
    COALESCE(p.total_messages, 0) AS total_messages, COALESCE(p.total_credits_used, 0) AS total_credits_used,
    c.n AS conversations, c.completed, c.avg_minutes, e.episodes, e.creations, e.active_days, c.first_conversation_day,
    (SELECT COALESCE(json_agg(t ORDER BY t.count DESC, t.tool), '[]') FROM (
        SELECT key AS tool, SUM(value::int)::int AS count
        FROM conversations cc, jsonb_each_text(cc.tools_used) WHERE cc.user_id = $1 GROUP BY key) t) AS tools,
    (SELECT COALESCE(json_agg(u), '[]') FROM (
        SELECT extracted_use_case AS label, first_intent FROM conversations
        WHERE user_id = $1 ORDER BY started_at DESC LIMIT 200) u) AS use_cases,
    (SELECT COALESCE(json_agg(first_intent), '[]') FROM (
        SELECT first_intent FROM conversations WHERE user_id = $1 AND first_intent IS NOT NULL
        ORDER BY started_at DESC LIMIT 3) r) AS recent_intents,
    (SELECT COALESCE(json_agg(q.pattern ORDER BY q.count DESC, q.last_seen DESC), '[]') FROM (
        SELECT pattern, count, last_seen FROM uis_prompt_patterns WHERE user_id = $1 AND count >= 2
        ORDER BY count DESC, last_seen DESC LIMIT 5) q) AS prompts
  FROM user_profiles p,
    LATERAL (SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE completion_status = 'completed')::int AS completed,
               AVG(EXTRACT(EPOCH FROM (last_message_at - started_at)) / 60)
                 FILTER (WHERE last_message_at IS NOT NULL) AS avg_minutes,
               to_char(MIN(started_at), 'YYYY-MM-DD') AS first_conversation_day
             FROM conversations WHERE user_id = $1) c,
    -- One pass over the user's events for everything counted on them.
    LATERAL (SELECT
               -- Credit-exhaustion episodes: conversations holding an exhaustion event (src/shared, one definition).
               COUNT(DISTINCT conversation_id) FILTER (WHERE ${CREDIT_EXHAUSTION_EVENT_PG})::int AS episodes,
               COUNT(*) FILTER (WHERE event_type = 'tool_call' AND success IS TRUE AND tool_name = ANY($2::text[]))::int AS creations,
               COALESCE(json_agg(DISTINCT to_char(timestamp, 'YYYY-MM-DD')), '[]') AS active_days
             FROM conversation_events WHERE user_id = $1) e
  WHERE p.user_id = $1`;

export async function loadPreferenceEvidence(db: pg.Pool | pg.PoolClient, userId: string): Promise<{ observed: ObservedEvidence[]; statements: Statement[] }> {
  const [o, s] = await Promise.all([
    db.query<ObservedEvidence>('SELECT key, value, count, first_seen, last_seen FROM uis_preference_evidence WHERE user_id = $1', [userId]),
    db.query<Statement>('SELECT event_id, key, value, stated_at, excerpt FROM uis_preference_statements WHERE user_id = $1', [userId]),
  ]);
  return {
    observed: o.rows.map((r) => ({ ...r, first_seen: isoTs(r.first_seen), last_seen: isoTs(r.last_seen) })),
    statements: s.rows.map((r) => ({ ...r, stated_at: isoTs(r.stated_at) })),
  };
}

function mode(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
}

/** Recomputes every derived user_profiles field from the user's stored data. Returns false when the user has no profile. */
async function recompose(client: pg.PoolClient, userId: string, summarizer: ContextSummarizer, now: Date): Promise<boolean> {
  const f = (await client.query(FACTS, [userId, CREATION_TOOLS])).rows[0] as
    | {
        created_at: string | null; last_active_at: string | null; total_conversations: number; total_messages: number;
        total_credits_used: number; conversations: number; completed: number; avg_minutes: number | string | null;
        episodes: number; creations: number; active_days: string[]; first_conversation_day: string | null; tools: Array<{ tool: string; count: number }>;
        use_cases: Array<{ label: string | null; first_intent: string | null }>; recent_intents: string[]; prompts: string[];
      }
    | undefined;
  if (!f) return false;
  const { observed, statements } = await loadPreferenceEvidence(client, userId);
  const preferences = derivePreferences(observed, statements);
  const toolTotal = f.tools.reduce((n, t) => n + t.count, 0);
  const topTools = f.tools.map((t) => ({ ...t, share: toolTotal ? t.count / toolTotal : 0 }));
  const primaryUseCase = mode(
    f.use_cases.map((u) => u.label ?? classifyUseCase(u.first_intent)).filter((x) => x !== 'other'),
  );
  const completionRate = f.conversations > 0 ? f.completed / f.conversations : null;
  const avgMinutes = f.avg_minutes === null ? null : Math.round(Number(f.avg_minutes));
  const labels = profileLabels(
    {
      signupDay: f.created_at ? isoTs(f.created_at).slice(0, 10) : f.first_conversation_day,
      activeDays: f.active_days,
      creations: f.creations,
      creditsUsed: f.total_credits_used,
      creditExhaustionEpisodes: f.episodes,
    },
    now.toISOString().slice(0, 10),
  );
  const input: SummaryInput = {
    userId,
    primaryUseCase,
    totalConversations: f.total_conversations,
    totalMessages: f.total_messages,
    firstSeen: isoTs(f.created_at),
    lastActive: isoTs(f.last_active_at),
    topTools,
    preferences,
    completionRate,
    creditExhaustionCount: f.episodes,
    creditsLeft: Math.max(0, CREDIT_ALLOWANCE - f.total_credits_used),
    recentIntents: f.recent_intents,
  };
  let summary: string;
  try {
    summary = await summarizer.summarize(input);
  } catch {
    summary = templateSummary(input);
  }
  await client.query(
    `UPDATE user_profiles SET primary_use_case = $2, preferred_tools = $3, average_session_length = $4, completion_rate = $5,
       retention_cohort = $6, activation_status = $7, preferences = $8, context_summary = $9,
       frequently_used_prompts = $10
     WHERE user_id = $1`,
    [
      userId,
      primaryUseCase,
      JSON.stringify(Object.fromEntries(f.tools.map((t) => [t.tool, t.count]))),
      avgMinutes,
      completionRate,
      labels.retention,
      labels.activation,
      // credit_exhaustion_count is the capture trigger's (1764288000008), like total_messages: written here from a
      // read made earlier, it could undo an episode the trigger counted meanwhile.
      JSON.stringify(preferencesMap(preferences)),
      summary,
      f.prompts,
    ],
  );
  return true;
}

export interface ApplyOptions {
  summarizer?: ContextSummarizer;
  now?: () => Date;
}

/**
 * Applies the given events to one user's memory in one transaction: events already in the ledger (or no longer stored)
 * are skipped; the derived fields are recomputed only when something new arrived. Returns how many events were new.
 */
export async function applyUserEvents(pool: pg.Pool, userId: string, eventIds: string[] | 'all', opts: ApplyOptions = {}): Promise<number> {
  return withTransaction(pool, async (client) => {
    // Derived data: if PostgreSQL crashes before the commit is on disk, ledger and profile roll back together and
    // the reconciler re-applies the events; not waiting for the flush makes each user's update much cheaper.
    await client.query('SET LOCAL synchronous_commit = off');
    await client.query(USER_LOCK_SQL, [userId]);
    const fresh = eventIds === 'all'
      ? await client.query<FreshEvent>(CLAIM_ALL, [userId])
      : await client.query<FreshEvent>(CLAIM_FRESH, [userId, eventIds]);
    if (fresh.rows.length === 0) return 0;
    await addEvidence(client, userId, fresh.rows);
    await recompose(client, userId, opts.summarizer ?? templateSummarizer, opts.now?.() ?? new Date());
    return fresh.rows.length;
  });
}

/** Forgets the builder's memory of a user (ledger and evidence) inside the caller's transaction; returns rows removed. */
export async function deleteUserMemory(client: pg.PoolClient, userId: string): Promise<number> {
  let n = 0;
  for (const table of ['uis_profile_applied', 'uis_preference_evidence', 'uis_preference_statements', 'uis_prompt_patterns']) {
    n += (await client.query(`DELETE FROM ${table} WHERE user_id = $1`, [userId])).rowCount ?? 0;
  }
  return n;
}

/**
 * `uis profiles rebuild`: recomputes users' memory from PostgreSQL alone (ledger and evidence cleared and re-applied
 * from the stored events). Each user is one transaction under the same lock the builder takes.
 */
export async function rebuildProfiles(
  pool: pg.Pool,
  opts: ApplyOptions & { users?: string[]; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ users: number; events: number }> {
  const users = opts.users ?? (await pool.query<{ user_id: string }>('SELECT user_id FROM user_profiles ORDER BY user_id')).rows.map((r) => r.user_id);
  let events = 0;
  let done = 0;
  for (const userId of users) {
    events += await withTransaction(pool, (client) => rebuildUserMemory(client, userId, opts));
    opts.onProgress?.(++done, users.length);
  }
  return { users: users.length, events };
}

/**
 * One user's memory recomputed from their stored events inside the caller's transaction, under the user's lock
 * (rebuild; forget, for the users who shared conversations with the forgotten one). Returns the events applied.
 */
export async function rebuildUserMemory(client: pg.PoolClient, userId: string, opts: ApplyOptions = {}): Promise<number> {
  await client.query(USER_LOCK_SQL, [userId]);
  await deleteUserMemory(client, userId);
  const fresh = await client.query<FreshEvent>(CLAIM_ALL, [userId]);
  await addEvidence(client, userId, fresh.rows);
  await recompose(client, userId, opts.summarizer ?? templateSummarizer, opts.now?.() ?? new Date());
  return fresh.rows.length;
}
