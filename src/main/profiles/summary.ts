import { confidenceLabel, type Preference } from '../../shared/profile.js';

/** Everything a summary may say about a user; the profile builder fills it from PostgreSQL. */
export interface SummaryInput {
  userId: string;
  primaryUseCase: string | null;
  totalConversations: number;
  totalMessages: number;
  firstSeen: string | null;
  lastActive: string | null;
  topTools: Array<{ tool: string; count: number; share: number }>;
  preferences: Preference[];
  completionRate: number | null;
  creditExhaustionCount: number;
  creditsLeft: number;
  recentIntents: string[];
}

/**
 * Writes `context_summary`. The default is the deterministic template below; an LLM-backed summarizer (the intelligence
 * helper's) implements the same interface and is passed to ProfileBuilder / rebuildProfiles. A summarizer that throws
 * falls back to the template, so a model outage never stalls the profile.
 */
export interface ContextSummarizer {
  readonly name: string;
  summarize(input: SummaryInput): Promise<string>;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const label = (s: string) => s.replace(/_/g, ' ');
const quote = (s: string) => `"${s.length > 60 ? s.slice(0, 57) + '...' : s}"`;

export function templateSummary(i: SummaryInput): string {
  const parts: string[] = [];
  const since = i.firstSeen ? ` since ${i.firstSeen.slice(0, 10)}` : '';
  parts.push(
    `${i.primaryUseCase ? `Mainly uses the product for ${label(i.primaryUseCase)}` : 'Use case not yet known'} ` +
      `(${i.totalConversations} conversation${i.totalConversations === 1 ? '' : 's'}, ${i.totalMessages} message${i.totalMessages === 1 ? '' : 's'}${since}).`,
  );
  if (i.topTools.length) parts.push(`Favourite tools: ${i.topTools.slice(0, 3).map((t) => `${t.tool} (${pct(t.share)})`).join(', ')}.`);
  if (i.preferences.length)
    parts.push(
      `Preferences: ${i.preferences
        .slice(0, 5)
        .map((p) => `${label(p.key)} ${p.value} (${p.source}, ${confidenceLabel(p.confidence)} confidence)`)
        .join('; ')}.`,
    );
  if (i.completionRate !== null) parts.push(`Completes ${pct(i.completionRate)} of conversations.`);
  if (i.creditExhaustionCount > 0)
    parts.push(`Hit the credit limit ${i.creditExhaustionCount} time${i.creditExhaustionCount === 1 ? '' : 's'}; ${i.creditsLeft} credit${i.creditsLeft === 1 ? '' : 's'} left.`);
  // The same request made again is said once.
  const recent = [...new Map(i.recentIntents.map((x) => [x.trim().toLowerCase(), x])).values()];
  if (recent.length) parts.push(`Recently asked: ${recent.slice(0, 3).map(quote).join(', ')}.`);
  if (i.lastActive) parts.push(`Last active ${i.lastActive.slice(0, 16).replace('T', ' ')} UTC.`);
  return parts.join(' ');
}

export const templateSummarizer: ContextSummarizer = {
  name: 'template',
  summarize: async (input) => templateSummary(input),
};
