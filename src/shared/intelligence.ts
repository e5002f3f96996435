import { z } from 'zod';

/**
 * The per-conversation analysis (the seed's JSON plus use_case), produced by the local analyzer or an LLM, and the
 * types the intelligence feature shares between the core, the renderer and the tests.
 */
export const DEFAULT_USE_CASES = ['marketing_content', 'personal_video', 'social_media_clip', 'education', 'research', 'other'] as const;

export const ConversationAnalysis = z.object({
  primary_intent: z.string().min(1).max(300),
  blockers: z.array(z.string().min(1).max(300)).max(20),
  feature_requests: z.array(z.string().min(1).max(300)).max(20),
  satisfaction_signal: z.number().int().min(0).max(10),
  use_case: z.string().min(1).max(60),
});
export type ConversationAnalysis = z.infer<typeof ConversationAnalysis>;

/** The LLM's answer must parse as this; use_case must come from the configured label set. */
export function analysisSchemaFor(useCases: readonly string[]) {
  return ConversationAnalysis.extend({ use_case: z.enum(useCases as [string, ...string[]]) });
}

/** One event of a conversation as the analyzers see it (from the snapshot's events table). */
export interface ConversationEventInput {
  event_type: string | null;
  role: string | null;
  message: string | null;
  tool_name: string | null;
  success: boolean | null;
  error_type: string | null;
  credits: number;
}

export interface ConversationInput {
  id: string;
  user_id: string;
  completion_status: string | null;
  events: ConversationEventInput[];
}

export interface UseCaseRule {
  label: string;
  /** Lower-case words or phrases; a hit in a user message counts for the label. */
  keywords: string[];
  /** Tools whose use hints at the label. */
  tools?: string[];
}

export const DEFAULT_USE_CASE_RULES: UseCaseRule[] = [
  { label: 'marketing_content', keywords: ['ad', 'ads', 'banner', 'campaign', 'promo', 'brand', 'marketing', 'launch', 'product', 'landing page', 'sale', 'logo', 'business', 'customers'] },
  { label: 'social_media_clip', keywords: ['tiktok', 'reel', 'reels', 'youtube', 'short', 'instagram story', 'story', 'followers', 'viral', 'clip', 'post'] },
  { label: 'personal_video', keywords: ['birthday', 'wedding', 'anniversary', 'family', 'vacation', 'mom', 'dad', 'kids', 'dog', 'slideshow', 'memories', 'friend'] },
  { label: 'education', keywords: ['lesson', 'students', 'tutorial', 'explainer', 'teach', 'class', 'course', 'school'] },
  { label: 'research', keywords: ['research', 'compare', 'find', 'best', 'pricing', 'sources', 'search'], tools: ['search'] },
];

export const AnalysisSource = z.enum(['local', 'llm']);
export type AnalysisSource = z.infer<typeof AnalysisSource>;

export const ClusterOutcome = z.object({
  /** Share of the cluster's users who created something (first successful creation tool call). */
  activationRate: z.number().nullable(),
  /** Share of the cluster's users active exactly 7 days after signup, among those whose day 7 has passed. */
  day7Retention: z.number().nullable(),
  /** Mean credits used per conversation of the cluster. */
  creditsPerConversation: z.number().nullable(),
  /** Failed tool calls / tool calls in the cluster's conversations. */
  errorRate: z.number().nullable(),
});

export const IntentCluster = z.object({
  id: z.number().int(),
  label: z.string(),
  topTerms: z.array(z.string()),
  messages: z.number().int(),
  users: z.number().int(),
  share: z.number(),
  examples: z.array(z.string()),
  trend: z.array(z.object({ week: z.string(), messages: z.number().int() })),
  outcome: ClusterOutcome,
  conversationIds: z.array(z.string()),
});
export type IntentCluster = z.infer<typeof IntentCluster>;

