import { describe, expect, it } from 'vitest';
import { observedChoices, promptPattern, statedPreferences } from '../../src/main/profiles/extract.js';
import { derivePreferences, preferencesMap } from '../../src/shared/profile.js';

describe('observed tool choices', () => {
  it('keeps short categorical params, normalizes aliases, and skips the free text of a request', () => {
    expect(
      observedChoices({ prompt: 'a cat surfing a wave at sunset', style: 'Cinematic', orientation: 'vertical', duration: 15, seed: 42, hd: true }),
    ).toEqual([
      { key: 'style', value: 'cinematic' },
      { key: 'aspect_ratio', value: '9:16' },
      { key: 'duration', value: '15' },
      { key: 'hd', value: 'true' },
    ]);
    expect(observedChoices({ style: 'a long description of a very particular look' })).toEqual([]);
    expect(observedChoices(null)).toEqual([]);
    expect(observedChoices(['style'])).toEqual([]);
  });
});

describe('stated preferences', () => {
  it('reads lasting preferences with a marker, and not one-off requests or negations', () => {
    expect(statedPreferences('Always make it vertical please')).toEqual([{ key: 'aspect_ratio', value: '9:16', excerpt: 'Always make it vertical please' }]);
    expect(statedPreferences('I prefer a professional tone.')).toMatchObject([{ key: 'tone', value: 'professional' }]);
    expect(statedPreferences('From now on keep videos at 15 seconds, in Spanish')).toMatchObject([
      { key: 'language', value: 'spanish' },
      { key: 'duration', value: '15' },
    ]);
    expect(statedPreferences('make it vertical')).toEqual([]);
    expect(statedPreferences('never make it vertical again')).toEqual([]);
    expect(statedPreferences('I always want the anime style. Thanks!')).toMatchObject([{ key: 'style', value: 'anime' }]);
  });
});

describe('prompt patterns', () => {
  it('groups the same request written differently', () => {
    expect(promptPattern('Please make 3 product videos!')).toBe('make # product videos');
    expect(promptPattern('make 5 product videos')).toBe('make # product videos');
    expect(promptPattern('ok')).toBeNull();
    expect(promptPattern('x '.repeat(100))!.length).toBeLessThanOrEqual(80);
  });
});

describe('derivePreferences', () => {
  const obs = (key: string, value: string, count: number, last = '2026-03-01T10:00:00.000Z') => ({ key, value, count, first_seen: last, last_seen: last });
  const st = (event_id: string, key: string, value: string, stated_at: string) => ({ event_id, key, value, stated_at, excerpt: `${key} ${value}` });

  it('a newer statement supersedes an older contradicting one and keeps the history', () => {
    const prefs = derivePreferences(
      [obs('aspect_ratio', '9:16', 4)],
      [st('e2', 'aspect_ratio', '16:9', '2026-03-02T10:00:00.000Z'), st('e1', 'aspect_ratio', '9:16', '2026-03-01T10:00:00.000Z')],
    );
    expect(prefs).toHaveLength(1);
    expect(prefs[0]).toMatchObject({ key: 'aspect_ratio', value: '16:9', source: 'stated', count: 1, last_seen: '2026-03-02T10:00:00.000Z' });
    expect(prefs[0].history).toEqual([
      { value: '9:16', stated_at: '2026-03-01T10:00:00.000Z', excerpt: 'aspect_ratio 9:16', superseded_at: '2026-03-02T10:00:00.000Z' },
      { value: '16:9', stated_at: '2026-03-02T10:00:00.000Z', excerpt: 'aspect_ratio 16:9', superseded_at: null },
    ]);
    expect(prefs[0].confidence).toBe(0.85);
  });

  it('observed preferences need repeated choices; confidence grows with count and consistency', () => {
    const prefs = derivePreferences([obs('style', 'cinematic', 8), obs('style', 'anime', 2), obs('tone', 'casual', 1)], []);
    expect(prefs).toEqual([
      { key: 'style', value: 'cinematic', source: 'observed', confidence: 0.71, count: 8, last_seen: '2026-03-01T10:00:00.000Z', history: [] },
    ]);
    expect(preferencesMap(prefs)).toEqual({ style: 'cinematic' });
  });
});
