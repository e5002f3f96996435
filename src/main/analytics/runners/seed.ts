/**
 * The seed's queries 1–3 on the snapshot: the activation funnel, intent frequency, failure points (query 4: credits.ts).
 */
import { Filters, HIGH_USAGE_CREDITS, type FailurePointRow, type IntentFrequencyRow, type SeedFunnel } from '../../../shared/metrics.js';
import { PAST_CONVERSATIONS, pastConversationsGrouped, type Planner, type StoreRead } from '../planner.js';

/** The seed's query 1 on the snapshot (conversations started in the range, segment applied). */
export function seedFunnel(p: Planner, filters: Filters = {}): SeedFunnel {
  return p.scoped(() => p.rows<SeedFunnel>(p.context(filters), SEED_FUNNEL)[0]);
}

export const SEED_FUNNEL: StoreRead = {
  name: 'seedFunnel',
  stored: () => true,
  query: (p, ctx) => {
    // Without a range start, up to the latest data: user_totals holds each user's journey already; a past range's, the
    // store's conversations grouped per user (a user with a conversation started in the range has an active day in it,
    // and the funnel asks no more than active_days >= 1: counting the distinct days was 40-47 ms of that grouping at 10M).
    const journey = ctx.rollups.users && !ctx.since
      ? `SELECT user_id, conversation_days AS active_days, conversation_credits AS total_credits, created_video, completed_any
         FROM user_totals WHERE conversations > 0 AND ${ctx.seg('user_id')}`
      : pastConversationsGrouped(ctx)
        ? `SELECT user_id, 1 AS active_days, range_credits AS total_credits, range_video AS created_video, range_completed AS completed_any
         FROM ${PAST_CONVERSATIONS.byUser} WHERE in_range = 1`
        : `SELECT user_id, COUNT(DISTINCT start_day) AS active_days, SUM(credits_used) AS total_credits,
           MAX(has_video_gen) AS created_video, MAX(CASE WHEN completion_status = 'completed' THEN 1 ELSE 0 END) AS completed_any
         FROM conversations WHERE ${ctx.inRange('start_day')} AND ${ctx.seg('user_id')} GROUP BY user_id`;
    const sql = `WITH user_journey AS (${journey})
         SELECT COUNT(*) AS total_users,
           COALESCE(SUM(CASE WHEN active_days >= 1 THEN 1 ELSE 0 END), 0) AS day_1_active,
           COALESCE(SUM(CASE WHEN created_video = 1 THEN 1 ELSE 0 END), 0) AS created_content,
           COALESCE(SUM(CASE WHEN total_credits >= ${HIGH_USAGE_CREDITS} THEN 1 ELSE 0 END), 0) AS high_usage,
           COALESCE(SUM(CASE WHEN completed_any = 1 THEN 1 ELSE 0 END), 0) AS successful_users
         FROM user_journey`;
    return { sql, params: ctx.params };
  },
};

/**
 * The seed's query 2: message events by day, message, tool_name and success, most frequent first. With
 * userMessagesOnly, the users' own messages only (role user or none): "Most frequent messages" without the replies.
 */
export function intentFrequency(p: Planner, filters: Filters = {}, limit = 1000, opts: { userMessagesOnly?: boolean } = {}): IntentFrequencyRow[] {
  return p.scoped(() => {
    const ctx = p.context(filters);
    const order = 'ORDER BY frequency DESC, day DESC, user_message, tool_name, success';
    const users = opts.userMessagesOnly === true;
    // Without a segment the pre-grouped table answers; with one, the segment's own (segmentIntents).
    const table = ctx.segment ? p.segmentIntents(ctx, limit) : 'agg_intent';
    const sql = `SELECT * FROM (SELECT day, user_message, tool_name, success, ${users ? 'user_frequency' : 'frequency'} AS frequency FROM ${table}
        WHERE ${users ? 'user_frequency > 0 AND ' : ''}${ctx.inRange('day')}) ${order} LIMIT @limit`;
    const rows = p.all<{ day: string; user_message: string | null; tool_name: string | null; success: number | null; frequency: number }>(sql, { ...ctx.params, limit });
    return rows.map((r) => ({ day: r.day, userMessage: r.user_message, toolName: r.tool_name, success: r.success === null ? null : r.success === 1, frequency: r.frequency }));
  });
}

/** The seed's query 3: events with success = false by tool and content.error, in the range. */
export function failurePoints(p: Planner, filters: Filters = {}): FailurePointRow[] {
  return p.scoped(() => {
    const ctx = p.context(filters);
    if (ctx.rollups.users && ctx.since && ctx.rollups.days) {
      // A range up to the latest data: failures per day, and the users whose last failure of a kind is in it.
      return p.all<FailurePointRow>(`SELECT f.tool_name AS tool, f.error_type AS errorType, f.failures, COALESCE(u.n, 0) AS affectedUsers
           FROM (SELECT tool_name, error_type, SUM(failures) AS failures FROM agg_failure_kind_day WHERE ${ctx.inRange('day')} GROUP BY 1, 2) f
           LEFT JOIN (SELECT tool_name, error_type, COUNT(*) AS n FROM user_failures WHERE last_day >= @since GROUP BY 1, 2) u
             ON u.tool_name IS f.tool_name AND u.error_type IS f.error_type
           ${FAILURE_ORDER}`, ctx.params);
    }
    return p.rows<FailurePointRow>(ctx, FAILURE_POINTS);
  });
}

const FAILURE_ORDER = 'ORDER BY failures DESC, affectedUsers DESC, tool, errorType';

/** Failure points of a segment, or of a range that per-day failure kinds cannot answer (see failurePoints). */
export const FAILURE_POINTS: StoreRead = {
  name: 'failurePoints',
  stored: () => true,
  query: (p, ctx) => {
    const tools = ctx.filters.tools?.length ? 'AND tool_name IN (SELECT value FROM json_each(@tools))' : '';
    // Without a range start, up to the latest data: one row per user and failure kind already (users = rows).
    const perUser = ctx.rollups.users && !ctx.since;
    return {
      sql: `SELECT tool_name AS tool, error_type AS errorType, SUM(failures) AS failures,
           ${perUser ? 'COUNT(*)' : 'COUNT(DISTINCT user_id)'} AS affectedUsers
         FROM ${perUser ? 'user_failures' : 'agg_failure'} WHERE ${perUser ? '1' : ctx.inRange('day')} AND ${ctx.seg('user_id')} ${tools}
         GROUP BY tool_name, error_type ${FAILURE_ORDER}`,
      params: { ...ctx.params, tools: JSON.stringify(ctx.filters.tools ?? []) },
    };
  },
};
