import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  METRIC_DEFINITIONS,
  PMF_SIGNAL_DEFINITIONS,
  addDays,
  classifyUseCase,
  daysBetween,
  messageSignalFlags,
  MESSAGE_SIGNAL_BITS,
  weekStart,
} from '../../src/shared/metrics.js';

describe('metric definitions', () => {
  const doc = fs.readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');

  it('docs/metrics.md documents every metric and PMF signal', () => {
    for (const [id, d] of Object.entries(METRIC_DEFINITIONS)) {
      expect(doc, id).toContain(`\`${id}\``);
      expect(doc, id).toContain(d.rule);
    }
    for (const s of PMF_SIGNAL_DEFINITIONS) expect(doc, s.id).toContain(`\`${s.id}\``);
  });

  it('message signals: feature requests, praise, sharing, preferences, blockers', () => {
    const has = (text: string, bit: keyof typeof MESSAGE_SIGNAL_BITS) => (messageSignalFlags(text) & MESSAGE_SIGNAL_BITS[bit]) !== 0;
    expect(has('Can you add subtitles?', 'feature_request')).toBe(true);
    expect(has('I wish it was faster', 'feature_request')).toBe(true);
    expect(has('is there a way to export?', 'feature_request')).toBe(true);
    expect(has('Please add 4K', 'feature_request')).toBe(true);
    expect(has('I love this!', 'praise')).toBe(true);
    expect(has('I invited my cofounder', 'sharing')).toBe(true);
    expect(has('Always make it vertical', 'preference')).toBe(true);
    expect(has("It doesn't work", 'blocker')).toBe(true);
    expect(messageSignalFlags('Make a video of a cat')).toBe(0);
    expect(messageSignalFlags(null)).toBe(0);
  });

  it('use cases and UTC calendar helpers', () => {
    expect(classifyUseCase('Make a TikTok reel')).toBe('social_media_clip');
    expect(classifyUseCase('Birthday video for my mom')).toBe('personal_video');
    expect(classifyUseCase('Launch campaign ad')).toBe('marketing_content');
    expect(classifyUseCase('hello')).toBe('other');
    expect(classifyUseCase(null)).toBe('other');
    expect(weekStart('2026-03-01')).toBe('2026-02-23'); // Sunday → the Monday before
    expect(weekStart('2026-03-02')).toBe('2026-03-02');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(daysBetween('2026-03-02', '2026-03-09')).toBe(7);
  });
});
