import { describe, expect, it } from 'vitest';
import { runAnalyticsBench } from '../../src/main/bench/analytics.js';

describe('npm run bench:analytics at a small size', () => {
  it('measures first sync, incremental sync, dashboard and the seed SQL over the same data', async () => {
    const r = await runAnalyticsBench({ users: 40, days: 14, increment: 300, quiet: true });
    expect(r.users).toBeGreaterThan(40);
    expect(r.events).toBeGreaterThan(500);
    expect(r.incrementalEvents).toBeGreaterThanOrEqual(300);
    // The incremental sync pulls the new events, not the whole table again.
    expect(r.incrementalEvents).toBeLessThan(r.events / 2);
    for (const k of ['firstSyncSeconds', 'firstSyncEventsPerSecond', 'incrementalSyncSeconds', 'incrementalSettledSeconds', 'dashboardWarmMs', 'seedSqlMs', 'peakRssMb', 'snapshotMb'] as const) {
      expect(r[k]).toBeGreaterThan(0);
    }
    // Every segmented figure beside the unsegmented one: each kind alone, two combinations, a past range.
    expect(r.segments.map((s) => s.name)).toHaveLength(9);
    for (const s of r.segments) {
      expect(s.warmMs, s.name).toBeGreaterThan(0);
      expect(s.columnarWarmMs, s.name).toBeGreaterThan(0);
    }
    // The column store is built after the first sync and updated after each incremental one.
    expect(r.columnarBuildSeconds).toBeGreaterThan(0);
    expect(r.columnarUpdateSeconds).toHaveLength(2);
    expect(r.columnarMb).toBeGreaterThan(0);
    expect(r.segments.find((s) => s.name.startsWith('tool video_gen'))!.users).toBeGreaterThan(0);
    expect(r.usersTableSegment.total).toBeGreaterThan(0);
  }, 180_000);
});
