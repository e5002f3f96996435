import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { Planner } from '../../src/main/analytics/planner.js';
import { creditExhaustion, ranOutUsers } from '../../src/main/analytics/runners/credits.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { rowsFromDemo } from '../../src/main/demo/sinks.js';
import { SnapshotWriter } from '../../src/main/snapshot/apply.js';
import { DAY_ROLLUPS, ROLLUPS_VERSION, type DayRollup } from '../../src/main/snapshot/rollups.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { CREATION_TOOLS, CREDITS_LIST_ROWS, CREDIT_EXHAUSTION_ERRORS, DORMANT_AFTER_DAYS, HIGH_USAGE_CREDITS, addDays, daysBetween, isCreditExhaustionEvent, weekStart, type Filters } from '../../src/shared/metrics.js';

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

/** Each per-day rollup's rows (kept by deltas) equal its own source SELECT over the tables: the one description holds. */
function expectDayRollupsMatchSources(snapshot: Snapshot) {
  for (const r of Object.values(DAY_ROLLUPS) as DayRollup[]) {
    const columns = [...r.key, ...r.sums].join(', ');
    const order = `ORDER BY ${r.key.join(', ')}`;
    const kept = snapshot.db.prepare(`SELECT ${columns} FROM ${r.table} ${order}`).all();
    expect(kept.length, r.table).toBeGreaterThan(0);
    expect(kept, r.table).toEqual(snapshot.db.prepare(`SELECT ${columns} FROM (${r.source('1')}) ${order}`).all());
  }
}

function expectSameDashboards(snapshot: Snapshot) {
  expectDayRollupsMatchSources(snapshot);
  const fast = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
  const slow = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW, { rollups: false });
  for (const f of FILTER_SETS) expect(comparable(fast, f), JSON.stringify(f)).toEqual(comparable(slow, f));
}

/** Each user's first conversation, tool call, creation and credit exhaustion, replayed from the events in time order. */
function replayFirsts(events: typeof rows.events, conversations: typeof rows.conversations) {
  const out = new Map<string, { first_conversation_at: string | null; first_tool_at: string | null; first_creation_at: string | null; exhausted_at: string | null }>();
  const get = (id: string) => {
    if (!out.has(id)) out.set(id, { first_conversation_at: null, first_tool_at: null, first_creation_at: null, exhausted_at: null });
    return out.get(id)!;
  };
  for (const c of conversations) {
    const at = new Date(c.started_at!).toISOString();
    const u = get(c.user_id);
    if (!u.first_conversation_at || at < u.first_conversation_at) u.first_conversation_at = at;
  }
  const sorted = events.map((e) => ({ ...e, ts: new Date(e.timestamp).toISOString() })).sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.id! < b.id! ? -1 : 1));
  for (const e of sorted) {
    const u = get(e.user_id);
    if (e.event_type === 'tool_call') {
      u.first_tool_at ??= e.ts;
      if (e.success === true && (CREATION_TOOLS as readonly string[]).includes(e.tool_name ?? '')) u.first_creation_at ??= e.ts;
    }
    // Ran out: the first exhaustion event of a conversation (high usage alone is not running out).
    const blocked = (e.event_type === 'completion' && e.content?.completion_status === 'blocked_by_credits') || (CREDIT_EXHAUSTION_ERRORS as readonly string[]).includes(String(e.content?.error));
    if (blocked && e.conversation_id) u.exhausted_at ??= e.ts;
  }
  return out;
}

function expectDerivedTimes(snapshot: Snapshot, events: typeof rows.events, conversations: typeof rows.conversations) {
  const expected = replayFirsts(events, conversations);
  const stored = snapshot.db.prepare('SELECT user_id, first_conversation_at, first_tool_at, first_creation_at, exhausted_at FROM users').all() as Array<{ user_id: string }>;
  expect(stored.filter((u) => expected.get(u.user_id)?.exhausted_at).length).toBeGreaterThan(10);
  for (const u of stored) expect(u, u.user_id).toEqual({ user_id: u.user_id, ...(expected.get(u.user_id) ?? { first_conversation_at: null, first_tool_at: null, first_creation_at: null, exhausted_at: null }) });
}


