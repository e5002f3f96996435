import { describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToSnapshot } from '../../src/main/demo/sinks.js';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';
import { EventInput, UserInput } from '../../src/shared/event.js';
import { Dashboard, FilterOptions, UserDetail, UserList } from '../../src/shared/metrics.js';

describe('generateDemo', () => {
  const opts = { users: 100, days: 30, seed: 42, endDay: '2026-11-27' };

  it('is deterministic: same seed, same data; another seed, other data', () => {
    const a = generateDemo(opts);
    expect(JSON.stringify(generateDemo(opts))).toBe(JSON.stringify(a));
    expect(JSON.stringify(generateDemo({ ...opts, seed: 43 }))).not.toBe(JSON.stringify(a));
  });

  it('produces valid events inside the requested window', () => {
    const d = generateDemo(opts);
    expect(d.users).toHaveLength(100);
    expect(d.range).toEqual({ since: '2026-10-29', until: '2026-11-27' });
    for (const u of d.users) expect(UserInput.safeParse(u).success).toBe(true);
    for (const e of d.events) {
      expect(EventInput.safeParse(e).success).toBe(true);
      expect(e.timestamp >= '2026-10-29' && e.timestamp <= '2026-11-27T23:59:59.999Z').toBe(true);
    }
  });

  it('stops at the given instant; by default nothing lies in the future', () => {
    const cut = generateDemo({ ...opts, endAt: '2026-11-27T09:00:00.000Z' });
    const last = (d: typeof cut) => [...d.events.map((e) => e.timestamp), ...d.users.map((u) => u.created_at)].sort().at(-1)!;
    expect(last(cut) <= '2026-11-27T09:00:00.000Z').toBe(true);
    expect(last(generateDemo(opts)) > '2026-11-27T09:00:00.000Z').toBe(true); // the whole day without endAt
    const now = new Date().toISOString();
    const live = generateDemo({ users: 100, days: 30, seed: 42 });
    expect(live.range.until).toBe(now.slice(0, 10));
    expect(last(live) <= new Date().toISOString()).toBe(true);
  });

  it('has what the dashboard needs to show: tools, error types, statuses, exhaustion, use cases, signals', () => {
    const snapshot = openSnapshot(':memory:');
    writeDemoToSnapshot(snapshot, generateDemo(opts));
    const engine = new AnalyticsEngine(snapshot);
    const d = engine.dashboard({});
    const options = engine.filterOptions();
    expect(options.tools).toEqual(expect.arrayContaining(['image_gen', 'video_gen', 'search', 'upscale', 'voice_gen']));
    expect(options.useCases).toEqual(expect.arrayContaining(['marketing_content', 'personal_video', 'social_media_clip']));
    expect(new Set(d.failurePoints.map((f) => f.errorType))).toEqual(new Set(['timeout', 'content_policy', 'rate_limited', 'insufficient_credits', 'invalid_params', 'model_overloaded']));
    expect(Object.keys(d.usageHealth.completionByStatus)).toEqual(expect.arrayContaining(['completed', 'abandoned', 'blocked_by_credits']));
    expect(d.summary.ranOut.count).toBeGreaterThan(5);
    expect(d.summary.ranOut.count).toBeLessThan(50);
    expect(d.featureRequests.length).toBeGreaterThan(3);
    expect(d.journey.steps[1].count).toBeLessThan(d.journey.steps[0].count); // some users never chat
    for (const id of ['praise', 'organic_sharing', 'feature_requests']) {
      expect(d.pmfSignals.find((p) => p.id === id)!.evidence.total).toBeGreaterThan(0);
    }
    const prefs = snapshot.db.prepare("SELECT COUNT(*) AS n FROM events WHERE (flags & 8) <> 0").get() as { n: number };
    expect(prefs.n).toBeGreaterThan(0);
    const params = snapshot.db.prepare("SELECT params FROM events WHERE tool_name = 'video_gen' AND params IS NOT NULL LIMIT 1").pluck().get() as string;
    expect(Object.keys(JSON.parse(params))).toEqual(expect.arrayContaining(['style', 'tone', 'aspect_ratio', 'duration']));
    // Every result matches its zod schema in src/shared (the contract the workbench validates against).
    expect(Dashboard.safeParse(d).success).toBe(true);
    expect(Dashboard.safeParse(engine.dashboard({ tools: ['video_gen'], since: '2026-11-10' })).success).toBe(true);
    expect(UserList.safeParse(engine.listUsers({ limit: 10 })).success).toBe(true);
    expect(UserDetail.safeParse(engine.userDetail(engine.listUsers({ limit: 1 }).rows[0].userId)).success).toBe(true);
    expect(FilterOptions.safeParse(options).success).toBe(true);
    snapshot.close();
  });
});
