import type { analyticsChannels } from '../../shared/api/analytics.js';
import { addDays, weekStart, type Filters, type UserList, type UserListQuery } from '../../shared/metrics.js';
import type { AnalyticsEngine } from '../analytics/engine.js';
import { CoreError } from './errors.js';
import type { HandlersFor } from './types.js';
import { activeEngine } from './workspace.js';

/**
 * The users table asks for 500-row pages as the founder scrolls; a filtered or computed-column sort orders every user
 * of the segment. So pages are served from blocks of USERS_BLOCK rows fetched once per (filters, search, sort) and
 * kept per engine instance: a new engine (after a sync or a switch) starts with an empty cache, so rows are never
 * stale. Small enough that the first block of the default view (ordered in SQL) comes back in ~100 ms at 100k users.
 */
const USERS_BLOCK = 2_000;
const MAX_BLOCKS = 100;
const userBlocks = new WeakMap<AnalyticsEngine, Map<string, UserList>>();

function listUsersPage(engine: AnalyticsEngine, query: UserListQuery): UserList {
  const { offset = 0, limit = 100, ...rest } = query;
  const blockStart = Math.floor(offset / USERS_BLOCK) * USERS_BLOCK;
  if (offset + limit > blockStart + USERS_BLOCK) return engine.listUsers(query); // spans two blocks: rare, ask directly
  let cache = userBlocks.get(engine);
  if (!cache) userBlocks.set(engine, (cache = new Map()));
  const key = JSON.stringify([rest, blockStart]);
  let block = cache.get(key);
  if (!block) {
    block = engine.listUsers({ ...rest, offset: blockStart, limit: USERS_BLOCK });
    if (cache.size >= MAX_BLOCKS) cache.delete(cache.keys().next().value!);
    cache.set(key, block);
  }
  return { rows: block.rows.slice(offset - blockStart, offset - blockStart + limit), total: block.total };
}

const MAX_TREND_WEEKS = 26;

/** Weekly trends from the engine: each week is the engine's own dashboard with the date range narrowed to it. */
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
    const d = engine.dashboard({ ...filters, ...range });
    const exhaustedUsers = d.creditExhaustion.filter((r) => r.exhaustionEvents > 0).length;
    const activeUsers = d.summary.totals.activeUsers;
    return {
      week: w,
      ...range,
      tools: d.usageHealth.errorRateByTool.map((t) => ({ tool: t.tool, calls: t.calls, errors: t.errors })),
      activeUsers,
      exhaustedUsers,
      exhaustionRate: activeUsers ? exhaustedUsers / activeUsers : null,
    };
  });
  return { weeks, truncated };
}

/** analytics.*: thin wrappers over the AnalyticsEngine of the active workspace (the engine owns every definition). */
export const analyticsHandlers: HandlersFor<typeof analyticsChannels> = {
  'analytics.dashboard': async ({ filters }, ctx) => (await activeEngine(ctx)).dashboard(filters),
  'analytics.trends': async ({ filters }, ctx) => trends(await activeEngine(ctx), filters),
  'analytics.filterOptions': async (_input, ctx) => (await activeEngine(ctx)).filterOptions(),
  'analytics.users': async (query, ctx) => listUsersPage(await activeEngine(ctx), query),
  'analytics.user': async ({ userId }, ctx) => {
    const detail = (await activeEngine(ctx)).userDetail(userId);
    if (!detail) throw new CoreError('not_found', `No user "${userId}" in this workspace`);
    return detail;
  },
};