/**
 * A segment's numbers computed straight from the plain tables (users, events, conversations), without the engine:
 * its users by the rules of docs/metrics.md (signed up by the end of the range; signup week; activation status as of
 * the end of the range; a tool used, a use case's conversation started, inside the range), then their activity.
 */
function segmentReference(snapshot: Snapshot, f: Filters) {
  const db = snapshot.db;
  const until = f.until ?? (db.prepare('SELECT MAX(day) FROM events').pluck().get() as string);
  const since = f.since ?? null;
  const inRange = (day: string | null) => day !== null && day <= until && (since === null || day >= since);
  type Ev = { user_id: string; day: string; event_type: string; role: string | null; tool_name: string | null; success: number | null; credits: number; conversation_id: string | null; error_type: string | null; completion_status: string | null };
  const events = db.prepare('SELECT user_id, day, event_type, role, tool_name, success, credits, conversation_id, error_type, completion_status FROM events').all() as Ev[];
  const conversations = db.prepare('SELECT user_id, start_day, use_case, completion_status FROM conversations').all() as Array<{ user_id: string; start_day: string | null; use_case: string | null; completion_status: string | null }>;
  const users = db.prepare('SELECT user_id, signup_day, signup_week, first_conversation_at FROM users').all() as Array<{ user_id: string; signup_day: string | null; signup_week: string | null; first_conversation_at: string | null }>;
  const facts = new Map<string, { days: Set<string>; creations: number; exhausted: boolean; tools: Set<string> }>();
  const factsOf = (id: string) => facts.get(id) ?? facts.set(id, { days: new Set(), creations: 0, exhausted: false, tools: new Set() }).get(id)!;
  for (const e of events) {
    if (e.day > until) continue;
    const u = factsOf(e.user_id);
    u.days.add(e.day);
    if (e.event_type === 'tool_call' && e.success === 1 && (CREATION_TOOLS as readonly string[]).includes(e.tool_name ?? '')) u.creations++;
    if (e.conversation_id !== null && isCreditExhaustionEvent(e.event_type, e.error_type, e.completion_status)) u.exhausted = true;
    if (e.event_type === 'tool_call' && e.tool_name !== null && inRange(e.day)) u.tools.add(e.tool_name);
  }
  const useCases = new Map<string, Set<string | null>>();
  for (const c of conversations) if (inRange(c.start_day)) (useCases.get(c.user_id) ?? useCases.set(c.user_id, new Set()).get(c.user_id)!).add(c.use_case);
  const members = new Set<string>();
  for (const u of users) {
    const signupDay = u.signup_day ?? u.first_conversation_at?.slice(0, 10) ?? null;
    if (signupDay !== null && signupDay > until) continue;
    const x = factsOf(u.user_id);
    const lastDay = [...x.days].sort().pop() ?? null;
    const age = signupDay === null ? -1 : daysBetween(signupDay, until);
    const activation =
      (lastDay === null || lastDay < addDays(until, -(DORMANT_AFTER_DAYS - 1))) && age >= DORMANT_AFTER_DAYS ? 'dormant'
      : (x.creations >= 5 && x.days.size >= 3) || x.exhausted ? 'power_user'
      : x.creations >= 1 ? 'first_creation'
      : 'signed_up';
    const week = u.signup_week ?? (signupDay === null ? null : weekStart(signupDay));
    if (f.signupCohorts?.length && !f.signupCohorts.includes(week!)) continue;
    if (f.activation?.length && !(f.activation as string[]).includes(activation)) continue;
    if (f.tools?.length && !f.tools.some((t) => x.tools.has(t))) continue;
    if (f.useCases?.length && !f.useCases.some((c) => useCases.get(u.user_id)?.has(c))) continue;
    members.add(u.user_id);
  }
  const first = since ?? (db.prepare('SELECT MIN(day) FROM events').pluck().get() as string);
  const days = new Map<string, { day: string; activeUsers: number; events: number; creditsUsed: number; conversations: number }>();
  for (let d = first; d <= until; d = addDays(d, 1)) days.set(d, { day: d, activeUsers: 0, events: 0, creditsUsed: 0, conversations: 0 });
  const active = new Set<string>();
  const activeOn = new Set<string>();
  const tools = new Map<string, { tool: string; calls: number; errors: number }>();
  let messages = 0;
  for (const e of events) {
    if (!members.has(e.user_id) || !inRange(e.day)) continue;
    const d = days.get(e.day)!;
    d.events++;
    d.creditsUsed += e.credits;
    if (!activeOn.has(`${e.user_id} ${e.day}`)) {
      activeOn.add(`${e.user_id} ${e.day}`);
      d.activeUsers++;
    }
    active.add(e.user_id);
    if (e.event_type === 'message') messages++;
    if (e.event_type === 'tool_call' && e.tool_name !== null && (!f.tools?.length || f.tools.includes(e.tool_name))) {
      const t = tools.get(e.tool_name) ?? tools.set(e.tool_name, { tool: e.tool_name, calls: 0, errors: 0 }).get(e.tool_name)!;
      t.calls++;
      if (e.success === 0) t.errors++;
    }
  }
  const byStatus: Record<string, number> = {};
  let conversationCount = 0;
  for (const c of conversations) {
    if (!members.has(c.user_id) || !inRange(c.start_day)) continue;
    conversationCount++;
    days.get(c.start_day!)!.conversations++;
    byStatus[c.completion_status ?? 'none'] = (byStatus[c.completion_status ?? 'none'] ?? 0) + 1;
  }
  // The seed's query 2 over the members' message events (ordered and cut as the dashboard lists it).
  const intents = (userMessagesOnly: boolean) =>
    (db
      .prepare(`SELECT day, message AS userMessage, tool_name AS toolName, success, COUNT(*) AS frequency FROM events
        WHERE event_type = 'message' ${userMessagesOnly ? "AND COALESCE(role, 'user') = 'user'" : ''} AND day <= @until AND (@since IS NULL OR day >= @since)
          AND user_id IN (SELECT value FROM json_each(@members))
        GROUP BY 1, 2, 3, 4 ORDER BY frequency DESC, day DESC, userMessage, toolName, success LIMIT 500`)
      .all({ until, since, members: JSON.stringify([...members]) }) as Array<{ day: string; userMessage: string | null; toolName: string | null; success: number | null; frequency: number }>)
      .map((r) => ({ ...r, success: r.success === null ? null : r.success === 1 }));
  const sortedTools = [...tools.values()].sort((a, b) => b.calls - a.calls || (a.tool < b.tool ? -1 : 1));
  return {
    members,
    totals: { users: members.size, activeUsers: active.size, conversations: conversationCount, messages, events: [...days.values()].reduce((s, d) => s + d.events, 0), creditsUsed: [...days.values()].reduce((s, d) => s + d.creditsUsed, 0) },
    days: [...days.values()],
    tools: sortedTools,
    byStatus,
    intents: intents(false),
    userIntents: intents(true),
  };
}

