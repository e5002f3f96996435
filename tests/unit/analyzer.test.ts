import { describe, expect, it } from 'vitest';
import { analyzeConversationLocally, classifyUseCase, extractFeatureRequests } from '../../src/main/intelligence/analyzer.js';
import type { ConversationEventInput, ConversationInput } from '../../src/shared/intelligence.js';

const msg = (message: string): ConversationEventInput => ({ event_type: 'message', role: 'user', message, tool_name: null, success: null, error_type: null, credits: 0 });
const tool = (tool_name: string, success: boolean, error_type: string | null = null): ConversationEventInput => ({ event_type: 'tool_call', role: null, message: null, tool_name, success, error_type, credits: 2 });
const conv = (events: ConversationEventInput[], completion_status: string | null = null): ConversationInput => ({ id: 'c1', user_id: 'u1', completion_status, events });

describe('local analyzer', () => {
  it('extracts feature requests from the four phrasings and ignores ordinary tasks', () => {
    expect(
      extractFeatureRequests([
        'Can you make a TikTok clip of a cat surfing',
        'Can you add subtitles to the video?',
        'I wish I could edit the video after it is generated',
        'Is there a way to export in 4K?',
        'Please add a background remover, thanks!',
        'Make it brighter',
      ]),
    ).toEqual(['add subtitles to the video', 'edit the video after it is generated', 'export in 4k', 'a background remover']);
  });

  it('classifies the use case from the first message and the rest', () => {
    expect(classifyUseCase(['Make a birthday video for my mom', 'Add some text on top'], ['video_gen'])).toBe('personal_video');
    expect(classifyUseCase(['Design an Instagram ad for my bakery brand'], ['image_gen'])).toBe('marketing_content');
    expect(classifyUseCase(['Make a TikTok clip of a cat surfing'], ['video_gen'])).toBe('social_media_clip');
    expect(classifyUseCase(['hello'], [])).toBe('other');
  });

  it('finds blockers from errors, credits and words, and scores a frustrated abandoned conversation low', () => {
    const a = analyzeConversationLocally(
      conv([msg('I need a promo video for my product launch'), tool('video_gen', false, 'timeout'), tool('video_gen', false, 'timeout'), msg("It keeps failing, this doesn't work")], 'abandoned'),
    );
    expect(a.use_case).toBe('marketing_content');
    expect(a.primary_intent).toBe('I need a promo video for my product launch');
    expect(a.blockers[0]).toBe('video_gen failed: timeout');
    expect(a.blockers).toContain('said generation keeps failing');
    expect(a.satisfaction_signal).toBeLessThanOrEqual(2);
    expect(a.evidence).toContain('-2 abandoned');
  });

  it('scores praise, thanks and sharing high and reports credit exhaustion as a blocker', () => {
    const happy = analyzeConversationLocally(conv([msg('Make a funny reel for my followers'), tool('video_gen', true), msg('I love this! thank you'), msg('I shared this with my team')], 'completed'));
    expect(happy.satisfaction_signal).toBe(10);
    expect(happy.blockers).toEqual([]);
    const blocked = analyzeConversationLocally(conv([msg('Make a wedding anniversary slideshow video'), tool('video_gen', true)], 'blocked_by_credits'));
    expect(blocked.blockers).toEqual(['out of credits']);
    expect(blocked.satisfaction_signal).toBe(5);
    // An insufficient_credits error is the same event-derived blocker, once per conversation.
    const error = analyzeConversationLocally(conv([msg('Make a reel'), tool('video_gen', false, 'insufficient_credits'), tool('video_gen', false, 'insufficient_credits')], 'blocked_by_credits'));
    expect(error.blockers).toEqual(['out of credits']);
  });

  it('talk about pricing is labelled as what it is, never "out of credits" (every call succeeded, 2 credits)', () => {
    const pricing = analyzeConversationLocally(conv([msg('This is too expensive, do I need to upgrade? What is the pricing?'), tool('image_gen', true)], 'completed'));
    expect(pricing.blockers).toEqual(['asked about pricing or credits']);
    expect(pricing.blockers).not.toContain('out of credits');
    // Event-derived blockers come first, what was said after them.
    const both = analyzeConversationLocally(conv([msg('Out of credits again? too expensive'), tool('video_gen', false, 'insufficient_credits')], 'blocked_by_credits'));
    expect(both.blockers).toEqual(['out of credits', 'asked about pricing or credits']);
  });

  it('is deterministic', () => {
    const c = conv([msg('Is there a way to schedule posts to TikTok?'), tool('image_gen', false, 'content_policy')]);
    expect(analyzeConversationLocally(c)).toEqual(analyzeConversationLocally(c));
  });
});
