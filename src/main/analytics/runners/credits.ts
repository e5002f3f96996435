/**
 * Credits: the high-usage list (the seed's query 4) and who ran out of credits.
 */
import { Filters, type CreditExhaustionRow, type RanOutRow } from '../../../shared/metrics.js';
import { SIGNED_UP_BY_UNTIL } from '../user-states.js';
import { PAST_CONVERSATIONS, type Context, type Planner, type StoreRead } from '../planner.js';

/**
 * The seed's query 4: users at ≥ 90 credits (used in the range), highest credit_exhaustion_count first: the HIGH
 * USAGE list (not "ran out"), with each user's credit-exhaustion episodes by the end of the range. `limit`: the first
 * rows only (the dashboard's); the list's length is summary.highUsage.count.
 */
export function creditExhaustion(p: Planner, filters: Filters = {}, limit?: number): CreditExhaustionRow[] {
  return p.once(`creditExhaustion:${limit ?? 'all'}`, filters, () => p.rows<CreditExhaustionRow>(p.context(filters), highUsageList(limit)));
}

/** The high-usage list's read (creditExhaustion), its first `limit` rows (all without). */
export function highUsageList(limit?: number): StoreRead {
  return {
    name: `highUsageList:${limit ?? 'all'}`,
    // The dashboard's list (a whole list is long, and asked by the CLI and reports, which prepare nothing).
    stored: () => limit !== undefined,
    query: (p, ctx) => ({
      sql: `SELECT userId, email, totalCreditsUsed, creditExhaustionCount, episodes, lastActiveAt FROM (
           SELECT u.user_id AS userId, u.email, a.credits AS totalCreditsUsed, u.credit_exhaustion_count AS creditExhaustionCount,
             ${episodesOf(ctx, 'a.user_id')} AS episodes,
             u.last_active_at AS lastActiveAt
           -- CROSS JOIN: the planner would walk every (wide) users row and look the few heavy users up; this reads them.
           FROM ${p.highUsage(ctx)} a CROSS JOIN users u ON u.user_id = a.user_id)
         ORDER BY creditExhaustionCount IS NOT NULL, creditExhaustionCount DESC, episodes DESC, totalCreditsUsed DESC, userId
         LIMIT @limit`,
      params: { ...ctx.params, limit: limit ?? -1 },
    }),
  };
}

/**
 * "Who ran out": users (in the segment, signed up by the end of the range) with at least one credit-exhaustion
 * episode by the end of the range, most episodes first. Its length is summary.ranOut.count; `limit`: the first rows only.
 */
export function ranOutUsers(p: Planner, filters: Filters = {}, limit?: number): RanOutRow[] {
  return p.scoped(() => p.rows<RanOutRow>(p.context(filters), ranOutList(limit)));
}

/** The ran-out list's read (ranOutUsers), its first `limit` rows (all without). */
export function ranOutList(limit?: number): StoreRead {
  return {
    name: `ranOutList:${limit ?? 'all'}`,
    stored: () => limit !== undefined,
    query: (p, ctx) => {
      const order = 'ORDER BY episodes DESC, lastRanOutAt DESC, userId';
      // Credits are looked up by key for the listed users only (after the limit): 61k of 151k users ran out at 10M events.
      return {
        sql: `WITH listed AS MATERIALIZED (
           SELECT u.user_id AS userId, u.email, e.episodes, e.firstRanOutAt, e.lastRanOutAt, u.last_active_at AS lastActiveAt
           FROM ${episodesByUser(ctx)} e
           CROSS JOIN users u ON u.user_id = e.user_id
           WHERE ${SIGNED_UP_BY_UNTIL}
           ${order} LIMIT @limit)
         SELECT userId, email, episodes, firstRanOutAt, lastRanOutAt, COALESCE(${p.creditsByUser(ctx, 'listed.userId')}, 0) AS totalCreditsUsed, lastActiveAt
         FROM listed ${order}`,
        params: { ...ctx.params, limit: limit ?? -1 },
      };
    },
  };
}

/**
 * The column store's table of each user's episodes for this context (null in SQLite): up to the latest data
 * `ran_out_users` (columnar.ts), which holds every episode of a range that ends on or after it (rollups.users), as
 * each ran out on a day with activity; a past range's, grouped once per dashboard (planner.ts PAST_CONVERSATIONS). Both
 * have the same columns.
 */
function storedEpisodes(ctx: Context): string | null {
  if (ctx.inStore !== true) return null;
  return ctx.rollups.users ? 'ran_out_users' : PAST_CONVERSATIONS.ranOut;
}

/** The users (in the segment) with a credit-exhaustion episode by the end of the range: how many, the first and the last. */
function episodesByUser(ctx: Context): string {
  const stored = storedEpisodes(ctx);
  if (stored) return `(SELECT user_id, episodes, first_ran_out_at AS firstRanOutAt, last_ran_out_at AS lastRanOutAt FROM ${stored} WHERE ${ctx.seg('user_id')})`;
  return `(SELECT user_id, COUNT(*) AS episodes, MIN(ran_out_at) AS firstRanOutAt, MAX(ran_out_at) AS lastRanOutAt
        FROM conversations INDEXED BY conversations_ran_out
        WHERE ran_out_at IS NOT NULL AND ran_out_at <= @untilEnd AND ${ctx.seg('user_id')} GROUP BY user_id)`;
}

/** The credit-exhaustion episodes of the user in `column` by the end of the range (SQLite: by key, for the listed users). */
function episodesOf(ctx: Context, column: string): string {
  const stored = storedEpisodes(ctx);
  if (stored) return `COALESCE((SELECT r.episodes FROM ${stored} r WHERE r.user_id = ${column}), 0)`;
  return `(SELECT COUNT(*) FROM conversations c WHERE c.user_id = ${column} AND c.ran_out_at IS NOT NULL AND c.ran_out_at <= @untilEnd)`;
}
