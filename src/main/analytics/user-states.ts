/**
 * Users as of the end of a range, in SQL: the activation and retention rules of docs/metrics.md written once, read
 * whole by the users table and the drill-down (one JavaScript object per user), and grouped by the dashboard into a
 * few hundred "cube" rows (every user-level metric is a sum over them), so a dashboard of 100k users never builds
 * 100k objects. Up to the latest data without a segment the cube is read from the rollup agg_user_cube (rollups.ts),
 * grouped with the same rules.
 */
import { DORMANT_AFTER_DAYS, addDays, type ActivationStatus, type RetentionCohort } from '../../shared/metrics.js';
import { SIGNUP_DAY as SD, SIGNUP_WEEK, TRACKED_WEEKS, USER_FACTS } from '../snapshot/rollups.js';

/** One user as of the end of the range: what the users table and the drill-down show. */
export interface UserState {
  userId: string;
  email: string | null;
  createdAt: string | null;
  signupDay: string | null;
  signupWeek: string | null;
  firstConversationAt: string | null;
  firstToolAt: string | null;
  firstCreationAt: string | null;
  exhaustedAt: string | null;
  lastActiveAt: string | null;
  totalConversations: number;
  creditExhaustionCount: number | null;
  primaryUseCase: string | null;
  activeDays: number;
  creations: number;
  credits: number;
  messages: number;
  exhaustionEvents: number;
  lastDay: string | null;
  exhausted: boolean;
  activationStatus: ActivationStatus;
  retentionCohort: RetentionCohort;
}

/** The parameters every state query takes, for the end of the range `until`. */
export function stateParams(until: string) {
  return { until, dormantBefore: addDays(until, -(DORMANT_AFTER_DAYS - 1)), untilEnd: `${until}T23:59:59.999Z` };
}

/**
 * Every user signed up by @until (users without a signup day: by their first conversation) whose user_id satisfies
 * `where`, with their activity from `activity` (user_totals, or agg_user_day grouped up to @until: same columns).
 * Columns: the users table's, the activity's, and the derived ones:
 *   age                days from the signup day to @until (-1 without a signup day)
 *   exhausted, power, created_any, off   the facts the rules read (rollups.USER_FACTS)
 *   activation_status  dormant / power_user / first_creation / signed_up
 *   retention_cohort   churned / week_2 / week_1 / day_1
 */
export function userStatesSql(activity: string, where = '1'): string {
  return `
    SELECT *, ${stateRules('(last_day IS NULL OR last_day < @dormantBefore)')}
    FROM (
      SELECT u.user_id, u.email, u.created_at, ${SD} AS signup_day, ${SIGNUP_WEEK} AS signup_week,
        u.first_conversation_at, u.first_tool_at, u.first_creation_at, u.exhausted_at, u.last_active_at,
        COALESCE(u.total_conversations, 0) AS total_conversations, u.credit_exhaustion_count, u.primary_use_case,
        COALESCE(s.active_days, 0) AS active_days, COALESCE(s.creations, 0) AS creations, COALESCE(s.credits, 0) AS credits,
        COALESCE(s.messages, 0) AS messages, COALESCE(s.exhaustion_events, 0) AS exhaustion_events, s.last_day,
        COALESCE(s.day1, 0) AS day1, COALESCE(s.day7, 0) AS day7, COALESCE(s.week1, 0) AS week1, COALESCE(s.weeks_mask, 0) AS weeks_mask,
        ${AGE(SD)} AS age, ${USER_FACTS}
      FROM users u LEFT JOIN ${activity} s ON s.user_id = u.user_id
      WHERE ${SIGNED_UP_BY_UNTIL} AND ${where}
    )`;
}

/** Users (`u`) signed up by @until; users without a signup day, by their first conversation (or none yet). */
export const SIGNED_UP_BY_UNTIL = `COALESCE(${SD}, @until) <= @until`;

/** Days from a signup day to @until (-1 without one). */
const AGE = (day: string) => `COALESCE(CAST(julianday(@until) - julianday(${day}) AS INTEGER), -1)`;

