/**
 * The executive summary (Overview): totals, DAU, retention and usage headlines, top use cases.
 */
import { Filters, daysBetween, ratio, type ExecutiveSummary } from '../../../shared/metrics.js';
import type { Context, Planner, StoreRead } from '../planner.js';
import { round, sum } from '../sums.js';

export function executiveSummary(p: Planner, filters: Filters = {}): ExecutiveSummary {
  return p.once('executiveSummary', filters, () => {
    const ctx = p.context(filters);
    const { until, since } = ctx;
    const cube = p.cube(ctx);
    const cohort = p.cohort(ctx);
    const users = sum(cube, (r) => r.users);
    const firstDay = since ?? p.firstDay() ?? until;
    const dayCount = Math.max(1, daysBetween(firstDay, until) + 1);
    const days = p.one<{ activeSum: number; messages: number; events: number; credits: number }>(`SELECT COALESCE(SUM(active_users), 0) AS activeSum, COALESCE(SUM(messages), 0) AS messages, COALESCE(SUM(events), 0) AS events,
           COALESCE(SUM(credits), 0) AS credits FROM ${p.activityDays(ctx)} WHERE ${ctx.inRange('day')}`, ctx.params);
    const w1Eligible = cohort.filter((r) => r.age >= 13);
    const conv = p.one<{ conversations: number; durationMs: number | null; timed: number | null }>(`SELECT COALESCE(SUM(conversations), 0) AS conversations, SUM(duration_ms) AS durationMs, SUM(timed) AS timed
         FROM ${p.conversationDays(ctx)} WHERE ${ctx.inRange('day')}`, ctx.params);
    return {
      range: { since, until },
      dailyActiveUsers: { ...ratio(sum(cube, (r) => r.activeOnLastDay * r.users), users), day: until },
      averageDailyActiveUsers: round(days.activeSum / dayCount, 2)!,
      week1Retention: ratio(sum(w1Eligible, (r) => r.week1), sum(w1Eligible, (r) => r.users)),
      ranOut: ratio(sum(cube, (r) => r.exhausted * r.users), users),
      highUsage: ratio(p.rows<{ n: number }>(ctx, HIGH_USAGE_USERS)[0].n, users),
      averageSessionMinutes: conv.timed ? round(conv.durationMs! / conv.timed / 60_000, 2) : null,
      topUseCases: useCaseShares(p, ctx).slice(0, 5),
      totals: {
        users,
        newUsers: sum(cohort, (r) => r.users),
        activeUsers: p.activeUsers(ctx),
        conversations: conv.conversations,
        messages: days.messages,
        events: days.events,
        creditsUsed: days.credits,
      },
    };
  });
}

function useCaseShares(p: Planner, ctx: Context) {
  const users = new Map(p.rows<{ use_case: string | null; n: number }>(ctx, USE_CASE_USERS).map((r) => [r.use_case, r.n]));
  const rows = p
    .all<{ useCase: string; conversations: number }>(`SELECT use_case AS useCase, SUM(conversations) AS conversations FROM ${p.conversationDays(ctx)}
       WHERE ${ctx.inRange('day')} GROUP BY use_case ORDER BY conversations DESC, useCase`, ctx.params)
    .map((r) => ({ ...r, users: users.get(r.useCase) ?? 0 }));
  const total = rows.reduce((s, r) => s + r.conversations, 0);
  return rows.map((r) => ({ ...r, share: total ? r.conversations / total : 0 }));
}

/** Users (in the segment) at high usage in the range: how many (the list is credits.ts creditExhaustion). */
export const HIGH_USAGE_USERS: StoreRead = {
  name: 'highUsageUsers',
  stored: () => true,
  query: (p, ctx) => ({ sql: `SELECT COUNT(*) AS n FROM ${p.highUsage(ctx)}`, params: ctx.params }),
};

/** Users (in the segment) per use case with a conversation started in the range. */
export const USE_CASE_USERS: StoreRead = {
  name: 'useCaseUsers',
  stored: () => true,
  query: (p, ctx) => ({
    sql: ctx.rollups.users
      ? `SELECT use_case, COUNT(*) AS n FROM user_use_cases WHERE ${p.lastDayInRange(ctx)} AND ${ctx.seg('user_id')} GROUP BY use_case`
      : `SELECT use_case, COUNT(DISTINCT user_id) AS n FROM conversations WHERE ${ctx.inRange('start_day')} AND ${ctx.seg('user_id')} GROUP BY use_case`,
    params: ctx.params,
  }),
};
