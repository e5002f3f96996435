import { z } from 'zod';
import { defineChannels } from '../contract.js';
import { Dashboard, FilterOptions, Filters, UserDetail, UserList, UserListQuery } from '../metrics.js';

export const TrendWeek = z.object({
  week: z.string(),
  since: z.string(),
  until: z.string(),
  /** Tool calls per tool in the week, and how many failed (engine: usageHealth.errorRateByTool). */
  tools: z.array(z.object({ tool: z.string(), calls: z.number(), errors: z.number() })),
  activeUsers: z.number(),
  /** Users with a credit-exhaustion episode starting in the week (engine: weekTrend().ranOutUsers). */
  ranOutUsers: z.number(),
  /** ranOutUsers / activeUsers (null when nobody was active). */
  ranOutRate: z.number().nullable(),
});
export type TrendWeek = z.infer<typeof TrendWeek>;

/** The PMF dashboard over the active workspace's snapshot. Every number comes from the AnalyticsEngine. */
export const analyticsChannels = defineChannels({
  'analytics.dashboard': {
    description: 'Everything the dashboard pages show (summary, journey, retention, usage, failures, credits, PMF signals, timeseries) for the filters.',
    input: z.object({ filters: Filters.default({}) }).strict(),
    output: Dashboard,
  },
  'analytics.trends': {
    description: 'Week by week over the range (weeks start Monday, UTC; the first and last may be partial): tool calls and failures per tool, and credit exhaustion, each week computed by the engine with the filters narrowed to that week.',
    input: z.object({ filters: Filters.default({}) }).strict(),
    output: z.object({ weeks: z.array(TrendWeek), truncated: z.boolean() }),
  },
  'analytics.filterOptions': {
    description: 'Values the global filters can take (tools, use cases, signup weeks, activation statuses, first/last day).',
    input: z.object({}),
    output: FilterOptions,
  },
  'analytics.users': {
    description: 'A page of the users table: search, sort, filters, offset/limit (up to 10,000 rows per call).',
    input: UserListQuery,
    output: UserList,
  },
  'analytics.user': {
    description: 'One user: profile, PMF fields, memory and the timeline of conversations.',
    input: z.object({ userId: z.string().min(1).max(200) }).strict(),
    output: UserDetail,
  },
});
