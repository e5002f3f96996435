/**
 * Trends: the per-day time series, and one week of the weekly trends.
 */
import { Filters, addDays, type Timeseries } from '../../../shared/metrics.js';
import type { Planner } from '../planner.js';
import { DASHBOARD_CACHE_ENTRIES, deepFreeze, remember } from '../cache.js';

export interface WeekTrend {
  tools: Array<{ tool: string; calls: number; errors: number }>;
  activeUsers: number;
  /** Users with a credit-exhaustion episode that started (its first exhaustion event) in the week. */
  ranOutUsers: number;
}

export function timeseries(p: Planner, filters: Filters = {}): Timeseries {
  return p.scoped(() => {
    const ctx = p.context(filters);
    const first = ctx.since ?? p.firstDay() ?? ctx.until;
    const days = new Map<string, Timeseries['days'][number]>();
    for (let d = first; d <= ctx.until; d = addDays(d, 1)) days.set(d, { day: d, activeUsers: 0, signups: 0, conversations: 0, events: 0, creditsUsed: 0 });
    const range = { since: first, until: ctx.until };
    for (const r of p.all<{ day: string; a: number; e: number; c: number }>(`SELECT day, active_users AS a, events AS e, credits AS c FROM ${p.activityDays(ctx)} WHERE day >= @since AND day <= @until`, range)) {
      const x = days.get(r.day);
      if (x) Object.assign(x, { activeUsers: r.a, events: r.e, creditsUsed: r.c });
    }
    for (const r of p.all<{ day: string; n: number }>(`SELECT day, SUM(conversations) AS n FROM ${p.conversationDays(ctx)} WHERE day >= @since AND day <= @until GROUP BY day`, range)) {
      const x = days.get(r.day);
      if (x) x.conversations = r.n;
    }
    for (const r of p.cube(ctx)) {
      const x = r.signupDay ? days.get(r.signupDay) : undefined;
      if (x) x.signups += r.users;
    }
    return { days: [...days.values()] };
  });
}

/**
 * One week of the trends (filters narrowed to it by the caller): tool calls per tool and active users (the
 * dashboard's definitions), and the users who ran out of credits in it (an exhaustion event: a blocked_by_credits
 * completion or an insufficient_credits error), without the rest of the dashboard.
 */
export function weekTrend(p: Planner, filters: Filters = {}): WeekTrend {
  return p.scoped(() => {
    const key = JSON.stringify(Filters.parse(filters));
    const cached = p.cache.trends.get(key);
    if (cached) return cached;
    const ctx = p.context(filters);
    // Not the ≥ 90 credits list: a week rarely holds 90 credits of one user, while running out happens in one day.
    const ranOutUsers = p.value<number>(`SELECT COUNT(DISTINCT user_id) FROM conversations INDEXED BY conversations_ran_out
                WHERE ran_out_at IS NOT NULL AND ${ctx.inRange('substr(ran_out_at, 1, 10)')} AND ${ctx.seg('user_id')}`, ctx.params);
    return remember(p.cache.trends, key, deepFreeze({ tools: p.toolCalls(ctx), activeUsers: p.activeUsers(ctx), ranOutUsers }), DASHBOARD_CACHE_ENTRIES);
  });
}
