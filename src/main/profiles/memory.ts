import { CREATION_TOOLS, classifyUseCase } from '../../shared/metrics.js';
import { countCreditExhaustionEpisodes } from '../../shared/metric-definitions.js';
import { derivePreferences, preferencesMap, type ObservedEvidence, type Preference, type Statement } from '../../shared/profile.js';
import { observedChoices, promptPattern, statedPreferences } from './extract.js';
import { CREDIT_ALLOWANCE, profileLabels } from './rules.js';
import type { SummaryInput } from './summary.js';

/**
 * The profile builder's logic as pure functions: what evidence a user's events hold, and the derived user_profiles
 * fields from the user's facts and evidence. The PostgreSQL builder (store.ts) runs them on stored events and the
 * FACTS query; the demo workspace (src/main/demo/sinks.ts) runs the same functions over the demo's events.
 */

/** An event as the builder reads it (conversation_events). */
export interface MemoryEvent {
  id: string;
  timestamp: string;
  event_type: string;
  content: Record<string, unknown> | null;
  tool_name: string | null;
}

export interface PromptPatternCount {
  pattern: string;
  count: number;
  last: string;
  example: string;
}

export interface Evidence {
  observed: ObservedEvidence[];
  statements: Statement[];
  prompts: PromptPatternCount[];
}

