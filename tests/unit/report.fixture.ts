import type { Dashboard, PmfSignal } from '../../src/shared/metrics.js';

/** A hand-made engine result (the shape AnalyticsEngine.dashboard returns), scaled by `k` for a "previous period". */
export function fixtureDashboard(since: string, until: string, k = 1): Dashboard {
  const r = (n: number) => Math.round(n * k);
  const days: Dashboard['timeseries']['days'] = [];
  for (let t = Date.parse(since + 'T00:00:00Z'), i = 0; t <= Date.parse(until + 'T00:00:00Z'); t += 86_400_000, i++) {
    days.push({ day: new Date(t).toISOString().slice(0, 10), activeUsers: r(20 + (i % 7) * 3 + i), signups: r(4 + (i % 3)), conversations: r(30 + i), events: r(300 + 10 * i), creditsUsed: r(400 + 5 * i) });
  }
  const signal = (id: string, group: PmfSignal['group'], label: string, value: number | null, threshold: number, verdict: PmfSignal['verdict'], unit: PmfSignal['unit'] = 'rate'): PmfSignal => ({
    id, group, label, value, threshold, unit, verdict, detail: '', evidence: { kind: 'users', ids: [], total: 0 },
  });
  const cell = (retained: number, eligible: number, partial = false) => ({ retained, eligible, rate: eligible ? retained / eligible : null, partial });
  return {
    filters: { since, until },
    range: { since, until },
    generatedAt: '2026-11-28T00:00:00.000Z',
    computeMs: 5,
    snapshot: { lastSyncAt: null, ageSeconds: null, source: 'demo', counts: { users: 100, conversations: 900, events: 9000 }, latestDay: until },
    summary: {
      range: { since, until },
      dailyActiveUsers: { count: r(23), total: 100, rate: r(23) / 100, day: until },
      averageDailyActiveUsers: 21.4 * k,
      week1Retention: { count: r(8), total: 15, rate: r(8) / 15 },
      ranOut: { count: r(5), total: 100, rate: r(5) / 100 },
      highUsage: { count: r(7), total: 100, rate: r(7) / 100 },
      averageSessionMinutes: 12.25 * k,
      topUseCases: [
        { useCase: 'marketing_content', conversations: r(306), users: r(40), share: 0.34 },
        { useCase: 'personal_video', conversations: r(252), users: r(31), share: 0.28 },
        { useCase: 'social_media_clip', conversations: r(189), users: r(22), share: 0.21 },
        { useCase: 'other', conversations: r(153), users: r(19), share: 0.17 },
      ],
      totals: { users: 100, newUsers: r(37), activeUsers: r(67), conversations: r(900), messages: r(5400), events: r(9000), creditsUsed: r(12345) },
    },
    journey: {
      steps: [
        { id: 'signed_up', label: 'Signed Up', count: 100, stepConversion: 1, overallConversion: 1 },
        { id: 'first_chat', label: 'First Chat', count: 67, stepConversion: 0.67, overallConversion: 0.67 },
        { id: 'used_tool', label: 'Used Tool', count: 45, stepConversion: 45 / 67, overallConversion: 0.45 },
        { id: 'created_content', label: 'Created Content', count: 23, stepConversion: 23 / 45, overallConversion: 0.23 },
        { id: 'ran_out', label: 'Ran Out of Credits', count: 5, stepConversion: 5 / 23, overallConversion: 0.05 },
      ],
      byCohort: [],
    },
    seedFunnel: { total_users: 100, day_1_active: 67, created_content: 23, high_usage: 5, successful_users: 40 },
    retention: {
      day1: { count: 30, total: 60, rate: 0.5 },
      day7: { count: r(13), total: 30, rate: r(13) / 30 },
      cohorts: [
        { cohort: '2026-10-26', size: 20, cells: [cell(20, 20), cell(9, 20), cell(7, 20), cell(5, 20, true)] },
        { cohort: '2026-11-02', size: 25, cells: [cell(25, 25), cell(12, 25), cell(8, 25, true), null] },
        { cohort: '2026-11-09', size: 18, cells: [cell(18, 18), cell(6, 18, true), null, null] },
      ],
      weeks: 4,
      retentionCohorts: {},
      activationStatuses: {},
    },
    seedFunnelPopulation: { signedUp: 100, withConversations: 100 },
    intents: { rows: [], truncated: false },
    userIntents: { rows: [], truncated: false },
    failurePoints: [{ tool: 'video_gen', errorType: 'timeout', failures: r(42), affectedUsers: r(17) }],
    ranOutUsers: {
      rows: [
        { userId: 'u_001', email: 'ana@example.com', episodes: 3, firstRanOutAt: `${until}T09:00:00.000Z`, lastRanOutAt: `${until}T10:00:00.000Z`, totalCreditsUsed: 100, lastActiveAt: `${until}T10:00:00.000Z` },
        { userId: 'u_002', email: null, episodes: 1, firstRanOutAt: `${until}T08:00:00.000Z`, lastRanOutAt: `${until}T08:00:00.000Z`, totalCreditsUsed: 96, lastActiveAt: null },
      ],
      truncated: false,
    },
    highUsageUsers: {
      rows: [
        { userId: 'u_001', email: 'ana@example.com', totalCreditsUsed: 100, creditExhaustionCount: 3, episodes: 3, lastActiveAt: `${until}T10:00:00.000Z` },
        { userId: 'u_002', email: null, totalCreditsUsed: 96, creditExhaustionCount: null, episodes: 1, lastActiveAt: null },
      ],
      truncated: false,
    },
    usageHealth: {
      conversationsPerUser: 3.1,
      messagesPerConversation: 6,
      singleSessionUsers: { count: 30, total: 67, rate: 30 / 67 },
      completionRate: { count: 600, total: 900, rate: 2 / 3 },
      completionByStatus: {},
      errorRateByTool: [{ tool: 'video_gen', calls: 400, errors: r(42), rate: r(42) / 400 }],
      overallErrorRate: { count: r(60), total: 1000, rate: r(60) / 1000 },
      timeToFirstCreation: { users: 23, medianHours: 2, p90Hours: 20 },
      timeToCreditExhaustion: { users: 5, medianHours: 50, p90Hours: 100 },
    },
    pmfSignals: [
      signal('credit_exhaustion', 'strong', 'Users exhaust their credits (> 20%)', r(5) / 100, 0.2, k === 1 ? 'not_seen' : 'not_seen'),
      signal('day7_retention', 'strong', 'Day-7 retention (> 40%)', r(13) / 30, 0.4, k === 1 ? 'strong' : 'not_seen'),
      signal('single_session', 'weak', 'Single-session users (> 50%)', 30 / 67, 0.5, 'not_seen'),
      signal('no_credit_exhaustion', 'weak', 'No credit exhaustion', r(5) / 100, 0.02, 'not_seen'),
      signal('short_conversations', 'weak', 'Conversations under 5 messages', 0.31, 0.5, 'not_seen'),
      signal('high_error_rate', 'weak', 'High error rates', r(60) / 1000, 0.15, 'not_seen'),
      signal('repeated_blockers', 'pivot', 'The same blockers repeating', null, 0.3, 'not_enough_data'),
    ],
    timeseries: { days },
    featureRequests: [{ text: 'can you add vertical 9:16 export', users: r(9), mentions: r(14), exampleConversationId: 'c1' }],
    blockers: [{ blocker: 'video_gen timeout <script>alert(1)</script>', conversations: r(31), users: r(17) }],
  };
}
