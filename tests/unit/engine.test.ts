import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import type { DemoData } from '../../src/main/demo/generate.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { rowsFromDemo, writeDemoToSnapshot } from '../../src/main/demo/sinks.js';
import { SnapshotWriter } from '../../src/main/snapshot/apply.js';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';
import { Filters } from '../../src/shared/metrics.js';

// A tiny product worked out by hand (see the expectations for the arithmetic).
//   a: signs up 03-02 23:59:59Z, first event exactly at midnight 03-03 (day 1), back on 03-09 (day 7); one image.
//   b: signs up 03-02, never chats.
//   c: signs up 03-01, two videos (50 + 45 credits = 95 ≥ 90: high usage, but never ran out), one timeout, "I love this";
//      a message sent at 01:30 +02:00 on 03-03 is 23:30Z on 03-02 (its UTC day is 03-02, offset 1).
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const CA1 = id(101);
const CA2 = id(102);
const CC1 = id(201);
const CC2 = id(202);
type Ev = DemoData['events'][number];
const ev = (n: number, conversation_id: string, user_id: string, timestamp: string, rest: Partial<Ev>): Ev =>
  ({ id: id(n), conversation_id, user_id, timestamp, event_type: 'message', content: {}, ...rest }) as Ev;
const say = (message: string) => ({ event_type: 'message' as const, content: { role: 'user' as const, message } });

const DATA: DemoData = {
  users: [
    { user_id: 'a', email: 'a@example.com', created_at: '2026-03-02T23:59:59.000Z' },
    { user_id: 'b', email: 'b@example.com', created_at: '2026-03-02T10:00:00.000Z' },
    { user_id: 'c', email: 'c@example.com', created_at: '2026-03-01T08:00:00.000Z' },
  ],
  events: [
    ev(6, CC1, 'c', '2026-03-01T10:00:00+02:00', say('Make an ad for my brand')),
    ev(7, CC1, 'c', '2026-03-01T08:01:00.000Z', { event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 50 }),
    ev(8, CC1, 'c', '2026-03-01T08:02:00.000Z', { event_type: 'tool_call', tool_name: 'video_gen', success: false, credits_consumed: 0, content: { error: 'timeout' } }),
    ev(9, CC1, 'c', '2026-03-01T08:03:00.000Z', { event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 45 }),
    ev(10, CC1, 'c', '2026-03-01T08:04:00.000Z', say('I love this')),
    ev(11, CC1, 'c', '2026-03-01T08:05:00.000Z', { event_type: 'completion', completion_status: 'completed' }),
    ev(12, CC2, 'c', '2026-03-03T01:30:00+02:00', say('Make a TikTok reel')),
    ev(1, CA1, 'a', '2026-03-03T00:00:00.000Z', say('Make a TikTok reel')),
    ev(2, CA1, 'a', '2026-03-03T00:01:00.000Z', { event_type: 'tool_call', tool_name: 'image_gen', success: true, credits_consumed: 2 }),
    ev(13, CA1, 'a', '2026-03-03T00:03:00.000Z', say('Make a TikTok reel')),
    ev(3, CA1, 'a', '2026-03-03T00:04:00.000Z', { event_type: 'completion', completion_status: 'completed' }),
    ev(4, CA2, 'a', '2026-03-09T12:00:00.000Z', say('Make a TikTok reel')),
  ].sort((x, y) => Date.parse(x.timestamp) - Date.parse(y.timestamp)),
  range: { since: '2026-03-01', until: '2026-03-09' },
};

function build() {
  const snapshot = openSnapshot(':memory:');
  const writer = new SnapshotWriter(snapshot);
  const rows = rowsFromDemo(DATA);
  writer.apply(rows);
  writer.finish();
  return { snapshot, writer, rows, engine: new AnalyticsEngine(snapshot, { minSample: 1 }, () => new Date('2026-03-10T00:00:00Z')) };
}

