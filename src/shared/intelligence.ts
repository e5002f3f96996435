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
