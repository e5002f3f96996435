/**
 * The Users table: a view's users (filters, search, sort) paged, from SQL alone for the first view.
 */
import { USER_SORT_FIELDS, UserListQuery, type UserList, type UserRow } from '../../../shared/metrics.js';
import { SIGNED_UP_BY_UNTIL, type UserState } from '../user-states.js';
import type { Planner } from '../planner.js';
import { USER_LIST_CACHE_ENTRIES, remember } from '../cache.js';

/**
 * What each users-table column sorts by: the value on a user state, the column of userStatesSql that holds it (a
 * segment's first page sorts its members in SQL), and the users-table SQL expression where the column is stored as is
 * (those sorts can page every user in SQL without evaluating any; see quickUserPage).
 */
const USER_SORT: Record<(typeof USER_SORT_FIELDS)[number], { value: (u: UserState) => string | number | null; state: string; column?: string }> = {
  userId: { value: (u) => u.userId, state: 'user_id', column: 'u.user_id' },
  email: { value: (u) => u.email, state: 'email', column: 'u.email' },
  signedUpAt: { value: (u) => u.createdAt, state: 'created_at', column: 'u.created_at' },
  lastActiveAt: { value: (u) => u.lastActiveAt, state: 'last_active_at', column: 'u.last_active_at' },
  conversations: { value: (u) => u.totalConversations, state: 'total_conversations', column: 'COALESCE(u.total_conversations, 0)' },
  messages: { value: (u) => u.messages, state: 'messages' },
  creditsUsed: { value: (u) => u.credits, state: 'credits' },
  activationStatus: { value: (u) => u.activationStatus, state: 'activation_status' },
  retentionCohort: { value: (u) => u.retentionCohort, state: 'retention_cohort' },
};

export function toRow(u: UserState, extras: Map<string, { useCase: string | null; tool: string | null }>): UserRow {
  const e = extras.get(u.userId);
  return {
    userId: u.userId,
    email: u.email,
    signedUpAt: u.createdAt,
    lastActiveAt: u.lastActiveAt,
    conversations: u.totalConversations,
    messages: u.messages,
    creditsUsed: u.credits,
    primaryUseCase: u.primaryUseCase ?? e?.useCase ?? null,
    topTool: e?.tool ?? null,
    activationStatus: u.activationStatus,
    retentionCohort: u.retentionCohort,
    ranOut: u.exhausted,
  };
}

export function extras(p: Planner, ids: string[]): Map<string, { useCase: string | null; tool: string | null }> {
  const out = new Map<string, { useCase: string | null; tool: string | null }>();
  if (ids.length === 0) return out;
  const list = JSON.stringify(ids);
  for (const r of p.all<{ user_id: string; use_case: string }>(`SELECT user_id, use_case FROM (SELECT user_id, use_case, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY COUNT(*) DESC, use_case) AS rn
       FROM conversations WHERE user_id IN (SELECT value FROM json_each(@list)) GROUP BY user_id, use_case) WHERE rn = 1`, { list }))
    out.set(r.user_id, { useCase: r.use_case, tool: null });
  for (const r of p.all<{ user_id: string; tool_name: string }>(`SELECT user_id, tool_name FROM (SELECT user_id, tool_name, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY SUM(calls) DESC, tool_name) AS rn
       FROM agg_tool_day WHERE user_id IN (SELECT value FROM json_each(@list)) GROUP BY user_id, tool_name) WHERE rn = 1`, { list })) {
    const cur = out.get(r.user_id) ?? { useCase: null, tool: null };
    out.set(r.user_id, { ...cur, tool: r.tool_name });
  }
  return out;
}

export function listUsers(p: Planner, query: UserListQuery = {}): UserList {
  return p.scoped(() => {
    const q = UserListQuery.parse(query);
    const quick = quickUserPage(p, q);
    if (quick) return quick;
    const sorted = sortedUsers(p, q);
    const page = sorted.slice(q.offset, q.offset + q.limit);
    const more = extras(p, page.map((u) => u.userId));
    return { rows: page.map((u) => toRow(u, more)), total: sorted.length };
  });
}

/** The users of a table view (filters, search, sort) in order; kept while the snapshot is unchanged, so scrolling
 * through it pages a cached list. */
function sortedUsers(p: Planner, q: UserListQuery): UserState[] {
  const key = JSON.stringify([q.filters ?? {}, q.search ?? '', q.sort ?? null]);
  const cached = p.cache.userLists.get(key);
  if (cached) return cached;
  const ctx = p.context(q.filters ?? {});
  let users = p.userStates(ctx.until, ctx.rollups.users);
  if (ctx.segment) {
    const members = p.idSet(`SELECT user_id FROM temp.${ctx.segment}`, {});
    users = users.filter((u) => members.has(u.userId));
  }
  if (q.search) {
    const s = q.search.toLowerCase();
    users = users.filter((u) => u.userId.toLowerCase().includes(s) || (u.email ?? '').toLowerCase().includes(s));
  }
  const dir = q.sort?.dir ?? 'desc';
  // One accessor chosen up front: the comparator runs ~1.7M times for 100k users.
  const value = USER_SORT[q.sort?.field ?? 'lastActiveAt'].value;
  const sorted = [...users].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    // Empty values last whatever the direction; ties broken by user id so pages are stable.
    if (va === null && vb !== null) return 1;
    if (vb === null && va !== null) return -1;
    const c = va === vb ? 0 : (va as string | number) < (vb as string | number) ? -1 : 1;
    return (dir === 'asc' ? c : -c) || (a.userId < b.userId ? -1 : 1);
  });
  return remember(p.cache.userLists, key, sorted, USER_LIST_CACHE_ENTRIES);
}

/**
 * The users table's first view (no search, states not computed yet) straight from SQL, with states computed for the
 * page's users only: the first rows of 100k users without evaluating all 100k. Every user sorted by a column of the
 * users table: that column's order. A segment: its members' states sorted in SQL (any column), which reads the
 * members' rows and no one else's. Same order and values as the full path (nulls last, ties by user id).
 */
function quickUserPage(p: Planner, q: UserListQuery): UserList | null {
  if (q.search) return null;
  // The same context (range end, segment members) the full path then reads, kept for this scope.
  const ctx = p.context(q.filters ?? {});
  const until = ctx.until;
  if (p.cache.userStates.has(until)) return null; // the full path is cheap now
  const sort = USER_SORT[q.sort?.field ?? 'lastActiveAt'];
  const dir = q.sort?.dir === 'asc' ? 'ASC' : 'DESC';
  const page = { limit: q.limit, offset: q.offset };
  let total: number;
  let ids: string[];
  if (ctx.segment) {
    total = ctx.size!.members;
    ids = p.values<string>(`SELECT user_id FROM ${p.states(ctx)} ORDER BY ${sort.state} IS NULL, ${sort.state} ${dir}, user_id LIMIT @limit OFFSET @offset`, { ...ctx.params, ...page });
  } else if (sort.column) {
    const where = `WHERE ${SIGNED_UP_BY_UNTIL}`;
    total = p.value<number>(`SELECT COUNT(*) FROM users u ${where}`, { until });
    ids = p.values<string>(`SELECT u.user_id FROM users u ${where} ORDER BY ${sort.column} IS NULL, ${sort.column} ${dir}, u.user_id LIMIT @limit OFFSET @offset`, { until, ...page });
  } else return null;
  const byId = new Map(p.computeUserStates(until, false, ids).map((u) => [u.userId, u]));
  const more = extras(p, ids);
  return { rows: ids.map((id) => toRow(byId.get(id)!, more)), total };
}
