import { describe, expect, it } from 'vitest';
import { contextPrompt } from '../../src/main/context/load.js';
import { isoTs } from '../../src/main/profiles/store.js';
import { ContextQuery, pickFields, type UserContext } from '../../src/shared/context.js';

const ctx: Required<Omit<UserContext, 'prompt'>> = {
  user_id: 'alice',
  updated_at: '2026-03-10T12:00:00.000Z',
  profile: {
    email: null, created_at: '2026-03-01T10:00:00.000Z', last_active_at: '2026-03-09T10:00:00.000Z', total_conversations: 3, total_messages: 5,
    total_credits_used: 94, primary_use_case: 'marketing_content', preferred_tools: [{ tool: 'video_gen', count: 3, share: 0.75 }, { tool: 'image_gen', count: 1, share: 0.25 }],
    average_session_length: 12, completion_rate: 0.67, retention_cohort: 'week_2', activation_status: 'power_user', credit_exhaustion_count: 1,
  },
  preferences: [{ key: 'aspect_ratio', value: '9:16', source: 'stated', confidence: 0.9, count: 1, last_seen: '2026-03-09T10:00:00.000Z', history: [] }],
  summary: 'Mainly uses the product for marketing content.',
  frequent_prompts: ['make an ad for my shoe brand'],
  recent_conversations: [{ id: 'c3', started_at: null, last_message_at: null, intent: 'Product launch teaser', outcome: 'blocked_by_credits', blocker: 'ran out of credits', tools: {}, credits_used: 82 }],
  credits: { allowance: 100, used: 94, left: 6 },
};

describe('context prompt block and ?fields=', () => {
  it('writes one line per kind of fact, ready for a system prompt', () => {
    expect(contextPrompt(ctx)).toBe(
      [
        'What we know about this user (User Intelligence System, profile updated 2026-03-10 12:00 UTC):',
        '- Mostly uses the product for: marketing content.',
        '- Favourite tools: video_gen, image_gen.',
        '- Preferences (apply unless the user asks otherwise): aspect ratio = 9:16 (stated by the user, high confidence).',
        '- Often asks for: "make an ad for my shoe brand".',
        '- Recent conversations: "Product launch teaser" → blocked by credits (blocked: ran out of credits).',
        '- Credits left: 6 of 100 (nearly out: suggest cheaper options or mention upgrading).',
        '- Summary: Mainly uses the product for marketing content.',
        'Use this to tailor the reply; do not recite it to the user.',
      ].join('\n'),
    );
  });

  it('validates and applies the field selection', () => {
    expect(ContextQuery.parse({ fields: 'prompt, credits' })).toEqual({ fields: ['prompt', 'credits'] });
    expect(ContextQuery.safeParse({ fields: 'prompt,password' }).success).toBe(false);
    expect(ContextQuery.safeParse({ fields: ',' }).error?.issues[0].message).toBe('name at least one field');
    expect(pickFields({ ...ctx, prompt: 'p' }, ['credits'])).toEqual({ user_id: 'alice', updated_at: '2026-03-10T12:00:00.000Z', credits: { allowance: 100, used: 94, left: 6 } });
  });
});

describe('timestamps', () => {
  it('are canonical ISO strings even when PostgreSQL trims the fraction', () => {
    expect(isoTs('2026-11-28T04:54:50.67Z')).toBe('2026-11-28T04:54:50.670Z');
    expect(isoTs('2026-11-28T04:54:50.000Z')).toBe('2026-11-28T04:54:50.000Z');
    expect(isoTs(null)).toBeNull();
  });
});
