import type { analyticsChannels } from '../../shared/api/analytics.js';
import type { UserList, UserListQuery } from '../../shared/metrics.js';
import type { AnalyticsEngine } from '../analytics/engine.js';
import { CoreError } from './errors.js';
import type { HandlersFor } from './types.js';
import { activeEngine } from './workspace.js';

/**
 * The users table asks for 500-row pages as the founder scrolls, and each engine call evaluates every user of the
 * segment. So pages are served from blocks of USERS_BLOCK rows fetched once per (filters, search, sort) and kept
 * per engine instance: a new engine (after a sync or a switch) starts with an empty cache, so rows are never stale.
 */
const USERS_BLOCK = 2000;
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

/** analytics.*: thin wrappers over the AnalyticsEngine of the active workspace (the engine owns every definition). */
export const analyticsHandlers: HandlersFor<typeof analyticsChannels> = {
  'analytics.dashboard': async ({ filters }, ctx) => (await activeEngine(ctx)).dashboard(filters),
  'analytics.filterOptions': async (_input, ctx) => (await activeEngine(ctx)).filterOptions(),
  'analytics.users': async (query, ctx) => listUsersPage(await activeEngine(ctx), query),
  'analytics.user': async ({ userId }, ctx) => {
    const detail = (await activeEngine(ctx)).userDetail(userId);
    if (!detail) throw new CoreError('not_found', `No user "${userId}" in this workspace`);
    return detail;
  },
};