export const IntentClustersView = z.object({
  runId: z.string(),
  computedAt: z.string(),
  method: z.enum(['tfidf-spectral', 'embeddings-spectral']),
  k: z.number().int(),
  chosenBy: z.enum(['given', 'silhouette-knee', 'silhouette-max']),
  namedBy: z.enum(['terms', 'llm']),
  totalMessages: z.number().int(),
  /** Messages in groups with fewer distinct users than minUsers: counted, never shown. */
  hiddenMessages: z.number().int(),
  minUsers: z.number().int(),
  clusters: z.array(IntentCluster),
});
export type IntentClustersView = z.infer<typeof IntentClustersView>;

/**
 * What privacy hid from the clusters, said only when it hid something (e.g. "3 messages in groups of fewer than 3 users
 * are not shown"); '' otherwise. The Intelligence page and `uis intelligence` word it the same way.
 */
export function hiddenMessagesNote(view: Pick<IntentClustersView, 'hiddenMessages' | 'minUsers'>): string {
  const n = view.hiddenMessages;
  if (n === 0) return '';
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'message' : 'messages'} in groups of fewer than ${view.minUsers} users ${n === 1 ? 'is' : 'are'} not shown`;
}

export const RankedItem = z.object({
  /** The most frequent wording among the de-duplicated variants. */
  text: z.string(),
  count: z.number().int(),
  userCount: z.number().int(),
  /** Up to 20 user ids who asked / were blocked. */
  users: z.array(z.string()),
  trend: z.array(z.object({ week: z.string(), count: z.number().int() })),
  lastSeen: z.string().nullable(),
});
export type RankedItem = z.infer<typeof RankedItem>;

export const IntelligenceOverview = z.object({
  source: AnalysisSource.nullable(),
  analysedConversations: z.number().int(),
  failedConversations: z.number().int(),
  featureRequests: z.array(RankedItem.extend({ request: z.string() })),
  /**
   * Blockers from events (conversations.blocker: blocker_reason, running out of credits, the last error of an abandoned
   * conversation), as the analytics engine's blockers() counts them: the same list on every surface.
   */
  blockers: z.array(RankedItem),
  /** What the analyses found in the words of the conversations (LLM, else the local rules), labelled as such. */
  mentionedProblems: z.array(RankedItem),
  satisfaction: z.array(z.object({ score: z.number().int(), conversations: z.number().int() })),
  worthReading: z.array(
    z.object({ conversationId: z.string(), userId: z.string(), satisfaction: z.number().int(), primaryIntent: z.string(), blockers: z.array(z.string()), why: z.string() }),
  ),
  intents: IntentClustersView.nullable(),
  lastRun: z
    .object({ runId: z.string(), kind: z.string(), source: z.string(), model: z.string(), state: z.string(), startedAt: z.string(), finishedAt: z.string().nullable(), analysed: z.number().int(), cached: z.number().int(), failed: z.number().int(), requests: z.number().int(), costUsd: z.number().nullable() })
    .nullable(),
  llmConfigured: z.boolean(),
});
export type IntelligenceOverview = z.infer<typeof IntelligenceOverview>;

export const AskQuery = z.object({
  sql: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))),
  /** More rows or bytes than the caps: only the first ones are here (and were sent). */
  truncated: z.boolean(),
  error: z.string().nullable(),
  /** Stopped at the wall-clock limit (UIS_ASK_QUERY_TIMEOUT_MS). */
  timedOut: z.boolean(),
});
export type AskQuery = z.infer<typeof AskQuery>;

export const AskResult = z.object({
  question: z.string(),
  /** False when no LLM is configured: `message` says what to set. */
  configured: z.boolean(),
  answer: z.string().nullable(),
  message: z.string().nullable(),
  /** Every statement the LLM ran, with its result table (or the reason it was refused). */
  queries: z.array(AskQuery),
  /** Figures in the answer found in no result; empty when every number is backed. */
  unsupportedNumbers: z.array(z.string()),
  verified: z.boolean(),
  /** The conversation as sent to the LLM (after redaction). */
  sent: z.array(z.object({ role: z.string(), content: z.string() })),
});
export type AskResult = z.infer<typeof AskResult>;