/**
 * The activation and retention rules (docs/metrics.md) over a user's facts (rollups.USER_FACTS: exhausted, power,
 * created_any, off), their age and `quiet` (no activity since @dormantBefore).
 */
function stateRules(quiet: string): string {
  const dormant = `(${quiet} AND age >= ${DORMANT_AFTER_DAYS})`;
  return `
      CASE WHEN ${dormant} THEN 'dormant'
           WHEN power OR exhausted THEN 'power_user'
           WHEN created_any THEN 'first_creation'
           ELSE 'signed_up' END AS activation_status,
      CASE WHEN ${dormant} OR (off <= 0 AND age >= 2) THEN 'churned'
           WHEN off >= 7 THEN 'week_2'
           WHEN off >= 2 THEN 'week_1'
           ELSE 'day_1' END AS retention_cohort`;
}

/** Every user's state (userStatesSql's rows) as objects, in user-id order, read as one JSON document. */
export function userStatesJsonSql(activity: string, where = '1'): string {
  // One JSON document of row arrays, parsed once: better-sqlite3 builds every row and each of its values as JavaScript
  // values one by one, ~1 µs a row before any value. 100,702 users: reading them 0.9–1.3 s, the JSON 0.4–0.9 s.
  return `SELECT json_group_array(json_array(user_id, email, created_at, signup_day, signup_week, first_conversation_at,
      first_tool_at, first_creation_at, exhausted_at, last_active_at, total_conversations, credit_exhaustion_count,
      primary_use_case, active_days, creations, credits, messages, exhaustion_events, last_day, exhausted,
      activation_status, retention_cohort) ORDER BY user_id)
    FROM (${userStatesSql(activity, where)})`;
}

type StateRow = [string, string | null, string | null, string | null, string | null, string | null, string | null, string | null,
  string | null, string | null, number, number | null, string | null, number, number, number, number, number, string | null, number,
  ActivationStatus, RetentionCohort];

export function parseUserStates(json: string): UserState[] {
  return (JSON.parse(json) as StateRow[]).map((c) => {
    const [userId, email, createdAt, signupDay, signupWeek, firstConversationAt, firstToolAt, firstCreationAt, exhaustedAt, lastActiveAt,
      totalConversations, creditExhaustionCount, primaryUseCase, activeDays, creations, credits, messages, exhaustionEvents, lastDay,
      exhausted, activationStatus, retentionCohort] = c;
    // One literal with every field (no spread): all states share one object shape (V8's fast path over 100k users).
    return {
      userId, email, createdAt, signupDay, signupWeek, firstConversationAt, firstToolAt, firstCreationAt, exhaustedAt, lastActiveAt,
      totalConversations, creditExhaustionCount, primaryUseCase, activeDays, creations, credits, messages, exhaustionEvents, lastDay,
      exhausted: exhausted === 1, activationStatus, retentionCohort,
    };
  });
}

/**
 * Users grouped by everything a user-level metric asks of them (signup day and week, status, cohort, exhausted, active
 * on the last day), with the counts the metrics sum: the journey's steps, the retention flags and, per week k after
 * signup (k < `weeks`), the users active in it. One row per user when `perUser` (the tests' reference).
 */
export interface CubeRow {
  signupDay: string | null;
  signupWeek: string | null;
  age: number;
  activationStatus: ActivationStatus;
  retentionCohort: RetentionCohort;
  exhausted: number;
  activeOnLastDay: number;
  users: number;
  day1: number;
  day7: number;
  week1: number;
  firstChat: number;
  usedTool: number;
  created: number;
  /** activeInWeek[k]: users active during days 7k..7k+6 after signup. */
  activeInWeek: number[];
}

/** What the cube groups users by. */
const CUBE_GROUP = 'signup_day, signup_week, age, activation_status, retention_cohort, exhausted, active_last';

