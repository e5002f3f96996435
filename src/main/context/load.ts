import type pg from 'pg';
import type { ContextProfile, RecentConversation, UserContext } from '../../shared/context.js';
import { confidenceLabel, derivePreferences } from '../../shared/profile.js';
import { isoTs, loadPreferenceEvidence } from '../profiles/store.js';
import { CREDIT_ALLOWANCE } from '../profiles/rules.js';

const RECENT_CONVERSATIONS = 5;

interface ProfileRow {
  email: string | null;
  created_at: string | null;
  last_active_at: string | null;
  total_conversations: number | null;
  total_messages: number | null;
  total_credits_used: number | null;
  primary_use_case: string | null;
  preferred_tools: Record<string, number> | null;
  average_session_length: number | null;
  completion_rate: number | null;
  retention_cohort: string | null;
  activation_status: string | null;
  credit_exhaustion_count: number | null;
  context_summary: string | null;
  frequently_used_prompts: string[] | null;
  updated_at: Date;
}

interface RecentRow {
  id: string;
  started_at: string | null;
  last_message_at: string | null;
  first_intent: string | null;
  completion_status: string | null;
  blocker_reason: string | null;
  tools_used: Record<string, number> | null;
  credits_used: number | null;
  last_error: string | null;
}

const label = (s: string) => s.replace(/_/g, ' ');
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 3) + '...' : s);

function blockerOf(c: { completion_status: string | null; blocker_reason: string | null; last_error: string | null }): string | null {
  if (c.blocker_reason) return c.blocker_reason;
  if (c.completion_status === 'blocked_by_credits') return 'ran out of credits';
  return c.last_error;
}

/** The text block for the chat service's system prompt: short, factual, one line per kind of fact. */
export function contextPrompt(ctx: Required<Omit<UserContext, 'prompt'>>): string {
  const lines = [`What we know about this user (User Intelligence System, profile updated ${ctx.updated_at.slice(0, 16).replace('T', ' ')} UTC):`];
  const p = ctx.profile;
  if (p.primary_use_case) lines.push(`- Mostly uses the product for: ${label(p.primary_use_case)}.`);
  if (p.preferred_tools.length) lines.push(`- Favourite tools: ${p.preferred_tools.slice(0, 3).map((t) => t.tool).join(', ')}.`);
  if (ctx.preferences.length)
    lines.push(
      `- Preferences (apply unless the user asks otherwise): ${ctx.preferences
        .map((x) => `${label(x.key)} = ${x.value} (${x.source === 'stated' ? 'stated by the user' : `chosen ${x.count} times`}, ${confidenceLabel(x.confidence)} confidence)`)
        .join('; ')}.`,
    );
  if (ctx.frequent_prompts.length) lines.push(`- Often asks for: ${ctx.frequent_prompts.slice(0, 3).map((s) => `"${clip(s, 60)}"`).join(', ')}.`);
  const recent = ctx.recent_conversations.filter((c) => c.intent).slice(0, 3);
  if (recent.length)
    lines.push(`- Recent conversations: ${recent.map((c) => `"${clip(c.intent!, 60)}" → ${label(c.outcome)}${c.blocker ? ` (blocked: ${clip(c.blocker, 40)})` : ''}`).join('; ')}.`);
  lines.push(`- Credits left: ${ctx.credits.left} of ${ctx.credits.allowance}${ctx.credits.left <= 10 ? ' (nearly out: suggest cheaper options or mention upgrading)' : ''}.`);
  if (ctx.summary) lines.push(`- Summary: ${ctx.summary}`);
  lines.push('Use this to tailor the reply; do not recite it to the user.');
  return lines.join('\n');
}

/** Everything the context API returns for one user, read from PostgreSQL; null when the user is unknown. */
export async function loadUserContext(pool: pg.Pool, userId: string): Promise<UserContext | null> {
  // One snapshot for every part: read separately, a builder commit landing in between could pair the new profile
  // with the old preferences.
  const client = await pool.connect();
  let profile: pg.QueryResult<ProfileRow>;
  let evidence: Awaited<ReturnType<typeof loadPreferenceEvidence>>;
  let recent: pg.QueryResult<RecentRow>;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    profile = await client.query<ProfileRow>(
      `SELECT email, created_at, last_active_at, total_conversations, total_messages, total_credits_used, primary_use_case,
              preferred_tools, average_session_length, completion_rate, retention_cohort, activation_status,
              credit_exhaustion_count, context_summary, frequently_used_prompts, updated_at
       FROM user_profiles WHERE user_id = $1`,
      [userId],
    );
    evidence = await loadPreferenceEvidence(client, userId);
    recent = await client.query<RecentRow>(
      `SELECT c.id, c.started_at, c.last_message_at, c.first_intent, c.completion_status, c.blocker_reason, c.tools_used, c.credits_used,
              (SELECT e.content->>'error' FROM conversation_events e
               WHERE e.conversation_id = c.id AND e.event_type = 'error' ORDER BY e.timestamp DESC LIMIT 1) AS last_error
       FROM conversations c WHERE c.user_id = $1
       ORDER BY COALESCE(c.last_message_at, c.started_at) DESC NULLS LAST LIMIT ${RECENT_CONVERSATIONS}`,
      [userId],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  const row = profile.rows[0];
  if (!row) return null;
  const tools = Object.entries(row.preferred_tools ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const toolTotal = tools.reduce((n, [, c]) => n + c, 0);
  const used = row.total_credits_used ?? 0;
  const ctxProfile: ContextProfile = {
    email: row.email,
    created_at: isoTs(row.created_at),
    last_active_at: isoTs(row.last_active_at),
    total_conversations: row.total_conversations ?? 0,
    total_messages: row.total_messages ?? 0,
    total_credits_used: used,
    primary_use_case: row.primary_use_case,
    preferred_tools: tools.map(([tool, count]) => ({ tool, count, share: Math.round((count / toolTotal) * 1000) / 1000 })),
    average_session_length: row.average_session_length,
    completion_rate: row.completion_rate,
    retention_cohort: row.retention_cohort,
    activation_status: row.activation_status,
    credit_exhaustion_count: row.credit_exhaustion_count ?? 0,
  };
  const conversations: RecentConversation[] = recent.rows.map((c) => ({
    id: c.id,
    started_at: isoTs(c.started_at),
    last_message_at: isoTs(c.last_message_at),
    intent: c.first_intent,
    outcome: c.completion_status ?? 'in_progress',
    blocker: blockerOf(c),
    tools: c.tools_used ?? {},
    credits_used: c.credits_used ?? 0,
  }));
  const full = {
    user_id: userId,
    updated_at: row.updated_at.toISOString(),
    profile: ctxProfile,
    preferences: derivePreferences(evidence.observed, evidence.statements),
    summary: row.context_summary,
    frequent_prompts: row.frequently_used_prompts ?? [],
    recent_conversations: conversations,
    credits: { allowance: CREDIT_ALLOWANCE, used, left: Math.max(0, CREDIT_ALLOWANCE - used) },
  };
  return { ...full, prompt: contextPrompt(full) };
}
