import { describe, expect, it } from 'vitest';
import { profileLabels, type ActivityFacts } from '../../src/main/profiles/rules.js';

const facts = (over: Partial<ActivityFacts>): ActivityFacts => ({ signupDay: '2026-03-01', activeDays: ['2026-03-01'], creations: 0, creditsUsed: 0, creditExhaustionEpisodes: 0, ...over });

describe('profile labels follow the dashboard definitions (src/shared/metrics.ts)', () => {
  it('activation: signed_up → first_creation → power_user, dormant after 14 quiet days', () => {
    expect(profileLabels(facts({}), '2026-03-01').activation).toBe('signed_up');
    expect(profileLabels(facts({ creations: 1 }), '2026-03-01').activation).toBe('first_creation');
    expect(profileLabels(facts({ creations: 5, activeDays: ['2026-03-01', '2026-03-02', '2026-03-04'] }), '2026-03-05').activation).toBe('power_user');
    expect(profileLabels(facts({ creations: 1, creditExhaustionEpisodes: 1 }), '2026-03-01').activation).toBe('power_user');
    // High usage alone is not running out.
    expect(profileLabels(facts({ creditsUsed: 90 }), '2026-03-01').activation).toBe('signed_up');
    expect(profileLabels(facts({ creations: 9 }), '2026-03-15').activation).toBe('dormant');
    expect(profileLabels(facts({ creations: 9 }), '2026-03-14').activation).toBe('first_creation');
  });

  it('retention: day_1, week_1 (active 2–6 days after signup), week_2 (7+), churned', () => {
    expect(profileLabels(facts({ activeDays: ['2026-03-01', '2026-03-02'] }), '2026-03-02').retention).toBe('day_1');
    expect(profileLabels(facts({ activeDays: ['2026-03-01', '2026-03-04'] }), '2026-03-05').retention).toBe('week_1');
    expect(profileLabels(facts({ activeDays: ['2026-03-01', '2026-03-09'] }), '2026-03-10').retention).toBe('week_2');
    // Only the signup day, and two days have passed: churned.
    expect(profileLabels(facts({}), '2026-03-03').retention).toBe('churned');
    expect(profileLabels(facts({ signupDay: null }), '2026-03-03').retention).toBeNull();
  });
});