/** The evidence in events (tool choices, stated preferences, request patterns), aggregated per value. */
export function collectEvidence(events: MemoryEvent[]): Evidence {
  const observed = new Map<string, ObservedEvidence>();
  const statements: Statement[] = [];
  const prompts = new Map<string, PromptPatternCount>();
  for (const e of events) {
    const content = e.content ?? {};
    if (e.event_type === 'tool_call') {
      for (const c of observedChoices(content.params)) {
        const k = `${c.key}\u0000${c.value}`;
        const o = observed.get(k);
        if (o) {
          o.count++;
          o.last_seen = e.timestamp > o.last_seen ? e.timestamp : o.last_seen;
          o.first_seen = e.timestamp < o.first_seen ? e.timestamp : o.first_seen;
        } else observed.set(k, { key: c.key, value: c.value, count: 1, first_seen: e.timestamp, last_seen: e.timestamp });
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
  return { observed: [...observed.values()], statements, prompts: [...prompts.values()] };
}

/** How many request patterns the profile keeps, and how often one must be sent to count as frequent. */
export const FREQUENT_PROMPTS = 5;
export const FREQUENT_PROMPT_MIN = 2;

/** frequently_used_prompts: patterns sent at least twice, most frequent first, then most recent. */
export function frequentPrompts(prompts: PromptPatternCount[]): string[] {
  return prompts
    .filter((p) => p.count >= FREQUENT_PROMPT_MIN)
    .sort((a, b) => b.count - a.count || b.last.localeCompare(a.last) || a.pattern.localeCompare(b.pattern))
    .slice(0, FREQUENT_PROMPTS)
    .map((p) => p.pattern);
}

/** What the derived fields need about a user (in PostgreSQL: one FACTS query in store.ts). */
export interface ProfileFacts {
  created_at: string | null;
  last_active_at: string | null;
  total_conversations: number;
  total_messages: number;
  total_credits_used: number;
  conversations: number;
  completed: number;
  avg_minutes: number | null;
  /** Credit-exhaustion episodes (conversations that hit the limit; src/shared/metric-definitions.ts). */
  episodes: number;
  creations: number;
  active_days: string[];
  first_conversation_day: string | null;
  /** {tool, calls} over all conversations, most used first. */
  tools: Array<{ tool: string; count: number }>;
  /** The latest 200 conversations' use-case label and first intent. */
  use_cases: Array<{ label: string | null; first_intent: string | null }>;
  /** The latest 3 conversations' first intents. */
  recent_intents: string[];
  /** frequently_used_prompts (frequentPrompts). */
  prompts: string[];
}

/**
 * Derived user_profiles columns (the seed's), but context_summary, which the summarizer writes from `summaryInput`, and
 * credit_exhaustion_count, which the capture trigger keeps.
 */
export interface ComposedProfile {
  primary_use_case: string | null;
  preferred_tools: Record<string, number>;
  average_session_length: number | null;
  completion_rate: number | null;
  retention_cohort: string | null;
  activation_status: string;
  preferences: Record<string, string>;
  frequently_used_prompts: string[];
  preferenceDetails: Preference[];
  summaryInput: SummaryInput;
}

function mode(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
}

/** Every derived field of a profile from the user's facts and preference evidence, with "today" taken from `now`. */
export function composeProfile(userId: string, f: ProfileFacts, evidence: { observed: ObservedEvidence[]; statements: Statement[] }, now: Date): ComposedProfile {
  const preferences = derivePreferences(evidence.observed, evidence.statements);
  const toolTotal = f.tools.reduce((n, t) => n + t.count, 0);
  const topTools = f.tools.map((t) => ({ ...t, share: toolTotal ? t.count / toolTotal : 0 }));
  const primaryUseCase = mode(f.use_cases.map((u) => u.label ?? classifyUseCase(u.first_intent)).filter((x) => x !== 'other'));
  const completionRate = f.conversations > 0 ? f.completed / f.conversations : null;
  const labels = profileLabels(
    {
      signupDay: f.created_at ? f.created_at.slice(0, 10) : f.first_conversation_day,
      activeDays: f.active_days,
      creations: f.creations,
      creditsUsed: f.total_credits_used,
      creditExhaustionEpisodes: f.episodes,
    },
    now.toISOString().slice(0, 10),
  );
  return {
    primary_use_case: primaryUseCase,
    preferred_tools: Object.fromEntries(f.tools.map((t) => [t.tool, t.count])),
    average_session_length: f.avg_minutes === null ? null : Math.round(f.avg_minutes),
    completion_rate: completionRate,
    retention_cohort: labels.retention,
    activation_status: labels.activation,
    preferences: preferencesMap(preferences),
    frequently_used_prompts: f.prompts,
    preferenceDetails: preferences,
    summaryInput: {
      userId,
      primaryUseCase,
      totalConversations: f.total_conversations,
      totalMessages: f.total_messages,
      firstSeen: f.created_at,
      lastActive: f.last_active_at,
      topTools,
      preferences,
      completionRate,
      creditExhaustionCount: f.episodes,
      creditsLeft: Math.max(0, CREDIT_ALLOWANCE - f.total_credits_used),
      recentIntents: f.recent_intents,
    },
  };
}

/** A conversation as the capture trigger keeps it (the columns the facts read). */
export interface FactsConversation {
  started_at: string | null;
  last_message_at: string | null;
  first_intent: string | null;
  tools_used: Record<string, number> | null;
  completion_status: string | null;
  extracted_use_case?: string | null;
}

/**
 * The FACTS query of store.ts computed over rows in memory (the demo has no PostgreSQL). Kept equal to it by
 * tests/integration/demo-memory.test.ts, which builds the same demo both ways and compares the profiles.
 */
export function factsFromRows(
  profile: { created_at: string | null; last_active_at: string | null; total_conversations: number | null; total_messages: number | null; total_credits_used: number | null },
  conversations: FactsConversation[],
  events: Array<Pick<MemoryEvent, 'timestamp' | 'event_type' | 'content' | 'tool_name'> & { conversation_id: string | null; success?: boolean | null }>,
  prompts: PromptPatternCount[],
): ProfileFacts {
  const tools = new Map<string, number>();
  let completed = 0;
  let minutes = 0;
  let timed = 0;
  let firstStart: string | null = null;
  for (const c of conversations) {
    for (const [tool, n] of Object.entries(c.tools_used ?? {})) tools.set(tool, (tools.get(tool) ?? 0) + Number(n));
    if (c.completion_status === 'completed') completed++;
    if (c.last_message_at && c.started_at) {
      minutes += (Date.parse(c.last_message_at) - Date.parse(c.started_at)) / 60_000;
      timed++;
    }
    if (c.started_at && (firstStart === null || c.started_at < firstStart)) firstStart = c.started_at;
  }
  const latest = [...conversations].sort((a, b) => (b.started_at ?? '').localeCompare(a.started_at ?? ''));
  let creations = 0;
  const days = new Set<string>();
  const creationTools: readonly string[] = CREATION_TOOLS;
  for (const e of events) {
    if (e.event_type === 'tool_call' && e.success === true && e.tool_name && creationTools.includes(e.tool_name)) creations++;
    days.add(e.timestamp.slice(0, 10));
  }
  const episodes = countCreditExhaustionEpisodes(
    events.map((e) => ({
      conversationId: e.conversation_id,
      eventType: e.event_type,
      errorType: typeof e.content?.error === 'string' ? e.content.error : null,
      completionStatus: typeof e.content?.completion_status === 'string' ? e.content.completion_status : null,
    })),
  );
  return {
    created_at: profile.created_at,
    last_active_at: profile.last_active_at,
    total_conversations: profile.total_conversations ?? 0,
    total_messages: profile.total_messages ?? 0,
    total_credits_used: profile.total_credits_used ?? 0,
    conversations: conversations.length,
    completed,
    avg_minutes: timed ? minutes / timed : null,
    episodes,
    creations,
    active_days: [...days],
    first_conversation_day: firstStart ? firstStart.slice(0, 10) : null,
    tools: [...tools].map(([tool, count]) => ({ tool, count })).sort((a, b) => b.count - a.count || a.tool.localeCompare(b.tool)),
    use_cases: latest.slice(0, 200).map((c) => ({ label: c.extracted_use_case ?? null, first_intent: c.first_intent })),
    recent_intents: latest.filter((c) => c.first_intent !== null).slice(0, 3).map((c) => c.first_intent!),
    prompts: frequentPrompts(prompts),
  };
}