/**
 * The cube: rows of `source` (one per user or per group of users, with the CUBE_GROUP columns, `users` and the flag
 * counts, w0…w52) grouped by CUBE_GROUP, the first `weeks` (≤ TRACKED_WEEKS) week columns summed into a JSON array.
 */
function groupCube(source: string, weeks: number, groupBy = CUBE_GROUP): string {
  const bits = Array.from({ length: weeks }, (_, k) => `SUM(w${k})`);
  return `SELECT ${CUBE_GROUP}, SUM(users) AS users, SUM(day1) AS day1, SUM(day7) AS day7, SUM(week1) AS week1,
      SUM(first_chat) AS first_chat, SUM(used_tool) AS used_tool, SUM(created) AS created, json_array(${bits.join(', ')}) AS weeks
    FROM (${source}) GROUP BY ${groupBy}`;
}

/** user_cube's rows of the users a condition on user_id picks, in agg_user_cube's columns (one user a row). */
export function userCubeRows(where: string): string {
  return `(SELECT signup_day, signup_week, last_day, exhausted, power, created_any, off, 1 AS users, day1, day7, week1, first_chat,
      used_tool, created, ${Array.from({ length: TRACKED_WEEKS }, (_, k) => `(weeks_mask >> ${k}) & 1 AS w${k}`).join(', ')}
    FROM user_cube WHERE ${where})`;
}

/**
 * The cube of the users of a range up to the latest data, read from the maintained agg_user_cube (or, for a segment,
 * its users' rows of user_cube: userCubeRows).
 */
export function cubeFromRollupSql(weeks: number, source = 'agg_user_cube'): string {
  return groupCube(
    `SELECT NULLIF(c.signup_day, '') AS signup_day, NULLIF(c.signup_week, '') AS signup_week, age, c.last_day = @until AS active_last,
       ${stateRules(`(c.last_day = '' OR c.last_day < @dormantBefore)`)}, exhausted, users, day1, day7, week1, first_chat, used_tool, created,
       ${Array.from({ length: TRACKED_WEEKS }, (_, k) => `w${k}`).join(', ')}
     FROM (SELECT *, CASE WHEN signup_day = '' THEN -1 ELSE ${AGE('signup_day')} END AS age FROM ${source}
           WHERE signup_day = '' OR signup_day <= @until) c`,
    weeks,
  );
}

/** The cube of the users in `states` (userStatesSql's rows); grouped per user too when `perUser` (the tests' reference). */
export function cubeSql(states: string, weeks: number, perUser: boolean): string {
  const columns = [
    'user_id, signup_day, signup_week, age, activation_status, retention_cohort, exhausted, last_day IS @until AS active_last',
    '1 AS users, day1, day7, week1, first_conversation_at <= @untilEnd AS first_chat, first_tool_at <= @untilEnd AS used_tool',
    'first_creation_at <= @untilEnd AS created',
    ...Array.from({ length: weeks }, (_, k) => `(weeks_mask >> ${k}) & 1 AS w${k}`),
  ];
  return groupCube(
    `SELECT ${columns.join(', ')} FROM ${states}`,
    weeks,
    perUser ? `user_id, ${CUBE_GROUP}` : CUBE_GROUP,
  );
}

export function parseCube(rows: Array<Record<string, unknown>>): CubeRow[] {
  return rows.map((r) => ({
    signupDay: r.signup_day as string | null,
    signupWeek: r.signup_week as string | null,
    age: r.age as number,
    activationStatus: r.activation_status as ActivationStatus,
    retentionCohort: r.retention_cohort as RetentionCohort,
    exhausted: r.exhausted as number,
    activeOnLastDay: r.active_last as number,
    users: r.users as number,
    day1: r.day1 as number,
    day7: r.day7 as number,
    week1: r.week1 as number,
    firstChat: (r.first_chat as number | null) ?? 0,
    usedTool: (r.used_tool as number | null) ?? 0,
    created: (r.created as number | null) ?? 0,
    activeInWeek: JSON.parse(r.weeks as string) as number[],
  }));
}