/** The engine's segmented dashboard beside segmentReference's numbers. */
function expectSegmentLikeTables(engine: AnalyticsEngine, snapshot: Snapshot, f: Filters) {
  const label = JSON.stringify(f);
  const expected = segmentReference(snapshot, f);
  const d = engine.dashboard(f);
  const { newUsers: _n, ...totals } = d.summary.totals;
  expect(totals, label).toEqual(expected.totals);
  expect(d.timeseries.days.map(({ signups: _s, ...day }) => day), label).toEqual(expected.days);
  expect(d.usageHealth.errorRateByTool.map(({ rate: _r, ...t }) => t), label).toEqual(expected.tools);
  expect(d.usageHealth.completionByStatus, label).toEqual(expected.byStatus);
  expect(d.intents.rows, label).toEqual(expected.intents);
  expect(d.userIntents.rows, label).toEqual(expected.userIntents);
  const listed = engine.listUsers({ filters: f, limit: 10_000, sort: { field: 'creditsUsed', dir: 'desc' } });
  expect(new Set(listed.rows.map((u) => u.userId)), label).toEqual(expected.members);
  expect(listed.total, label).toBe(expected.members.size);
  return expected.members.size;
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
    expectDerivedTimes(snapshot, early, rows.conversations);
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
      expect(after.summary.highUsage.count).toBe(before.summary.highUsage.count + 1);
      expect(fast.creditExhaustion(all)).toHaveLength(after.summary.highUsage.count);
      // The user-level metrics sum agg_user_cube (here: seven more users in one group of it).
      snapshot.db.exec(`UPDATE agg_user_cube SET users = users + 7 WHERE signup_day = (SELECT MAX(signup_day) FROM agg_user_cube)`);
      expect(fast.dashboard(all).summary.totals.users).toBeGreaterThanOrEqual(before.summary.totals.users + 7);
    } finally {
      snapshot.db.exec(`UPDATE agg_day SET events = events - 1000 WHERE day = (SELECT MAX(day) FROM agg_day)`);
    }
    // Restored from the tables by a full rebuild (as after a writer that stopped before finishing).
    snapshot.setMeta('rollups', 'stale');
    const rebuild = new SnapshotWriter(snapshot);
    rebuild.finish();
    expect(snapshot.getMeta('rollups')).toBe(ROLLUPS_VERSION);
    expect(fast.dashboard(all).highUsageUsers).toEqual(before.highUsageUsers);
  });

  it('while a write is not finished the engine reads the tables; incremental writes keep the rollups right (deltas per day, touched users recomputed)', () => {
    // Late events: new days, conversations already known that grow, conversations and a user that are new.
    // A write that fails changes nothing, its mark included; the next one marks the rollups stale again.
    const broken = { ...late[0], user_id: null as unknown as string };
    expect(() => writer.apply({ events: [broken] })).toThrow(/NOT NULL/);
    expect(snapshot.getMeta('rollups')).toBe(ROLLUPS_VERSION);
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
    expectDerivedTimes(snapshot, rows.events, rows.conversations);

    // One user's write (the per-user refresh of just that user): a creation that spends past the allowance.
    const spender = snapshot.db.prepare(`SELECT user_id FROM users WHERE exhausted_at IS NULL AND first_conversation_at IS NOT NULL ORDER BY user_id LIMIT 1`).pluck().get() as string;
    const conversation = rows.conversations.find((c) => c.user_id === spender)!;
    const extra = { id: '00000000-0000-4000-8000-00000000e0e0', conversation_id: conversation.id, user_id: spender, timestamp: `${END}T10:00:00.000Z`,
      event_type: 'tool_call' as const, tool_name: 'video_gen', success: true, credits_consumed: HIGH_USAGE_CREDITS + 5, content: {}, change_seq: null };
    writer.apply({ events: [extra] });
    writer.finish();
    // High usage is not running out.
    expect(snapshot.db.prepare('SELECT exhausted_at FROM users WHERE user_id = ?').pluck().get(spender)).toBeNull();
    const engine = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
    expect(engine.creditExhaustion({}).find((r) => r.userId === spender)?.episodes).toBe(0);
    expect(engine.ranOutUsers({}).map((r) => r.userId)).not.toContain(spender);
    // Then the limit: an insufficient_credits error and the blocked completion after it, one episode.
    const hit = (n: number, at: string, rest: object) => ({ ...extra, id: `00000000-0000-4000-8000-00000000e0e${n}`, timestamp: `${END}T${at}.000Z`, tool_name: null, success: null, credits_consumed: 0, ...rest });
    const limit = [
      hit(1, '10:01:00', { event_type: 'error' as const, tool_name: 'video_gen', success: false, content: { error: 'insufficient_credits' } }),
      hit(2, '10:02:00', { event_type: 'completion' as const, content: { completion_status: 'blocked_by_credits' } }),
    ];
    writer.apply({ events: limit });
    writer.finish();
    expect(snapshot.db.prepare('SELECT exhausted_at FROM users WHERE user_id = ?').pluck().get(spender)).toBe(`${END}T10:01:00.000Z`);
    const after = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
    expect(after.ranOutUsers({}).find((r) => r.userId === spender)).toMatchObject({ episodes: 1, firstRanOutAt: `${END}T10:01:00.000Z` });
    expect(after.userDetail(spender)!.pmf.creditExhaustionEpisodes).toBe(1);
    expectDerivedTimes(snapshot, [...rows.events, extra, ...limit], rows.conversations);
    expectSameDashboards(snapshot);
    // All of the data is in: the default view counts every conversation and event of the demo.
  });

  it("a week of the trends is the dashboard's numbers for that week, and the users who ran out of credits in it", () => {
    const engine = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
    // Running out, counted from the events themselves: the users with an episode (a conversation holding a
    // blocked_by_credits completion or an exhaustion error) whose first exhaustion event falls in the week.
    const ranOut = (f: Filters, members: Set<string>) =>
      new Set(
        (snapshot.db
          .prepare(`SELECT user_id FROM (SELECT conversation_id, MIN(user_id) AS user_id, MIN(day) AS day FROM events
                    WHERE conversation_id IS NOT NULL AND ((event_type = 'completion' AND completion_status = 'blocked_by_credits')
                      OR error_type IN (SELECT value FROM json_each(?))) GROUP BY conversation_id)
                    WHERE day BETWEEN ? AND ?`)
          .pluck()
          .all(JSON.stringify(CREDIT_EXHAUSTION_ERRORS), f.since, f.until) as string[]).filter((u) => members.has(u)),
      ).size;
    let exhaustedWeeks = 0;
    for (let week = addDays(END, -41); week <= END; week = addDays(week, 7)) {
      for (const segment of [{}, { tools: ['video_gen'] }, { activation: ['power_user' as const] }]) {
        const f: Filters = { ...segment, since: week, until: addDays(week, 6) > END ? END : addDays(week, 6) };
        const fresh = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
        const d = fresh.dashboard(f);
        const members = new Set(fresh.listUsers({ filters: f, limit: 10_000 }).rows.map((u) => u.userId));
        const expected = {
          tools: d.usageHealth.errorRateByTool.map((t) => ({ tool: t.tool, calls: t.calls, errors: t.errors })),
          activeUsers: d.summary.totals.activeUsers,
          ranOutUsers: ranOut(f, members),
        };
        expect(engine.weekTrend(f), JSON.stringify(f)).toEqual(expected);
        if (expected.ranOutUsers > 0) exhaustedWeeks++;
      }
    }
    expect(exhaustedWeeks).toBeGreaterThan(3);
  });

  it('a segmented dashboard (each kind, combinations, past ranges) equals a computation over the plain tables', () => {
    const engine = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
    const weeks = snapshot.db.prepare('SELECT DISTINCT signup_week FROM users WHERE signup_week IS NOT NULL ORDER BY 1').pluck().all() as string[];
    const everyone = snapshot.db.prepare('SELECT COUNT(*) FROM users').pluck().get() as number;
    const pastMonth = { since: addDays(END, -34), until: addDays(END, -10) };
    const segments: Filters[] = [
      { tools: ['video_gen'] },
      { tools: ['search', 'image_gen'] },
      { useCases: ['marketing_content'] },
      { useCases: ['marketing_content', 'education'] },
      { activation: ['power_user'] },
      { activation: ['dormant', 'signed_up', 'first_creation'] },
      { signupCohorts: [weeks[1]] },
      { signupCohorts: weeks.slice(0, -1) },
      { tools: ['video_gen'], activation: ['power_user', 'first_creation'] },
      { useCases: ['marketing_content'], signupCohorts: weeks.slice(1) },
      { ...pastMonth, tools: ['image_gen'] },
      { ...pastMonth, activation: ['dormant'] },
      { ...pastMonth, useCases: ['marketing_content'], signupCohorts: weeks.slice(0, 3) },
      { since: addDays(END, -6), activation: ['power_user'] },
    ];
    const sizes = segments.map((f) => expectSegmentLikeTables(engine, snapshot, f));
    // A credits list cut at a limit (the dashboard's first rows) is the head of the whole list, in the same order.
    const planner = new Planner(snapshot, { minSample: 1 }, NOW);
    for (const f of [{}, pastMonth, ...segments]) {
      const ranOut = engine.ranOutUsers(f);
      const highUsage = engine.creditExhaustion(f);
      expect(ranOutUsers(planner, f, 3), JSON.stringify(f)).toEqual(ranOut.slice(0, 3));
      expect(creditExhaustion(planner, f, 3), JSON.stringify(f)).toEqual(highUsage.slice(0, 3));
      const d = engine.dashboard(f);
      expect(d.ranOutUsers).toEqual({ rows: ranOut.slice(0, CREDITS_LIST_ROWS), truncated: ranOut.length > CREDITS_LIST_ROWS });
      expect(d.highUsageUsers).toEqual({ rows: highUsage.slice(0, CREDITS_LIST_ROWS), truncated: highUsage.length > CREDITS_LIST_ROWS });
      expect(highUsage).toHaveLength(d.summary.highUsage.count);
      expect(ranOut).toHaveLength(d.summary.ranOut.count);
    }
    expect(engine.ranOutUsers({}).length).toBeGreaterThan(3);
    // Large and small segments: the planner reads the segment's own rows or the whole minus the rest's (a rollup's sign
    // error or a dropped side fails here).
    expect(sizes.some((n) => n * 2 > everyone)).toBe(true);
    expect(sizes.some((n) => n > 0 && n * 2 <= everyone)).toBe(true);
    expect(Math.min(...sizes)).toBeGreaterThan(0);
  });

  it('conversations and events that arrive after the first load (new rollup keys) are added by the deltas of each rollup\'s one description', () => {
    const later = openSnapshot(':memory:');
    try {
      const w = new SnapshotWriter(later);
      const firstHalf = new Set(rows.conversations.filter((_, i) => i % 2 === 0).map((c) => c.id));
      const inFirst = (e: (typeof rows.events)[number]) => e.conversation_id === null || firstHalf.has(e.conversation_id);
      w.beginBulkLoad();
      w.apply({ users: rows.users, conversations: rows.conversations.filter((c) => firstHalf.has(c.id)), events: rows.events.filter(inFirst) });
      w.finish();
      w.apply({ conversations: rows.conversations.filter((c) => !firstHalf.has(c.id)), events: rows.events.filter((e) => !inFirst(e)) });
      w.finish();
      expectSameDashboards(later);
      expect(new AnalyticsEngine(later, { minSample: 1 }, NOW).dashboard({}).summary.totals.conversations).toBe(rows.conversations.length);
    } finally {
      later.close();
    }
  });

  it("a snapshot whose rollups an older version built (another user_cube layout) is read from the tables, then rebuilt by the next writer", () => {
    const old = openSnapshot(':memory:');
    try {
      const w = new SnapshotWriter(old);
      w.beginBulkLoad();
      w.apply({ users: rows.users, conversations: rows.conversations, events: early });
      w.finish();
      // As a version-3 writer left it: its cube table without the times-to columns, and its version mark.
      old.db.exec('DROP TABLE user_cube; CREATE TABLE user_cube (user_id TEXT PRIMARY KEY, signup_day TEXT NOT NULL) WITHOUT ROWID');
      old.setMeta('rollups', '3');
      const slow = new AnalyticsEngine(old, { minSample: 1 }, NOW, { rollups: false });
      expect(comparable(new AnalyticsEngine(old, { minSample: 1 }, NOW), {})).toEqual(comparable(slow, {}));
      new SnapshotWriter(old).finish();
      expect(old.getMeta('rollups')).toBe(ROLLUPS_VERSION);
      expect(old.db.prepare(`SELECT COUNT(*) FROM pragma_table_info('user_cube') WHERE name = 'creation_ms'`).pluck().get()).toBe(1);
      expectSameDashboards(old);
    } finally {
      old.close();
    }
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
    expect(engine.creditExhaustion({}).map((r) => r.userId)).not.toContain(victim);
    expect(engine.ranOutUsers({}).map((r) => r.userId)).not.toContain(victim);
    expectSameDashboards(snapshot);
  });
});
