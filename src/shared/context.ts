import { z } from 'zod';
import { UserId } from './event.js';
import type { Preference } from './profile.js';

export { UserId };

/** Parts of GET /v1/users/:id/context that ?fields= can select (user_id and updated_at always come back). */
export const CONTEXT_FIELDS = ['profile', 'preferences', 'summary', 'frequent_prompts', 'recent_conversations', 'credits', 'prompt'] as const;
export type ContextField = (typeof CONTEXT_FIELDS)[number];

export const ContextParams = z.object({ id: UserId }).strict();

/** ?fields=profile,prompt: a comma-separated subset of CONTEXT_FIELDS; absent = everything. */
export const ContextQuery = z
  .object({
    fields: z
      .string()
      .max(200)
      .transform((s) => s.split(',').map((f) => f.trim()).filter(Boolean))
      .pipe(z.array(z.enum(CONTEXT_FIELDS, { message: `each field must be one of ${CONTEXT_FIELDS.join(', ')}` })).min(1, 'name at least one field'))
      .optional(),
  })
  .strict();

export interface ContextProfile {
  email: string | null;
  created_at: string | null;
  last_active_at: string | null;
  total_conversations: number;
  total_messages: number;
  total_credits_used: number;
  primary_use_case: string | null;
  preferred_tools: Array<{ tool: string; count: number; share: number }>;
  average_session_length: number | null;
  completion_rate: number | null;
  retention_cohort: string | null;
  activation_status: string | null;
  credit_exhaustion_count: number;
}

export interface RecentConversation {
  id: string;
  started_at: string | null;
  last_message_at: string | null;
  intent: string | null;
  outcome: string;
  blocker: string | null;
  tools: Record<string, number>;
  credits_used: number;
}

export interface UserContext {
  user_id: string;
  /** When the profile last changed (the freshness a caller can check). */
  updated_at: string;
  profile?: ContextProfile;
  preferences?: Preference[];
  summary?: string | null;
  frequent_prompts?: string[];
  recent_conversations?: RecentConversation[];
  credits?: { allowance: number; used: number; left: number };
  /** Ready to paste into the chat service's system prompt. */
  prompt?: string;
}

export function pickFields(ctx: UserContext, fields: readonly ContextField[] | undefined): UserContext {
  if (!fields) return ctx;
  const out: UserContext = { user_id: ctx.user_id, updated_at: ctx.updated_at };
  for (const f of fields) (out as unknown as Record<string, unknown>)[f] = ctx[f];
  return out;
}
