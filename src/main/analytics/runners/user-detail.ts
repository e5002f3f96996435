/**
 * One user's drill-down: profile, PMF facts, memory with evidence, conversations and their events.
 */
import { CREDIT_ALLOWANCE, MESSAGE_SIGNAL_BITS, type MessageSignal, type UserDetail } from '../../../shared/metrics.js';
import { collectEvidence } from '../../profiles/memory.js';
import { derivePreferences, type Preference } from '../../../shared/profile.js';
import type { Planner } from '../planner.js';
import { round } from '../sums.js';
import { toRow, extras } from './users-table.js';

/**
 * A user's preferences with their evidence (stated and superseded, observed counts): the profile builder's own
 * extraction and choice (src/main/profiles/memory.ts, src/shared/profile.ts) over the user's events in the snapshot,
 * the same events the builder read in PostgreSQL, so the drill-down and the context API agree.
 */
function preferenceDetails(p: Planner, userId: string): Preference[] {
  const rows = p.all<{ id: string; ts: string; event_type: string; role: string | null; message: string | null; tool_name: string | null; params: string | null }>(`SELECT id, ts, event_type, role, message, tool_name, params FROM events INDEXED BY events_user
              WHERE user_id = ? AND (event_type = 'tool_call' OR (event_type = 'message' AND COALESCE(role, 'user') = 'user')) ORDER BY ts, id`, userId);
  const evidence = collectEvidence(
    rows.map((r) => ({
      id: r.id,
      timestamp: r.ts,
      event_type: r.event_type,
      tool_name: r.tool_name,
      content: { role: r.role ?? undefined, message: r.message ?? undefined, params: r.params === null ? undefined : JSON.parse(r.params) },
    })),
  );
  return derivePreferences(evidence.observed, evidence.statements);
}

export function userDetail(p: Planner, userId: string, opts: { conversations?: number } = {}): UserDetail | null {
  return p.scoped(() => {
    const ctx = p.context({});
    const [u] = p.computeUserStates(ctx.until, ctx.rollups.users, [userId]);
    if (!u) return null;
    const profile = p.one<{
      preferences: string | null;
      preferred_tools: string | null;
      context_summary: string | null;
      frequently_used_prompts: string | null;
    }>('SELECT preferences, preferred_tools, context_summary, frequently_used_prompts FROM users WHERE user_id = ?', userId);
    const limit = opts.conversations ?? 50;
    const convs = p.all<Record<string, unknown>>(`SELECT * FROM conversations WHERE user_id = ? ORDER BY started_at DESC, id LIMIT ?`, userId, limit + 1);
    const truncated = convs.length > limit;
    const eventsOf = p.db.prepare('SELECT * FROM events WHERE conversation_id = ? ORDER BY ts, id');
    const signalNames = Object.entries(MESSAGE_SIGNAL_BITS);
    const messagesWith = (signal: MessageSignal) =>
      p.values<string>('SELECT message FROM events INDEXED BY events_user WHERE user_id = ? AND flags <> 0 AND (flags & ?) <> 0 ORDER BY ts', userId, MESSAGE_SIGNAL_BITS[signal]);
    const stats = p.one<{ minutes: number | null; completed: number | null; withStatus: number | null }>(`SELECT AVG((julianday(last_message_at) - julianday(started_at)) * 1440.0) AS minutes,
                  SUM(completion_status = 'completed') AS completed, SUM(completion_status IS NOT NULL) AS withStatus
                FROM conversations WHERE user_id = ?`, userId);
    // Episodes and blockers from the user's conversations (events), as ranOutUsers() and blockers() count them.
    const episodes = p.value<number>('SELECT COUNT(*) FROM conversations INDEXED BY conversations_ran_out WHERE user_id = ? AND ran_out_at IS NOT NULL AND ran_out_at <= ?', userId, ctx.params.untilEnd);
    const blockers = p.all<{ blocker: string; conversations: number }>('SELECT blocker, COUNT(*) AS conversations FROM conversations WHERE user_id = ? AND blocker IS NOT NULL GROUP BY blocker ORDER BY conversations DESC, blocker', userId);
    const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
    return {
      profile: toRow(u, extras(p, [userId])),
      pmf: {
        creditsRemaining: Math.max(0, CREDIT_ALLOWANCE - u.credits),
        creditExhaustionEpisodes: episodes,
        creditExhaustionCount: u.creditExhaustionCount,
        firstCreationAt: u.firstCreationAt,
        creations: u.creations,
        activeDays: u.activeDays,
        completionRate: stats.withStatus ? (stats.completed ?? 0) / stats.withStatus : null,
        averageSessionMinutes: round(stats.minutes, 2),
        featureRequests: messagesWith('feature_request'),
        praise: messagesWith('praise'),
        blockers,
        blockerMessages: messagesWith('blocker'),
      },
      memory: {
        preferences: parse(profile.preferences),
        preferredTools: parse(profile.preferred_tools),
        contextSummary: profile.context_summary,
        frequentlyUsedPrompts: (parse(profile.frequently_used_prompts) as string[] | null) ?? [],
        statedPreferences: messagesWith('preference'),
        preferenceDetails: preferenceDetails(p, userId),
      },
      conversations: convs.slice(0, limit).map((c) => ({
        id: c.id as string,
        startedAt: c.started_at as string,
        lastMessageAt: (c.last_message_at as string | null) ?? null,
        messageCount: (c.message_count as number) ?? 0,
        creditsUsed: (c.credits_used as number) ?? 0,
        toolsUsed: (parse(c.tools_used as string | null) as Record<string, number> | null) ?? {},
        firstIntent: (c.first_intent as string | null) ?? null,
        useCase: c.use_case as string,
        completionStatus: (c.completion_status as string | null) ?? null,
        blocker: (c.blocker as string | null) ?? null,
        events: (eventsOf.all(c.id) as Array<Record<string, unknown>>).map((e) => ({
          id: e.id as string,
          timestamp: e.ts as string,
          eventType: e.event_type as string,
          role: (e.role as string | null) ?? null,
          message: (e.message as string | null) ?? null,
          toolName: (e.tool_name as string | null) ?? null,
          params: parse(e.params as string | null) as Record<string, unknown> | null,
          success: e.success === null ? null : e.success === 1,
          creditsConsumed: e.credits as number,
          errorType: (e.error_type as string | null) ?? null,
          completionStatus: (e.completion_status as string | null) ?? null,
          signals: signalNames.filter(([, bit]) => ((e.flags as number) & bit) !== 0).map(([name]) => name),
        })),
      })),
      truncated,
    };
  });
}