describe('AnalyticsEngine on a hand-built data set', () => {
  it('journey: users with no conversation count as signed up only', () => {
    const { engine } = build();
    const steps = engine.journey().steps.map((s) => [s.id, s.count, s.stepConversion, s.overallConversion]);
    expect(steps).toEqual([
      ['signed_up', 3, 1, 1],
      ['first_chat', 2, 2 / 3, 2 / 3],
      ['used_tool', 2, 1, 2 / 3],
      ['created_content', 2, 1, 2 / 3],
      ['ran_out', 0, 0, 0],
    ]);
  });

  it("the seed's funnel counts only users with conversations", () => {
    const { engine } = build();
    expect(engine.seedFunnel()).toEqual({ total_users: 2, day_1_active: 2, created_content: 1, high_usage: 1, successful_users: 2 });
  });

  it('retention: an event exactly at midnight is the next day; a +02:00 timestamp counts on its UTC day', () => {
    const { engine } = build();
    const r = engine.retention();
    expect(r.day1).toEqual({ count: 2, total: 3, rate: 2 / 3 });
    expect(r.day7).toEqual({ count: 1, total: 3, rate: 1 / 3 });
    expect(r.retentionCohorts).toEqual({ day_1: 1, week_1: 0, week_2: 1, churned: 1 });
    // c used 95 credits but never ran out: high usage alone does not make a power user.
    expect(r.activationStatuses).toEqual({ signed_up: 1, first_creation: 2, power_user: 0, dormant: 0 });
    // Cohorts by Monday: 03-01 is a Sunday (week of 02-23), 03-02 a Monday.
    expect(r.cohorts.map((c) => [c.cohort, c.size])).toEqual([['2026-02-23', 1], ['2026-03-02', 2]]);
    const users = engine.listUsers({ sort: { field: 'userId', dir: 'asc' } }).rows;
    expect(users.map((u) => [u.userId, u.activationStatus, u.retentionCohort, u.creditsUsed, u.ranOut])).toEqual([
      ['a', 'first_creation', 'week_2', 2, false],
      ['b', 'signed_up', 'churned', 0, false],
      ['c', 'first_creation', 'day_1', 95, false],
    ]);
  });

  it("the seed's batch queries: intents by UTC day, failure points, credit exhaustion", () => {
    const { engine } = build();
    expect(engine.intentFrequency().map((r) => [r.day, r.userMessage, r.frequency])).toEqual([
      ['2026-03-03', 'Make a TikTok reel', 2],
      ['2026-03-09', 'Make a TikTok reel', 1],
      ['2026-03-02', 'Make a TikTok reel', 1],
      ['2026-03-01', 'I love this', 1],
      ['2026-03-01', 'Make an ad for my brand', 1],
    ]);
    expect(engine.failurePoints()).toEqual([{ tool: 'video_gen', errorType: 'timeout', failures: 1, affectedUsers: 1 }]);
    expect(engine.creditExhaustion().map((r) => [r.userId, r.totalCreditsUsed, r.creditExhaustionCount, r.episodes])).toEqual([['c', 95, 0, 0]]);
    expect(engine.ranOutUsers()).toEqual([]);
  });

  it('executive summary and usage health', () => {
    const { engine } = build();
    const s = engine.executiveSummary();
    expect(s.range).toEqual({ since: null, until: '2026-03-09' });
    expect(s.dailyActiveUsers).toEqual({ count: 1, total: 3, rate: 1 / 3, day: '2026-03-09' });
    expect(s.ranOut).toEqual({ count: 0, total: 3, rate: 0 });
    expect(s.highUsage).toEqual({ count: 1, total: 3, rate: 1 / 3 });
    expect(s.totals).toMatchObject({ users: 3, activeUsers: 2, conversations: 4, events: 12, creditsUsed: 97 });
    const h = engine.usageHealth();
    expect(h.singleSessionUsers).toEqual({ count: 0, total: 2, rate: 0 });
    expect(h.errorRateByTool).toEqual([
      { tool: 'video_gen', calls: 3, errors: 1, rate: 1 / 3 },
      { tool: 'image_gen', calls: 1, errors: 0, rate: 0 },
    ]);
    expect(h.completionRate).toEqual({ count: 2, total: 2, rate: 1 });
    const praise = engine.pmfSignals().find((p) => p.id === 'praise')!;
    expect(praise.evidence.ids).toEqual(['c']);
    expect(praise.value).toBe(0.5);
    expect(praise.verdict).toBe('strong');
  });

  it('a past range still lists signal evidence while a first sync has dropped the events\' indexes', () => {
    const { engine, snapshot } = build();
    const past = { until: '2026-03-05' }; // before the latest data: read from the events, not the per-user rollup
    const before = engine.pmfSignals(past).find((p) => p.id === 'praise')!.evidence;
    snapshot.db.exec('DROP INDEX events_user_signals'); // as SnapshotWriter.beginBulkLoad leaves it until finish()
    const fresh = new AnalyticsEngine(snapshot, { minSample: 1 }, () => new Date('2026-03-10T00:00:00Z'));
    expect(fresh.pmfSignals(past).find((p) => p.id === 'praise')!.evidence).toEqual(before);
    expect(before.ids).toEqual(['c']);
  });

  it('a date range limits activity and cohorts; an empty range gives zeros, not NaN', () => {
    const { engine } = build();
    const day1 = { since: '2026-03-01', until: '2026-03-01' };
    expect(engine.failurePoints(day1)).toHaveLength(1);
    expect(engine.intentFrequency(day1)).toHaveLength(2);
    expect(engine.journey(day1).steps[0].count).toBe(1); // only c had signed up by 03-01

    const empty = engine.dashboard({ since: '2026-04-01', until: '2026-04-02' });
    expect(empty.summary.totals).toMatchObject({ conversations: 0, activeUsers: 0, newUsers: 0, events: 0 });
    expect(empty.summary.week1Retention).toEqual({ count: 0, total: 0, rate: null });
    expect(empty.summary.averageSessionMinutes).toBeNull();
    expect(empty.journey.steps[0]).toMatchObject({ count: 0, stepConversion: null, overallConversion: null });
    expect(empty.intents.rows).toEqual([]);
    expect(empty.failurePoints).toEqual([]);
    expect(empty.timeseries.days.map((d) => d.day)).toEqual(['2026-04-01', '2026-04-02']);
    expect(JSON.stringify(empty)).not.toContain('NaN');
    expect(empty.pmfSignals.find((p) => p.id === 'day7_retention')!.verdict).toBe('not_enough_data');
  });

  it('segment filters choose users: by tool, by activation status', () => {
    const { engine } = build();
    expect(engine.seedFunnel({ tools: ['video_gen'] }).total_users).toBe(1);
    expect(engine.executiveSummary({ activation: ['signed_up'] }).totals.users).toBe(1);
    expect(engine.listUsers({ filters: { activation: ['first_creation'] } }).rows.map((u) => u.userId)).toEqual(['a', 'c']);
    expect(engine.listUsers({ filters: { activation: ['power_user'] } }).rows).toEqual([]);
    expect(engine.failurePoints({ tools: ['image_gen'] })).toEqual([]);
  });

  it('re-applying the same rows changes nothing; forgetting a user removes their share of every aggregate', () => {
    const { engine, writer, rows } = build();
    const before = JSON.stringify(engine.dashboard({}).journey);
    writer.apply(rows);
    writer.finish();
    expect(JSON.stringify(engine.dashboard({}).journey)).toBe(before);
    expect(engine.intentFrequency()[0].frequency).toBe(2);

    expect(writer.forgetUsers(['c'])).toBe(1);
    expect(engine.failurePoints()).toEqual([]);
    expect(engine.intentFrequency().map((r) => r.userMessage)).toEqual(['Make a TikTok reel', 'Make a TikTok reel']);
    expect(engine.userDetail('c')).toBeNull();
  });

  it('cached dashboards and user lists follow every write: this connection, another connection, a segment query', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-engine-cache-'));
    const file = path.join(dir, 'snapshot.sqlite');
    const snapshot = openSnapshot(file);
    const writer = new SnapshotWriter(snapshot);
    const rows = rowsFromDemo(DATA);
    writer.apply({ users: rows.users });
    writer.finish();
    const engine = new AnalyticsEngine(snapshot, { minSample: 1 }, () => new Date('2026-03-10T00:00:00Z'));
    try {
      expect(engine.dashboard({}).journey.steps[1].count).toBe(0);
      // A segment query writes a temp table on this connection: it must not be mistaken for new data (nor break it).
      expect(engine.dashboard({ activation: ['signed_up'] }).journey.steps[0].count).toBe(3);
      expect(engine.listUsers({}).rows.map((r) => r.messages)).toEqual([0, 0, 0]);
      expect(engine.filterOptions().tools).toEqual([]);

      writer.apply(rows); // same connection
      writer.finish();
      const fresh = engine.dashboard({});
      expect(fresh.journey.steps.map((s) => s.count)).toEqual([3, 2, 2, 2, 0]);
      // Another engine's segment (temp tables on the same connection) is no new data: this engine's dashboard is
      // still served from its cache.
      new AnalyticsEngine(snapshot, { minSample: 1 }, () => new Date('2026-03-10T00:00:00Z')).dashboard({ tools: ['video_gen'] });
      expect(engine.dashboard({}).summary).toBe(fresh.summary);
      expect(engine.filterOptions().tools).toEqual(['image_gen', 'video_gen']);
      expect(engine.listUsers({ sort: { field: 'messages', dir: 'desc' } }).rows.map((r) => [r.userId, r.messages])).toEqual([['a', 3], ['c', 3], ['b', 0]]);

      const other = openSnapshot(file); // another connection (a sync in another process)
      new SnapshotWriter(other).forgetUsers(['c']);
      other.close();
      expect(engine.dashboard({}).journey.steps.map((s) => s.count)).toEqual([2, 1, 1, 1, 0]);
      expect(engine.listUsers({}).total).toBe(2);
    } finally {
      snapshot.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the users table: the quick first pages (SQL order, states of the page only) equal the full evaluation', () => {
    const snapshot = openSnapshot(':memory:');
    // Users who never chat have no last-active time: the null ordering is exercised too.
    writeDemoToSnapshot(snapshot, generateDemo({ users: 150, days: 20, endDay: '2026-03-20' }));
    const now = () => new Date('2026-03-21T00:00:00Z');
    try {
      for (const field of ['lastActiveAt', 'userId', 'email', 'signedUpAt', 'conversations'] as const)
        for (const dir of ['asc', 'desc'] as const)
          for (const [offset, limit] of [[0, 40], [37, 25], [140, 40]]) {
            const query = { sort: { field, dir }, offset, limit, filters: { until: '2026-03-15' } };
            const quick = new AnalyticsEngine(snapshot, {}, now).listUsers(query);
            const warmed = new AnalyticsEngine(snapshot, {}, now);
            warmed.dashboard({ until: '2026-03-15' }); // states computed: listUsers takes the full path
            expect(quick, `${field} ${dir} ${offset}`).toEqual(warmed.listUsers(query));
          }
      // A segment's first page: its members sorted in SQL by any column, past range or up to the latest data.
      const tool = new AnalyticsEngine(snapshot, {}, now).filterOptions().tools[0];
      const segments = [{ activation: ['first_creation' as const] }, { tools: [tool], until: '2026-03-15' }, { useCases: ['marketing_content'] }];
      for (const filters of segments)
        for (const field of ['creditsUsed', 'messages', 'activationStatus', 'retentionCohort', 'lastActiveAt', 'email'] as const)
          for (const dir of ['asc', 'desc'] as const) {
            const query = { sort: { field, dir }, offset: 3, limit: 30, filters };
            const quick = new AnalyticsEngine(snapshot, {}, now).listUsers(query);
            const warmed = new AnalyticsEngine(snapshot, {}, now);
            warmed.dashboard(filters);
            const full = warmed.listUsers(query);
            expect(full.total, JSON.stringify(filters)).toBeGreaterThan(30);
            expect(quick, `${JSON.stringify(filters)} ${field} ${dir}`).toEqual(full);
          }
      const all = new AnalyticsEngine(snapshot, {}, now).listUsers({ limit: 500 });
      expect(all.rows.some((r) => r.lastActiveAt === null)).toBe(true);
      expect(all.rows.at(-1)!.lastActiveAt).toBeNull(); // nulls last
    } finally {
      snapshot.close();
    }
  });

  it('user detail: profile, PMF fields and the timeline', () => {
    const { engine } = build();
    const d = engine.userDetail('c')!;
    expect(d.profile).toMatchObject({ userId: 'c', email: 'c@example.com', creditsUsed: 95, topTool: 'video_gen', primaryUseCase: 'marketing_content' });
    expect(d.pmf).toMatchObject({ creditsRemaining: 5, creations: 2, activeDays: 2, praise: ['I love this'] });
    expect(d.conversations.map((c) => [c.id, c.messageCount, c.events.length])).toEqual([[CC2, 1, 1], [CC1, 2, 6]]);
    expect(d.conversations[1].events[2]).toMatchObject({ toolName: 'video_gen', success: false, errorType: 'timeout' });
  });

  it('filters are validated and the message names the field', () => {
    const r = Filters.safeParse({ since: '2026-13-01' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['since']);
    expect(Filters.safeParse({ since: '2026-03-05', until: '2026-03-01' }).error!.issues[0].path).toEqual(['since']);
    expect(Filters.safeParse({ activation: ['sleepy'] }).success).toBe(false);
  });
});

// Running out against high usage, by hand:
//   d: one conversation with an insufficient_credits error AND the blocked_by_credits completion after it (ONE
//      episode, two exhaustion events), and a later conversation blocked by credits again (a second episode). 20 credits.
//   e: 95 credits used, never hit the limit (high usage, not ran out).
//   f: a conversation whose user only talks about pricing ("too expensive, can I upgrade?"), every call succeeded.
const CD1 = id(301);
const CD2 = id(302);
const CE1 = id(401);
const CF1 = id(501);
const EPISODES: DemoData = {
  users: [
    { user_id: 'd', email: 'd@example.com', created_at: '2026-03-01T08:00:00.000Z' },
    { user_id: 'e', email: 'e@example.com', created_at: '2026-03-01T08:00:00.000Z' },
    { user_id: 'f', email: 'f@example.com', created_at: '2026-03-01T08:00:00.000Z' },
    { user_id: 'g', email: 'g@example.com', created_at: '2026-03-01T08:00:00.000Z' }, // never chats
  ],
  events: [
    ev(31, CD1, 'd', '2026-03-02T10:00:00.000Z', say('Make a video for my brand')),
    ev(32, CD1, 'd', '2026-03-02T10:01:00.000Z', { event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 20 }),
    ev(33, CD1, 'd', '2026-03-02T10:02:00.000Z', { event_type: 'error', tool_name: 'video_gen', success: false, content: { error: 'insufficient_credits' } }),
    ev(34, CD1, 'd', '2026-03-02T10:03:00.000Z', { event_type: 'completion', content: { completion_status: 'blocked_by_credits' } }),
    ev(35, CD2, 'd', '2026-03-04T10:00:00.000Z', say('Try again please')),
    ev(37, CD2, 'd', '2026-03-04T10:00:30.000Z', { event_type: 'message', content: { role: 'assistant', message: 'Sorry, you are out of credits.' } }),
    ev(36, CD2, 'd', '2026-03-04T10:01:00.000Z', { event_type: 'completion', content: { completion_status: 'blocked_by_credits' } }),
    ev(41, CE1, 'e', '2026-03-02T11:00:00.000Z', say('Make an ad')),
    ev(42, CE1, 'e', '2026-03-02T11:01:00.000Z', { event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 95 }),
    ev(43, CE1, 'e', '2026-03-02T11:02:00.000Z', { event_type: 'completion', content: { completion_status: 'completed' } }),
    ev(51, CF1, 'f', '2026-03-02T12:00:00.000Z', say('This is too expensive, can I upgrade? What is the pricing?')),
    ev(52, CF1, 'f', '2026-03-02T12:01:00.000Z', { event_type: 'tool_call', tool_name: 'image_gen', success: true, credits_consumed: 2 }),
    ev(53, CF1, 'f', '2026-03-02T12:02:00.000Z', { event_type: 'completion', content: { completion_status: 'completed' } }),
  ],
  range: { since: '2026-03-01', until: '2026-03-04' },
};

describe('credit exhaustion: episodes, ran out and high usage', () => {
  function episodes() {
    const snapshot = openSnapshot(':memory:');
    const writer = new SnapshotWriter(snapshot);
    writer.apply(rowsFromDemo(EPISODES));
    writer.finish();
    return new AnalyticsEngine(snapshot, { minSample: 1 }, () => new Date('2026-03-05T00:00:00Z'));
  }

  it('an error and the blocked completion after it are one episode; each conversation that hits the limit is one', () => {
    const engine = episodes();
    expect(engine.ranOutUsers().map((r) => [r.userId, r.episodes, r.firstRanOutAt, r.lastRanOutAt, r.totalCreditsUsed])).toEqual([
      ['d', 2, '2026-03-02T10:02:00.000Z', '2026-03-04T10:01:00.000Z', 20],
    ]);
    const detail = engine.userDetail('d')!;
    expect(detail.pmf.creditExhaustionEpisodes).toBe(2);
    expect(detail.profile.ranOut).toBe(true);
    // Blockers from events: both conversations were blocked by credits (the timeline shows them).
    expect(detail.pmf.blockers).toEqual([{ blocker: 'insufficient_credits', conversations: 2 }]);
    // Before the second episode's day, one.
    expect(engine.ranOutUsers({ until: '2026-03-03' }).map((r) => [r.userId, r.episodes])).toEqual([['d', 1]]);
    expect(engine.weekTrend({ since: '2026-03-02', until: '2026-03-02' }).ranOutUsers).toBe(1);
    expect(engine.weekTrend({ since: '2026-03-03', until: '2026-03-03' }).ranOutUsers).toBe(0);
  });

  it('"ran out" (an episode) and "high usage" (>= 90 credits) are different users, each named as what it is', () => {
    const engine = episodes();
    const d = engine.dashboard({});
    expect(d.summary.ranOut).toEqual({ count: 1, total: 4, rate: 1 / 4 });
    expect(d.summary.highUsage).toEqual({ count: 1, total: 4, rate: 1 / 4 });
    expect(d.ranOutUsers.rows.map((r) => r.userId)).toEqual(['d']);
    expect(d.highUsageUsers.rows.map((r) => [r.userId, r.totalCreditsUsed, r.episodes])).toEqual([['e', 95, 0]]);
    expect(d.journey.steps.find((s) => s.id === 'ran_out')!.count).toBe(1);
    const check = d.pmfSignals.find((s) => s.id === 'credit_exhaustion')!;
    expect([check.value, check.evidence.ids, check.evidence.total]).toEqual([0.25, ['d'], 1]);
    expect(engine.listUsers({ sort: { field: 'userId', dir: 'asc' } }).rows.map((u) => [u.userId, u.ranOut, u.activationStatus])).toEqual([
      ['d', true, 'power_user'],
      ['e', false, 'first_creation'],
      ['f', false, 'first_creation'],
      ['g', false, 'signed_up'],
    ]);
    expect(d.usageHealth.timeToCreditExhaustion.users).toBe(1);
    // Blockers: d's two blocked conversations; f's pricing talk is not a blocker.
    expect(d.blockers).toEqual([{ blocker: 'insufficient_credits', conversations: 2, users: 1 }]);
  });

  it("the seed funnel's population, and the users' own messages apart from the seed's query 2", () => {
    const engine = episodes();
    const d = engine.dashboard({});
    expect(d.seedFunnelPopulation).toEqual({ signedUp: 4, withConversations: 3 });
    expect(d.seedFunnel.total_users).toBe(3);
    // The seed's query 2 counts the assistant's reply; the users' list does not.
    const messages = (rows: typeof d.intents.rows) => rows.map((r) => r.userMessage);
    expect(messages(d.intents.rows)).toContain('Sorry, you are out of credits.');
    expect(messages(d.userIntents.rows)).not.toContain('Sorry, you are out of credits.');
    expect(d.userIntents.rows.length).toBe(d.intents.rows.length - 1);
    // A segment reads the events (not the pre-grouped table): the same answer.
    expect(engine.intentFrequency({ tools: ['video_gen'] }, 100, { userMessagesOnly: true }).map((r) => r.userMessage)).not.toContain('Sorry, you are out of credits.');
  });
});
