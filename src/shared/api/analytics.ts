import { z } from 'zod';
import { defineChannels } from '../contract.js';
import { Dashboard, FilterOptions, Filters, UserDetail, UserList, UserListQuery } from '../metrics.js';

/** The PMF dashboard over the active workspace's snapshot. Every number comes from the AnalyticsEngine. */
export const analyticsChannels = defineChannels({
  'analytics.dashboard': {
    description: 'Everything the dashboard pages show (summary, journey, retention, usage, failures, credits, PMF signals, timeseries) for the filters.',
    input: z.object({ filters: Filters.default({}) }).strict(),
    output: Dashboard,
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
