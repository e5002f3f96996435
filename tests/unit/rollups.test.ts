import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { rowsFromDemo } from '../../src/main/demo/sinks.js';
import { SnapshotWriter } from '../../src/main/snapshot/apply.js';
import { ROLLUPS_VERSION } from '../../src/main/snapshot/rollups.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { addDays, type Filters } from '../../src/shared/metrics.js';

// The dashboard read from the rollups (src/main/snapshot/rollups.ts) must equal the dashboard computed from the
// tables, for every kind of range and segment, after a first load, incremental writes and a forgotten user.
const END = '2026-03-31';
const NOW = () => new Date(`${END}T12:00:00Z`);
const data = generateDemo({ users: 160, days: 40, seed: 11, endDay: END });
const rows = rowsFromDemo(data);
// Held back and applied later: the last four days' events, a new user, and conversations that grow.
const cut = `${addDays(END, -3)}T00:00:00.000Z`;
const early = rows.events.filter((e) => new Date(e.timestamp).toISOString() < cut);
const late = rows.events.filter((e) => new Date(e.timestamp).toISOString() >= cut);

// Until the last data is loaded (test 3), only ranges ending on END reach the per-user totals: the held-back
// conversations already start on the last days.
const FILTER_SETS: Filters[] = [
  {},
  { until: END },
  { since: addDays(END, -6), until: END },
  { until: END, activation: ['dormant', 'signed_up'] },
  { since: addDays(END, -6) },
  { since: addDays(END, -29) },
  { since: addDays(END, -20), until: addDays(END, -8) },
  { until: addDays(END, -2) },
  { tools: ['video_gen'] },
  { activation: ['power_user', 'first_creation'] },
  { useCases: ['marketing_content'], since: addDays(END, -13) },
];

/** What the two engines must agree on: everything but the clock. */
function comparable(engine: AnalyticsEngine, filters: Filters) {
  const { computeMs: _c, generatedAt: _g, snapshot: _s, ...rest } = engine.dashboard(filters);
  return rest;
}

function expectSameDashboards(snapshot: Snapshot) {
  const fast = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
  const slow = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW, { rollups: false });
  for (const f of FILTER_SETS) expect(comparable(fast, f), JSON.stringify(f)).toEqual(comparable(slow, f));
}

describe('rollups', () => {
  let snapshot: Snapshot;
  let writer: SnapshotWriter;
  beforeAll(() => {
    snapshot = openSnapshot(':memory:');
    writer = new SnapshotWriter(snapshot);
    writer.beginBulkLoad();
    writer.apply({ users: rows.users.filter((u) => u.user_id !== rows.users[0].user_id), conversations: rows.conversations, events: early });
    writer.finish();
  });
  afterAll(() => snapshot.close());

  it('after a first load, every range and segment gives the same dashboard from the rollups as from the tables', () => {
    expect(snapshot.getMeta('rollups')).toBe(ROLLUPS_VERSION);
    const count = (sql: string) => snapshot.db.prepare(sql).pluck().get() as number;
    expect(count('SELECT COUNT(*) FROM user_totals')).toBe(count('SELECT COUNT(*) FROM (SELECT user_id FROM agg_user_day UNION SELECT user_id FROM conversations)'));
    expect(count('SELECT SUM(conversations) FROM agg_conversation_day')).toBe(count('SELECT COUNT(*) FROM conversations WHERE start_day IS NOT NULL'));
    expectSameDashboards(snapshot);
  });

  it('the default view is read from the rollups (a changed rollup row shows in it)', () => {
    const fast = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
    const all = { until: END }; // on or after the latest data: the per-user totals answer
    const before = fast.dashboard(all);
    snapshot.db.exec(`UPDATE agg_day SET events = events + 1000 WHERE day = (SELECT MAX(day) FROM agg_day)`);
    snapshot.db.exec(`UPDATE user_totals SET credits = 500 WHERE user_id = (SELECT MIN(user_id) FROM user_totals WHERE credits < 90 AND user_id IN (SELECT user_id FROM users))`);
    try {
      const after = fast.dashboard(all);
      expect(after.summary.totals.events).toBe(before.summary.totals.events + 1000);
      expect(after.creditExhaustion.length).toBe(before.creditExhaustion.length + 1);
    } finally {
      snapshot.db.exec(`UPDATE agg_day SET events = events - 1000 WHERE day = (SELECT MAX(day) FROM agg_day)`);
    }
    // Restored from the tables by a full rebuild (as after a writer that stopped before finishing).
    snapshot.setMeta('rollups', 'stale');
    const rebuild = new SnapshotWriter(snapshot);
    rebuild.finish();
    expect(snapshot.getMeta('rollups')).toBe(ROLLUPS_VERSION);
    expect(fast.dashboard(all).creditExhaustion).toEqual(before.creditExhaustion);
  });

  it('while a write is not finished the engine reads the tables; incremental writes keep the rollups right (deltas per day, touched users recomputed)', () => {
    // Late events: new days, conversations already known that grow, conversations and a user that are new.
    writer.apply({ users: [rows.users[0]], events: late });
    expect(snapshot.getMeta('rollups')).toBe('stale');
    const slow = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW, { rollups: false });
    const fast = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
    expect(comparable(fast, {})).toEqual(comparable(slow, {}));

    writer.apply({ conversations: rows.conversations });
    writer.finish();
    expect(snapshot.getMeta('rollups')).toBe(ROLLUPS_VERSION);
    expectSameDashboards(snapshot);
    // All of the data is in: the default view counts every conversation and event of the demo.
    const d = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW).dashboard({});
    expect(d.summary.totals.conversations).toBe(rows.conversations.length);
    expect(d.summary.totals.events).toBe(rows.events.length);
  });

  it('a forgotten user leaves every rollup', () => {
    const engine = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
    const before = engine.dashboard({});
    const victim = engine.creditExhaustion({})[0].userId;
    const theirConversations = rows.conversations.filter((c) => c.user_id === victim).length;
    expect(writer.forgetUsers([victim])).toBe(1);
    writer.finish();
    expect(snapshot.db.prepare('SELECT COUNT(*) FROM user_totals WHERE user_id = ?').pluck().get(victim)).toBe(0);
    const after = engine.dashboard({});
    expect(after.summary.totals.conversations).toBe(before.summary.totals.conversations - theirConversations);
    expect(after.creditExhaustion.map((r) => r.userId)).not.toContain(victim);
    expectSameDashboards(snapshot);
  });
});
