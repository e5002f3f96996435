import type { analyticsChannels } from '../../shared/api/analytics.js';
import { addDays, weekStart, type Filters } from '../../shared/metrics.js';
import type { AnalyticsEngine } from './engine.js';
import { CoreError } from '../core/errors.js';
import type { HandlersFor } from '../core/types.js';
import { activeEngine } from './active.js';

const MAX_TREND_WEEKS = 26;

/** Weekly trends from the engine: each week's numbers are the engine's dashboard definitions with the range narrowed to it. */
function trends(engine: AnalyticsEngine, filters: Filters) {
  const opts = engine.filterOptions();
  const until = filters.until ?? opts.lastDay;
  const since = filters.since ?? opts.firstDay;
  if (!until || !since) return { weeks: [], truncated: false };
  const starts: string[] = [];
  for (let w = weekStart(since); w <= until; w = addDays(w, 7)) starts.push(w);
  const truncated = starts.length > MAX_TREND_WEEKS;
  const weeks = starts.slice(-MAX_TREND_WEEKS).map((w) => {
    const range = { since: w < since ? since : w, until: addDays(w, 6) > until ? until : addDays(w, 6) };
    const { tools, activeUsers, ranOutUsers } = engine.weekTrend({ ...filters, ...range });
    return { week: w, ...range, tools, activeUsers, ranOutUsers, ranOutRate: activeUsers ? ranOutUsers / activeUsers : null };
  });
  return { weeks, truncated };
}

/** analytics.*: thin wrappers over the AnalyticsEngine of the active workspace (the engine owns every definition). */
export const analyticsHandlers: HandlersFor<typeof analyticsChannels> = {
  'analytics.dashboard': async ({ filters }, ctx) => {
    const engine = await activeEngine(ctx);
    await engine.prepare(filters);
    return engine.dashboard(filters);
  },
  'analytics.trends': async ({ filters }, ctx) => trends(await activeEngine(ctx), filters),
  'analytics.filterOptions': async (_input, ctx) => (await activeEngine(ctx)).filterOptions(),
  'analytics.users': async (query, ctx) => (await activeEngine(ctx)).listUsers(query),
  'analytics.user': async ({ userId }, ctx) => {
    const detail = (await activeEngine(ctx)).userDetail(userId);
    if (!detail) throw new CoreError('not_found', `No user "${userId}" in this workspace`);
    return detail;
  },
};
