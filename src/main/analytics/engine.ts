import {
  ACTIVATION_STATUSES,
  CREDIT_ALLOWANCE,
  DEFAULT_PMF_THRESHOLDS,
  Filters,
  HIGH_USAGE_CREDITS,
  JOURNEY_STEPS,
  MESSAGE_SIGNAL_BITS,
  PMF_SIGNAL_DEFINITIONS,
  PmfThresholds,
  RETENTION_COHORTS,
  USER_SORT_FIELDS,
  UserListQuery,
  addDays,
  daysBetween,
  ratio,
  weekStart,
  type CreditExhaustionRow,
  type Dashboard,
  type ExecutiveSummary,
  type FailurePointRow,
  type FilterOptions,
  type IntentFrequencyRow,
  type Journey,
  type JourneyStep,
  type MessageSignal,
  type PmfSignal,
  type RanOutRow,
  type Ratio,
  type Retention,
  type SeedFunnel,
  type Timeseries,
  type UsageHealth,
  type UserDetail,
  type UserList,
  type UserRow,
} from '../../shared/metrics.js';
import type Database from 'better-sqlite3';
import { ROLLUPS_VERSION, SIGNUP_DAY as SD, TRACKED_WEEKS, msFromSignup, conversationGroups, dayActivity, toolDays, userActivity } from '../snapshot/rollups.js';
import { FEATURE_REQUEST } from '../snapshot/schema.js';
import { collectEvidence } from '../profiles/memory.js';
import { derivePreferences, type Preference } from '../../shared/profile.js';
import { snapshotAgeSeconds, type Snapshot } from '../snapshot/snapshot.js';
import { cubeFromRollupSql, cubeSql, parseCube, parseUserStates, stateParams, userStatesJsonSql, userStatesSql, type CubeRow, type UserState } from './user-states.js';

interface Context {
  filters: Filters;
  since: string | null;
  until: string;
  /** Per-user activity up to `until` (columns of rollups.userActivity): user_totals, or a temp table grouped for it. */
  activity: () => string;
  /** The segment's users (a temp table), or null without a segment. */
  segment: string | null;
  /** The users signed up by `until` (segment applied) grouped for the user-level metrics; computed on first use. */
  cube: CubeRow[] | null;
  /** SQL condition on a user_id column: the segment (or 1 when there is none). */
  seg: (column: string) => string;
  /** SQL condition on a YYYY-MM-DD column: inside the range. */
  inRange: (column: string) => string;
  params: { since: string | null; until: string } & ReturnType<typeof stateParams>;
  /**
   * Which rollups (src/main/snapshot/rollups.ts) answer for this context: the per-day ones without a segment, the
   * per-user totals when the range ends on or after the latest data, the user cube (agg_user_cube, user_cube) when
   * both hold. All only while they match the tables.
   */
  rollups: { days: boolean; users: boolean; cube: boolean; fresh: boolean };
  /** The segment's users and every user (null without a segment): which side of the segment is cheaper to read. */
  size: { members: number; everyone: number } | null;
  /** Where the day rollups cannot answer: the segment's own, by kind (see segmentRollup). */
  segmentRollups: Map<string, string>;
}

const EVIDENCE_CAP = 200;

export interface WeekTrend {
  tools: Array<{ tool: string; calls: number; errors: number }>;
  activeUsers: number;
  /** Users with a credit-exhaustion episode that started (its first exhaustion event) in the week. */
  ranOutUsers: number;
}
/** Dashboards kept per filter set (the trends' 26 weekly dashboards fit), user-state lists per `until` (one object
 * per user: a few are enough for the current range and the users table) and sorted user lists per users-table view. */
const DASHBOARD_CACHE_ENTRIES = 64;
const USER_STATE_CACHE_ENTRIES = 4;
const USER_LIST_CACHE_ENTRIES = 8;

/** Adds to a bounded cache, dropping the oldest entry when full. */
function remember<K, V>(cache: Map<K, V>, key: K, value: V, max: number): V {
  if (cache.size >= max) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}
/**
 * What each users-table column sorts by: the value on a user state, and the users-table SQL expression where the
 * column is stored as is (those sorts can page in SQL without evaluating every user; see quickUserPage).
 */
const USER_SORT: Record<(typeof USER_SORT_FIELDS)[number], { value: (u: UserState) => string | number | null; column?: string }> = {
  userId: { value: (u) => u.userId, column: 'u.user_id' },
  email: { value: (u) => u.email, column: 'u.email' },
  signedUpAt: { value: (u) => u.createdAt, column: 'u.created_at' },
  lastActiveAt: { value: (u) => u.lastActiveAt, column: 'u.last_active_at' },
  conversations: { value: (u) => u.totalConversations, column: 'COALESCE(u.total_conversations, 0)' },
  messages: { value: (u) => u.messages },
  creditsUsed: { value: (u) => u.credits },
  activationStatus: { value: (u) => u.activationStatus },
  retentionCohort: { value: (u) => u.retentionCohort },
};


/** The p-th percentile of n sorted values (linear between neighbours), given the value at each rank. */
function percentile(n: number, p: number, at: (rank: number) => number): number | null {
  if (n === 0) return null;
  const idx = (n - 1) * p;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return at(lo) + (at(hi) - at(lo)) * (idx - lo);
}
const round = (x: number | null, digits = 4) => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

/** Every metric of the PMF dashboard, computed on a snapshot. Definitions: src/shared/metrics.ts, docs/metrics.md. */
export class AnalyticsEngine {
  readonly thresholds: PmfThresholds;
  private memo: Map<string, Context> | null = null;
  private results: Map<string, unknown> | null = null;
  private segCounter = 0;

  constructor(
    readonly snapshot: Snapshot,
    thresholds: Partial<PmfThresholds> = {},
    /** "Today" for a snapshot without data; tests pin it. */
    private readonly now: () => Date = () => new Date(),
    /** false: every metric from the tables, never from the rollups (the tests compare the two). */
    private readonly options: { rollups?: boolean } = {},
  ) {
    this.thresholds = PmfThresholds.parse({ ...DEFAULT_PMF_THRESHOLDS, ...thresholds });
  }

  private get db() {
    return this.snapshot.db;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Context: range, user states, segment
  // -------------------------------------------------------------------------------------------------------------

  private context(rawFilters: Filters = {}): Context {
    const filters = Filters.parse(rawFilters);
    const key = JSON.stringify(filters);
    const cached = this.memo?.get(key);
    if (cached) return cached;

    const until = filters.until ?? this.latestDay() ?? this.now().toISOString().slice(0, 10);
    const since = filters.since ?? null;
    const params = { since, ...stateParams(until) };
    const inRange = (col: string) => (since ? `(${col} >= @since AND ${col} <= @until)` : `(${col} <= @until)`);

    const fresh = this.options.rollups !== false && this.snapshot.getMeta('rollups') === ROLLUPS_VERSION;
    const latest = this.latestDataDay();
    const totals = fresh && (latest === null || until >= latest);
    // Grouped from agg_user_day only when a metric asks for users' states (a week of the trends never does).
    const activity = () => (totals ? 'user_totals' : this.activityUntil(until));
    const f = filters;
    let segment: string | null = null;
    let seg = (_col: string) => '1';
    let size: Context['size'] = null;
    if (f.signupCohorts?.length || f.activation?.length || f.tools?.length || f.useCases?.length) {
      segment = `seg_users_${++this.segCounter}`;
      this.db.exec(`CREATE TEMP TABLE ${segment} (user_id TEXT PRIMARY KEY) WITHOUT ROWID`);
      this.tempTables.push(segment);
      const list = (name: string) => `(SELECT value FROM json_each(@${name}))`;
      const byUser = [
        f.tools?.length ? `u.user_id IN (SELECT user_id FROM agg_tool_day WHERE tool_name IN ${list('tools')} AND ${inRange('day')})` : '',
        // Up to the latest data, user_use_cases holds each user's last conversation of a use case (no conversation scan).
        f.useCases?.length
          ? totals
            ? `u.user_id IN (SELECT user_id FROM user_use_cases WHERE use_case IN ${list('useCases')} AND ${since ? 'last_day >= @since' : '1'})`
            : `u.user_id IN (SELECT user_id FROM conversations WHERE use_case IN ${list('useCases')} AND ${inRange('start_day')})`
          : '',
      ].filter(Boolean);
      const byState = [
        f.signupCohorts?.length ? `signup_week IN ${list('cohorts')}` : '',
        f.activation?.length ? `activation_status IN ${list('activation')}` : '',
      ].filter(Boolean);
      const members = this.db
        .prepare(`INSERT INTO temp.${segment} (user_id) SELECT user_id FROM (${userStatesSql(activity(), byUser.join(' AND ') || '1')}) WHERE ${byState.join(' AND ') || '1'}`)
        .run({ ...params, tools: JSON.stringify(f.tools ?? []), useCases: JSON.stringify(f.useCases ?? []), cohorts: JSON.stringify(f.signupCohorts ?? []), activation: JSON.stringify(f.activation ?? []) }).changes;
      const everyone = this.db.prepare('SELECT COUNT(*) FROM users').pluck().get() as number;
      // A large segment reads the tables in order and probes the set (`+col`: no index on col); a small one looks its
      // users up by index. Half the users of 481k events: agg_tool_day 160 → 38 ms, events 600 → 480 ms.
      const scan = members * 10 > everyone ? '+' : '';
      seg = (col: string) => `${scan}${col} IN (SELECT user_id FROM temp.${segment})`;
      size = { members, everyone };
    }
    const ctx: Context = {
      filters, since, until, activity, segment, size, cube: null, seg, inRange, params,
      rollups: { days: fresh && !segment, users: totals, cube: totals && !segment, fresh }, segmentRollups: new Map(),
    };
    this.memo?.set(key, ctx);
    return ctx;
  }

  /** Per-user activity up to `until` from agg_user_day, grouped once per scope into a temp table. */
  private activityUntil(until: string): string {
    const key = `activity:${until}`;
    let table = this.results?.get(key) as string | undefined;
    if (!table) {
      table = `act_${++this.segCounter}`;
      this.db.prepare(`CREATE TEMP TABLE ${table} AS ${userActivity('a.day <= @until')}`).run({ until });
      this.db.exec(`CREATE UNIQUE INDEX temp.${table}_user ON ${table} (user_id)`);
      this.tempTables.push(table);
      this.results?.set(key, table);
    }
    return `temp.${table}`;
  }

  /** The context's users (userStatesSql's columns): every user signed up by `until`, in the segment. */
  private states(ctx: Context): string {
    return `(${userStatesSql(ctx.activity(), ctx.segment ? ctx.seg('u.user_id') : '1')})`;
  }

  /** Users in the context signed up inside the range (every one signed up by `until` without a range start). */
  private static readonly IN_COHORT = 'signup_day IS NOT NULL AND (@since IS NULL OR signup_day >= @since)';

  private cube(ctx: Context): CubeRow[] {
    if (ctx.cube) return ctx.cube;
    // A range up to the latest data without a segment: the maintained cube (rollups.ts), else grouped from the states.
    const maintained = ctx.rollups.cube;
    const first =
      ctx.since ??
      (this.db.prepare(maintained ? `SELECT MIN(NULLIF(signup_day, '')) FROM agg_user_cube` : `SELECT MIN(${SD}) FROM users u`).pluck().get() as string | null);
    // Weeks after signup the retention triangle can reach (bit k of weeks_mask, k ≤ 52).
    const weeks = first && first <= ctx.until ? Math.min(TRACKED_WEEKS, Math.floor(daysBetween(weekStart(first), ctx.until) / 7) + 1) : 0;
    const sql = maintained ? cubeFromRollupSql(weeks) : cubeSql(this.states(ctx), weeks, this.options.rollups === false);
    const rows = this.db.prepare(sql).all(ctx.params) as Array<Record<string, unknown>>;
    ctx.cube = parseCube(rows);
    return ctx.cube;
  }

  /** Cube rows of users signed up inside the range. */
  private cohort(ctx: Context): CubeRow[] {
    return this.cube(ctx).filter((r) => r.signupDay !== null && (!ctx.since || r.signupDay >= ctx.since));
  }

  /** The first (user-id order) users of the context matching `where`: a PMF signal's evidence. */
  private userEvidence(ctx: Context, where: string): string[] {
    return this.db.prepare(`SELECT user_id FROM ${this.states(ctx)} WHERE ${where} ORDER BY user_id LIMIT ${EVIDENCE_CAP}`).pluck().all(ctx.params) as string[];
  }

  private tempTables: string[] = [];

  // Kept while the snapshot is unchanged (per-user states per `until`, whole dashboards per filter set). The version
  // is the connection's own change count plus SQLite's data_version (commits by other connections): a sync, the demo
  // writer or an AI write-back between two calls empties the caches.
  private userStateCache = new Map<string, UserState[]>();
  private userListCache = new Map<string, UserState[]>();
  private dashboardCache = new Map<string, Dashboard>();
  private trendCache = new Map<string, WeekTrend>();
  private filterOptionsCache: FilterOptions | null = null;
  private dataVersion = '';
  private changesStatement: Database.Statement | null = null;

  private currentDataVersion(): string {
    this.changesStatement ??= this.db.prepare('SELECT total_changes()').pluck();
    return `${this.db.pragma('data_version', { simple: true })}:${this.changesStatement.get()}`;
  }

  /** Runs fn with contexts shared between metrics (one user-state pass per dashboard), then drops temp tables. */
  private scoped<T>(fn: () => T): T {
    const outer = this.memo !== null;
    if (!outer) {
      if (this.currentDataVersion() !== this.dataVersion) {
        this.userStateCache.clear();
        this.userListCache.clear();
        this.dashboardCache.clear();
        this.trendCache.clear();
        this.filterOptionsCache = null;
      }
      this.memo = new Map();
      this.results = new Map();
    }
    try {
      return fn();
    } finally {
      if (!outer) {
        this.memo = null;
        this.results = null;
        for (const t of this.tempTables.splice(0)) this.db.exec(`DROP TABLE IF EXISTS temp.${t}`);
        // Our own temp-table writes count as changes: the version is read after them, so they don't empty the caches.
        this.dataVersion = this.currentDataVersion();
      }
    }
  }

  /** A metric computed once per scope (pmfSignals reuses the summary, retention and health of the same dashboard). */
  private once<T>(name: string, filters: Filters, fn: () => T): T {
    return this.scoped(() => {
      const key = `${name}:${JSON.stringify(Filters.parse(filters))}`;
      if (this.results!.has(key)) return this.results!.get(key) as T;
      const value = fn();
      this.results!.set(key, value);
      return value;
    });
  }

  private idSet(sql: string, params: Record<string, unknown>): Set<string> {
    return new Set((this.db.prepare(sql).pluck().all(params) as string[]));
  }

  private userStates(until: string, fromTotals: boolean): UserState[] {
    return this.userStateCache.get(until) ?? remember(this.userStateCache, until, this.computeUserStates(until, fromTotals), USER_STATE_CACHE_ENTRIES);
  }

  /**
   * Every user's state as of `until` (with `ids`, only those users), in user-id order. fromTotals: `until` is on or
   * after the latest data, so user_totals holds each user's activity up to it (else agg_user_day is grouped here).
   */
  private computeUserStates(until: string, fromTotals: boolean, ids?: string[]): UserState[] {
    const activity = fromTotals ? 'user_totals' : `(${userActivity(`a.day <= @until ${ids ? 'AND a.user_id IN (SELECT value FROM json_each(@ids))' : ''}`)})`;
    const json = this.db
      .prepare(userStatesJsonSql(activity, ids ? 'u.user_id IN (SELECT value FROM json_each(@ids))' : '1'))
      .pluck()
      .get({ ...stateParams(until), ids: JSON.stringify(ids ?? []) }) as string;
    return parseUserStates(json);
  }

  /** Per-day active users and activity in the segment (columns of rollups.dayActivity). */
  private activityDays(ctx: Context): string {
    return ctx.rollups.days
      ? 'agg_day'
      : this.segmentRollup(ctx, 'activity', { whole: 'agg_day', key: ['day'], sums: ['active_users', 'events', 'messages', 'credits'], of: (users) => dayActivity(users('user_id')) });
  }

  /** Conversations in the segment by start day, use case and status (columns of rollups.conversationDays). */
  private conversationDays(ctx: Context): string {
    return ctx.rollups.days
      ? 'agg_conversation_day'
      : this.segmentRollup(ctx, 'conversations', {
          whole: 'agg_conversation_day',
          key: ['day', 'use_case', 'completion_status'],
          sums: ['conversations', 'messages', 'duration_ms', 'timed'],
          of: (users) => `SELECT day, use_case, completion_status, SUM(conversations) AS conversations, SUM(messages) AS messages,
              SUM(duration_ms) AS duration_ms, SUM(timed) AS timed FROM ${this.segmentConversations(ctx, users)} GROUP BY 1, 2, 3`,
        });
  }

  /** Conversations in the segment by start day and message count. */
  private conversationLengths(ctx: Context): string {
    return ctx.rollups.days
      ? 'agg_conversation_length'
      : this.segmentRollup(ctx, 'lengths', {
          whole: 'agg_conversation_length',
          key: ['day', 'message_count'],
          sums: ['conversations'],
          of: (users) => `SELECT day, message_count, SUM(conversations) AS conversations FROM ${this.segmentConversations(ctx, users)} GROUP BY 1, 2`,
        });
  }

  /**
   * The conversations of a set of users (the segment's, or the rest's) grouped by every key of the two conversation
   * rollups at once: one read of their conversations for both.
   */
  private segmentConversations(ctx: Context, users: (column: string) => string): string {
    return this.tempTable(ctx, `conversations:${users('user_id')}`, () => conversationGroups(users('user_id')));
  }

  /** Tool calls and failures in the segment by day and tool. */
  private toolCallDays(ctx: Context): string {
    return ctx.rollups.days
      ? 'agg_tool_calls_day'
      : this.segmentRollup(ctx, 'tools', { whole: 'agg_tool_calls_day', key: ['day', 'tool_name'], sums: ['calls', 'failed'], of: (users) => toolDays(users('user_id')) });
  }

  /**
   * The segment's message events grouped as agg_intent (day, user_message, tool_name, success, frequency,
   * user_frequency): both intent lists read it.
   */
  private segmentIntents(ctx: Context): string {
    return this.segmentRollup(ctx, 'intents', {
      whole: 'agg_intent',
      key: ['day', 'user_message', 'tool_name', 'success'],
      sums: ['frequency', 'user_frequency'],
      of: (users) => `SELECT day, message AS user_message, tool_name, success, COUNT(*) AS frequency,
          SUM(COALESCE(role, 'user') = 'user') AS user_frequency
        FROM events WHERE event_type = 'message' AND ${ctx.inRange('day')} AND ${users('user_id')} GROUP BY 1, 2, 3, 4`,
      where: ctx.inRange('day'),
      // Looked up by user through events_user_messages whatever the size: a user's messages are one range of the index.
      lookup: true,
    });
  }

  /**
   * A per-day rollup's rows for this context's segment (the columns of `whole`: `key` and the additive `sums`),
   * computed once into a temp table that every metric then reads. Every sum is over users, so the segment's rows are
   * the whole rollup's minus the rest's: a segment of more than half the users reads the rest's rows instead of its
   * own (while the rollups and user_totals, which lists every user with data, match the tables). `of(users)` groups
   * the rows of the users a condition on a user_id column picks.
   */
  private segmentRollup(ctx: Context, kind: string, spec: { whole: string; key: string[]; sums: string[]; of: (users: (column: string) => string) => string; where?: string; lookup?: boolean }): string {
    return this.tempTable(ctx, kind, () => {
      const size = ctx.size!;
      const lookup = (col: string) => ctx.seg(col).replace(/^\+/, '');
      if (!ctx.rollups.fresh || size.members * 2 <= size.everyone) return spec.of(spec.lookup ? lookup : ctx.seg);
      const rest = this.restOfSegment(ctx, spec.lookup === true);
      const cols = [...spec.key, ...spec.sums.map((c) => `SUM(${c}) AS ${c}`)].join(', ');
      const negated = [...spec.key, ...spec.sums.map((c) => `-${c}`)].join(', ');
      return `SELECT ${cols} FROM (
          SELECT ${[...spec.key, ...spec.sums].join(', ')} FROM ${spec.whole} WHERE ${spec.where ?? '1'}
          UNION ALL SELECT ${negated} FROM (${spec.of(rest)}))
        GROUP BY ${spec.key.join(', ')} HAVING SUM(${spec.sums[0]}) <> 0`;
    });
  }

  /** Every user with data outside the segment (user_totals lists them all), as a condition on a user_id column. */
  private restOfSegment(ctx: Context, lookup: boolean): (column: string) => string {
    const table = this.tempTable(ctx, 'rest', () => `SELECT user_id FROM user_totals WHERE user_id NOT IN (SELECT user_id FROM temp.${ctx.segment})`, 'user_id');
    const size = ctx.size!;
    // As for the segment: a large rest is probed while reading the tables in order, a small one looked up by index.
    const scan = !lookup && (size.everyone - size.members) * 10 > size.everyone ? '+' : '';
    return (col) => `${scan}${col} IN (SELECT user_id FROM ${table})`;
  }

  /** A temp table of `select`'s rows, made once per context and kind (dropped at the end of the scope). */
  private tempTable(ctx: Context, kind: string, select: () => string, primaryKey?: string): string {
    let table = ctx.segmentRollups.get(kind);
    if (!table) {
      table = `seg_${++this.segCounter}`;
      if (primaryKey) {
        this.db.exec(`CREATE TEMP TABLE ${table} (${primaryKey} PRIMARY KEY) WITHOUT ROWID`);
        this.db.prepare(`INSERT INTO temp.${table} ${select()}`).run(ctx.params);
      } else this.db.prepare(`CREATE TEMP TABLE ${table} AS ${select()}`).run(ctx.params);
      this.tempTables.push(table);
      ctx.segmentRollups.set(kind, table);
    }
    return `temp.${table}`;
  }

  /** On a per-user rollup (range ending on or after the latest data): the row's last day falls inside the range. */
  private lastDayInRange(ctx: Context): string {
    return ctx.since ? 'last_day >= @since' : '1';
  }

  /** Users (in the segment) active inside the range. */
  private activeUsers(ctx: Context): number {
    const sql = ctx.rollups.users
      ? `SELECT COUNT(*) FROM user_totals WHERE active_days > 0 AND ${this.lastDayInRange(ctx)} AND ${ctx.seg('user_id')}`
      : `SELECT COUNT(DISTINCT user_id) FROM agg_user_day WHERE ${ctx.inRange('day')} AND ${ctx.seg('user_id')}`;
    return this.db.prepare(sql).pluck().get(ctx.params) as number;
  }

  /**
   * Per user (in the segment, with a conversation started by the end of the range): conversations started by then,
   * and whether one started inside the range. The rows the single-session metrics count.
   */
  private conversationUsers(ctx: Context): string {
    return ctx.rollups.users
      ? `(SELECT user_id, conversations AS n, ${ctx.since ? 'last_conversation_day >= @since' : '1'} AS inRange FROM user_totals
          WHERE conversations > 0 AND ${ctx.seg('user_id')})`
      : `(SELECT user_id, COUNT(*) AS n, MAX(${ctx.since ? 'start_day >= @since' : '1'}) AS inRange FROM conversations
          WHERE start_day <= @until AND ${ctx.seg('user_id')} GROUP BY user_id)`;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Metrics
  // -------------------------------------------------------------------------------------------------------------

  dashboard(filters: Filters = {}): Dashboard {
    return this.scoped(() => {
      const key = JSON.stringify(Filters.parse(filters));
      const cached = this.dashboardCache.get(key);
      // Only the snapshot's age moves on until the data changes (its counts are part of the cached numbers).
      if (cached) return { ...cached, snapshot: { ...cached.snapshot, ageSeconds: snapshotAgeSeconds(cached.snapshot.lastSyncAt, this.now()) } };
      // Frozen: every caller shares the cached object, so a caller that mutated it would fail loudly, not corrupt it.
      return remember(this.dashboardCache, key, deepFreeze(this.computeDashboard(filters)), DASHBOARD_CACHE_ENTRIES);
    });
  }

  private computeDashboard(filters: Filters): Dashboard {
    return this.scoped(() => {
      const t0 = performance.now();
      const ctx = this.context(filters);
      const intents = this.intentFrequency(filters, 501);
      const userIntents = this.intentFrequency(filters, 501, { userMessagesOnly: true });
      const result: Omit<Dashboard, 'computeMs'> = {
        filters: ctx.filters,
        range: { since: ctx.since, until: ctx.until },
        generatedAt: this.now().toISOString(),
        snapshot: this.snapshot.info(this.now()),
        summary: this.executiveSummary(filters),
        journey: this.journey(filters),
        seedFunnel: this.seedFunnel(filters),
        seedFunnelPopulation: this.seedFunnelPopulation(filters),
        retention: this.retention(filters),
        intents: { rows: intents.slice(0, 500), truncated: intents.length > 500 },
        userIntents: { rows: userIntents.slice(0, 500), truncated: userIntents.length > 500 },
        failurePoints: this.failurePoints(filters),
        ranOutUsers: this.ranOutUsers(filters),
        highUsageUsers: this.creditExhaustion(filters),
        usageHealth: this.usageHealth(filters),
        pmfSignals: this.pmfSignals(filters),
        timeseries: this.timeseries(filters),
        featureRequests: this.featureRequests(filters),
        blockers: this.blockers(filters),
      };
      return { ...result, computeMs: Math.round((performance.now() - t0) * 10) / 10 };
    });
  }

  executiveSummary(filters: Filters = {}): ExecutiveSummary {
    return this.once('executiveSummary', filters, () => {
      const ctx = this.context(filters);
      const { until, since } = ctx;
      const cube = this.cube(ctx);
      const cohort = this.cohort(ctx);
      const users = sum(cube, (r) => r.users);
      const firstDay = since ?? this.firstDay() ?? until;
      const dayCount = Math.max(1, daysBetween(firstDay, until) + 1);
      const days = this.db
        .prepare(`SELECT COALESCE(SUM(active_users), 0) AS activeSum, COALESCE(SUM(messages), 0) AS messages, COALESCE(SUM(events), 0) AS events,
             COALESCE(SUM(credits), 0) AS credits FROM ${this.activityDays(ctx)} WHERE ${ctx.inRange('day')}`)
        .get(ctx.params) as { activeSum: number; messages: number; events: number; credits: number };
      const w1Eligible = cohort.filter((r) => r.age >= 13);
      const conv = this.db
        .prepare(`SELECT COALESCE(SUM(conversations), 0) AS conversations, SUM(duration_ms) AS durationMs, SUM(timed) AS timed
           FROM ${this.conversationDays(ctx)} WHERE ${ctx.inRange('day')}`)
        .get(ctx.params) as { conversations: number; durationMs: number | null; timed: number | null };
      return {
        range: { since, until },
        dailyActiveUsers: { ...ratio(sum(cube, (r) => r.activeOnLastDay * r.users), users), day: until },
        averageDailyActiveUsers: round(days.activeSum / dayCount, 2)!,
        week1Retention: ratio(sum(w1Eligible, (r) => r.week1), sum(w1Eligible, (r) => r.users)),
        ranOut: ratio(sum(cube, (r) => r.exhausted * r.users), users),
        highUsage: ratio(this.creditExhaustion(filters).length, users),
        averageSessionMinutes: conv.timed ? round(conv.durationMs! / conv.timed / 60_000, 2) : null,
        topUseCases: this.useCaseShares(ctx).slice(0, 5),
        totals: {
          users,
          newUsers: sum(cohort, (r) => r.users),
          activeUsers: this.activeUsers(ctx),
          conversations: conv.conversations,
          messages: days.messages,
          events: days.events,
          creditsUsed: days.credits,
        },
      };
    });
  }

  private useCaseShares(ctx: Context) {
    const users = ctx.rollups.users
      ? `SELECT use_case, COUNT(*) AS n FROM user_use_cases WHERE ${this.lastDayInRange(ctx)} AND ${ctx.seg('user_id')} GROUP BY use_case`
      : `SELECT use_case, COUNT(DISTINCT user_id) AS n FROM conversations WHERE ${ctx.inRange('start_day')} AND ${ctx.seg('user_id')} GROUP BY use_case`;
    const rows = this.db
      .prepare(
        `SELECT c.use_case AS useCase, c.n AS conversations, COALESCE(u.n, 0) AS users
         FROM (SELECT use_case, SUM(conversations) AS n FROM ${this.conversationDays(ctx)} WHERE ${ctx.inRange('day')} GROUP BY use_case) c
         LEFT JOIN (${users}) u ON u.use_case IS c.use_case
         ORDER BY conversations DESC, useCase`,
      )
      .all(ctx.params) as Array<{ useCase: string; conversations: number; users: number }>;
    const total = rows.reduce((s, r) => s + r.conversations, 0);
    return rows.map((r) => ({ ...r, share: total ? r.conversations / total : 0 }));
  }

  journey(filters: Filters = {}): Journey {
    return this.scoped(() => {
      const ctx = this.context(filters);
      const cohort = this.cohort(ctx);
      const byWeek = groupBy(cohort, (r) => r.signupWeek ?? 'unknown');
      return {
        steps: journeySteps(cohort),
        byCohort: [...byWeek.keys()].sort().map((cohortWeek) => ({ cohort: cohortWeek, steps: journeySteps(byWeek.get(cohortWeek)!) })),
      };
    });
  }

  /** The seed's query 1 on the snapshot (conversations started in the range, segment applied). */
  seedFunnel(filters: Filters = {}): SeedFunnel {
    return this.scoped(() => {
      const ctx = this.context(filters);
      // Without a range start, up to the latest data: user_totals holds each user's journey already.
      const journey = ctx.rollups.users && !ctx.since
        ? `SELECT user_id, conversation_days AS active_days, conversation_credits AS total_credits, created_video, completed_any
           FROM user_totals WHERE conversations > 0 AND ${ctx.seg('user_id')}`
        : `SELECT user_id, COUNT(DISTINCT start_day) AS active_days, SUM(credits_used) AS total_credits,
             MAX(has_video_gen) AS created_video, MAX(CASE WHEN completion_status = 'completed' THEN 1 ELSE 0 END) AS completed_any
           FROM conversations WHERE ${ctx.inRange('start_day')} AND ${ctx.seg('user_id')} GROUP BY user_id`;
      const r = this.db
        .prepare(
          `WITH user_journey AS (${journey})
           SELECT COUNT(*) AS total_users,
             COALESCE(SUM(CASE WHEN active_days >= 1 THEN 1 ELSE 0 END), 0) AS day_1_active,
             COALESCE(SUM(CASE WHEN created_video = 1 THEN 1 ELSE 0 END), 0) AS created_content,
             COALESCE(SUM(CASE WHEN total_credits >= ${HIGH_USAGE_CREDITS} THEN 1 ELSE 0 END), 0) AS high_usage,
             COALESCE(SUM(CASE WHEN completed_any = 1 THEN 1 ELSE 0 END), 0) AS successful_users
           FROM user_journey`,
        )
        .get(ctx.params) as SeedFunnel;
      return r;
    });
  }

  /**
   * Why the seed funnel's total differs from the journey's Signed Up: the seed counts users with conversations (started
   * in the range), the journey every user who signed up (in the range).
   */
  seedFunnelPopulation(filters: Filters = {}): { signedUp: number; withConversations: number } {
    return { signedUp: this.journey(filters).steps[0].count, withConversations: this.seedFunnel(filters).total_users };
  }

  retention(filters: Filters = {}): Retention {
    return this.once('retention', filters, () => {
      const ctx = this.context(filters);
      const { until } = ctx;
      const cohort = this.cohort(ctx);
      const dayN = (n: 1 | 7): Ratio => {
        const eligible = cohort.filter((r) => r.age >= n);
        return ratio(sum(eligible, (r) => (n === 1 ? r.day1 : r.day7)), sum(eligible, (r) => r.users));
      };
      const byWeek = groupBy(cohort.filter((r) => r.signupWeek !== null), (r) => r.signupWeek!);
      let weeks = 0;
      const cohorts = [...byWeek.keys()].sort().map((week) => {
        const members = byWeek.get(week)!;
        const size = sum(members, (r) => r.users);
        const maxK = Math.floor(daysBetween(week, until) / 7);
        weeks = Math.max(weeks, maxK + 1);
        const cells = Array.from({ length: maxK + 1 }, (_, k) => {
          const rows = members.filter((r) => r.age >= 7 * k);
          const eligible = sum(rows, (r) => r.users);
          if (eligible === 0) return null;
          // Activity is tracked for the first TRACKED_WEEKS weeks after signup (later weeks: none retained).
          const retained = sum(rows, (r) => r.activeInWeek[k] ?? 0);
          const partial = rows.some((r) => r.age < 7 * k + 6) || eligible < size;
          return { retained, eligible, rate: retained / eligible, partial };
        });
        return { cohort: week, size, cells };
      });
      for (const c of cohorts) while (c.cells.length < weeks) c.cells.push(null);
      const count = <K extends string>(keys: readonly K[], pick: (r: CubeRow) => K) => {
        const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<string, number>;
        for (const r of this.cube(ctx)) out[pick(r)] += r.users;
        return out;
      };
      return {
        day1: dayN(1),
        day7: dayN(7),
        cohorts,
        weeks,
        retentionCohorts: count(RETENTION_COHORTS, (r) => r.retentionCohort),
        activationStatuses: count(ACTIVATION_STATUSES, (r) => r.activationStatus),
      };
    });
  }

  /** The seed's query 3: events with success = false by tool and content.error, in the range. */
  failurePoints(filters: Filters = {}): FailurePointRow[] {
    return this.scoped(() => {
      const ctx = this.context(filters);
      const tools = ctx.filters.tools?.length ? 'AND tool_name IN (SELECT value FROM json_each(@tools))' : '';
      const order = 'ORDER BY failures DESC, affectedUsers DESC, tool, errorType';
      if (ctx.rollups.users && ctx.since && ctx.rollups.days) {
        // A range up to the latest data: failures per day, and the users whose last failure of a kind is in it.
        return this.db
          .prepare(
            `SELECT f.tool_name AS tool, f.error_type AS errorType, f.failures, COALESCE(u.n, 0) AS affectedUsers
             FROM (SELECT tool_name, error_type, SUM(failures) AS failures FROM agg_failure_kind_day WHERE ${ctx.inRange('day')} GROUP BY 1, 2) f
             LEFT JOIN (SELECT tool_name, error_type, COUNT(*) AS n FROM user_failures WHERE last_day >= @since GROUP BY 1, 2) u
               ON u.tool_name IS f.tool_name AND u.error_type IS f.error_type
             ${order}`,
          )
          .all(ctx.params) as FailurePointRow[];
      }
      // Without a range start, up to the latest data: one row per user and failure kind already (users = rows).
      const perUser = ctx.rollups.users && !ctx.since;
      return this.db
        .prepare(
          `SELECT tool_name AS tool, error_type AS errorType, SUM(failures) AS failures,
             ${perUser ? 'COUNT(*)' : 'COUNT(DISTINCT user_id)'} AS affectedUsers
           FROM ${perUser ? 'user_failures' : 'agg_failure'} WHERE ${perUser ? '1' : ctx.inRange('day')} AND ${ctx.seg('user_id')} ${tools}
           GROUP BY tool_name, error_type ${order}`,
        )
        .all({ ...ctx.params, tools: JSON.stringify(ctx.filters.tools ?? []) }) as FailurePointRow[];
    });
  }

  /**
   * The seed's query 2: message events by day, message, tool_name and success, most frequent first. With
   * userMessagesOnly, the users' own messages only (role user or none): "Most frequent messages" without the replies.
   */
  intentFrequency(filters: Filters = {}, limit = 1000, opts: { userMessagesOnly?: boolean } = {}): IntentFrequencyRow[] {
    return this.scoped(() => {
      const ctx = this.context(filters);
      const order = 'ORDER BY frequency DESC, day DESC, user_message, tool_name, success';
      const users = opts.userMessagesOnly === true;
      // Without a segment the pre-grouped table answers; with one, the segment's own (segmentIntents).
      const table = ctx.segment ? this.segmentIntents(ctx) : 'agg_intent';
      const sql = `SELECT * FROM (SELECT day, user_message, tool_name, success, ${users ? 'user_frequency' : 'frequency'} AS frequency FROM ${table}
          WHERE ${users ? 'user_frequency > 0 AND ' : ''}${ctx.inRange('day')}) ${order} LIMIT @limit`;
      const rows = this.db.prepare(sql).all({ ...ctx.params, limit }) as Array<{ day: string; user_message: string | null; tool_name: string | null; success: number | null; frequency: number }>;
      return rows.map((r) => ({ day: r.day, userMessage: r.user_message, toolName: r.tool_name, success: r.success === null ? null : r.success === 1, frequency: r.frequency }));
    });
  }

  /**
   * The seed's query 4: users at ≥ 90 credits (used in the range), highest credit_exhaustion_count first: the HIGH
   * USAGE list (not "ran out"), with each user's credit-exhaustion episodes by the end of the range.
   */
  creditExhaustion(filters: Filters = {}): CreditExhaustionRow[] {
    return this.once('creditExhaustion', filters, () => {
      const ctx = this.context(filters);
      return this.db
        .prepare(
          `SELECT userId, email, totalCreditsUsed, creditExhaustionCount, episodes, lastActiveAt FROM (
             SELECT u.user_id AS userId, u.email, a.credits AS totalCreditsUsed, u.credit_exhaustion_count AS creditExhaustionCount,
               (SELECT COUNT(*) FROM conversations c WHERE c.user_id = a.user_id AND c.ran_out_at IS NOT NULL AND c.ran_out_at <= @untilEnd) AS episodes,
               u.last_active_at AS lastActiveAt
             -- CROSS JOIN: the planner would walk every (wide) users row and look the few heavy users up; this reads them.
             FROM ${this.highUsage(ctx)} a CROSS JOIN users u ON u.user_id = a.user_id)
           ORDER BY creditExhaustionCount IS NOT NULL, creditExhaustionCount DESC, episodes DESC, totalCreditsUsed DESC, userId`,
        )
        .all(ctx.params) as CreditExhaustionRow[];
    });
  }

  /** Users (in the segment) whose credits used in the range reach HIGH_USAGE_CREDITS: user_id, credits. */
  private highUsage(ctx: Context): string {
    return ctx.rollups.users && !ctx.since
      ? `(SELECT user_id, credits FROM user_totals WHERE credits >= ${HIGH_USAGE_CREDITS} AND ${ctx.seg('user_id')})`
      : `(SELECT user_id, SUM(credits) AS credits FROM agg_user_day
          WHERE ${ctx.inRange('day')} AND ${ctx.seg('user_id')} GROUP BY user_id HAVING SUM(credits) >= ${HIGH_USAGE_CREDITS})`;
  }

  /**
   * "Who ran out": users (in the segment, signed up by the end of the range) with at least one credit-exhaustion
   * episode by the end of the range, most episodes first. Its length is summary.ranOut.count.
   */
  ranOutUsers(filters: Filters = {}): RanOutRow[] {
    return this.scoped(() => {
      const ctx = this.context(filters);
      return this.db
        .prepare(
          `SELECT u.user_id AS userId, u.email, e.episodes, e.firstRanOutAt, e.lastRanOutAt,
             COALESCE(t.credits, 0) AS totalCreditsUsed, u.last_active_at AS lastActiveAt
           FROM (SELECT user_id, COUNT(*) AS episodes, MIN(ran_out_at) AS firstRanOutAt, MAX(ran_out_at) AS lastRanOutAt
                 FROM conversations INDEXED BY conversations_ran_out
                 WHERE ran_out_at IS NOT NULL AND ran_out_at <= @untilEnd AND ${ctx.seg('user_id')} GROUP BY user_id) e
           CROSS JOIN users u ON u.user_id = e.user_id
           LEFT JOIN (SELECT user_id, SUM(credits) AS credits FROM agg_user_day WHERE day <= @until GROUP BY user_id) t ON t.user_id = e.user_id
           WHERE COALESCE(${SD}, @until) <= @until
           ORDER BY e.episodes DESC, e.lastRanOutAt DESC, u.user_id`,
        )
        .all(ctx.params) as RanOutRow[];
    });
  }

  /**
   * One week of the trends (filters narrowed to it by the caller): tool calls per tool and active users (the
   * dashboard's definitions), and the users who ran out of credits in it (an exhaustion event: a blocked_by_credits
   * completion or an insufficient_credits error), without the rest of the dashboard.
   */
  weekTrend(filters: Filters = {}): WeekTrend {
    return this.scoped(() => {
      const key = JSON.stringify(Filters.parse(filters));
      const cached = this.trendCache.get(key);
      if (cached) return cached;
      const ctx = this.context(filters);
      // Not the ≥ 90 credits list: a week rarely holds 90 credits of one user, while running out happens in one day.
      const ranOutUsers = this.db
        .prepare(`SELECT COUNT(DISTINCT user_id) FROM conversations INDEXED BY conversations_ran_out
                  WHERE ran_out_at IS NOT NULL AND ${ctx.inRange('substr(ran_out_at, 1, 10)')} AND ${ctx.seg('user_id')}`)
        .pluck()
        .get(ctx.params) as number;
      return remember(this.trendCache, key, deepFreeze({ tools: this.toolCalls(ctx), activeUsers: this.activeUsers(ctx), ranOutUsers }), DASHBOARD_CACHE_ENTRIES);
    });
  }

  usageHealth(filters: Filters = {}): UsageHealth {
    return this.once('usageHealth', filters, () => {
      const ctx = this.context(filters);
      const days = this.conversationDays(ctx);
      const conv = this.db
        .prepare(
          `SELECT COALESCE(SUM(conversations), 0) AS conversations, SUM(messages) AS messages,
             SUM(CASE WHEN completion_status = 'completed' THEN conversations ELSE 0 END) AS completed,
             SUM(CASE WHEN completion_status IS NOT NULL THEN conversations ELSE 0 END) AS withStatus
           FROM ${days} WHERE ${ctx.inRange('day')}`,
        )
        .get(ctx.params) as { conversations: number; messages: number | null; completed: number | null; withStatus: number | null };
      const byStatus = Object.fromEntries(
        (
          this.db
            .prepare(`SELECT COALESCE(completion_status, 'none') AS s, SUM(conversations) AS n FROM ${days} WHERE ${ctx.inRange('day')} GROUP BY 1 ORDER BY 1`)
            .all(ctx.params) as Array<{ s: string; n: number }>
        ).map((r) => [r.s, r.n]),
      );
      // Single-session: among users with a conversation in the range, those with exactly one up to the end of it.
      const single = this.db
        .prepare(`SELECT COUNT(*) AS users, SUM(n = 1) AS single FROM ${this.conversationUsers(ctx)} WHERE inRange = 1`)
        .get(ctx.params) as { users: number; single: number | null };
      const byTool = this.toolCalls(ctx);
      const calls = byTool.reduce((s, r) => s + r.calls, 0);
      const errors = byTool.reduce((s, r) => s + r.errors, 0);
      // Milliseconds from signup to the first creation / the credit exhaustion, for users signed up in the range: one
      // pass for both, read as two JSON arrays (86k users: 15 ms, against 45–100 ms as rows) and sorted here as typed
      // arrays. Up to the latest data without a segment, user_cube holds them (every time is within the range then).
      const within = (column: string) => `CASE WHEN ${column} <= @untilEnd THEN ${msFromSignup(column)} END`;
      const [creation, exhaustion] = this.db
        .prepare(
          `SELECT json_group_array(c), json_group_array(e) FROM (${
            ctx.rollups.cube
              ? `SELECT creation_ms AS c, exhaustion_ms AS e FROM user_cube
                 WHERE signup_day <> '' AND signup_day <= @until AND (@since IS NULL OR signup_day >= @since) AND (creation_ms IS NOT NULL OR exhaustion_ms IS NOT NULL)`
              : `SELECT ${within('first_creation_at')} AS c, ${within('exhausted_at')} AS e FROM ${this.states(ctx)}
                 WHERE ${AnalyticsEngine.IN_COHORT} AND created_at IS NOT NULL AND (first_creation_at <= @untilEnd OR exhausted_at <= @untilEnd)`
          })`,
        )
        .raw()
        .get(ctx.params) as [string, string];
      const dist = (json: string) => {
        const ms = (JSON.parse(json) as Array<number | null>).filter((x): x is number => x !== null);
        const hours = Float64Array.from(ms, (x) => x / 3_600_000).sort();
        const at = (rank: number) => hours[rank];
        return { users: hours.length, medianHours: round(percentile(hours.length, 0.5, at), 2), p90Hours: round(percentile(hours.length, 0.9, at), 2) };
      };
      return {
        conversationsPerUser: single.users ? round(conv.conversations / single.users, 3) : null,
        messagesPerConversation: conv.conversations ? round(conv.messages! / conv.conversations, 3) : null,
        singleSessionUsers: ratio(single.single ?? 0, single.users),
        completionRate: ratio(conv.completed ?? 0, conv.withStatus ?? 0),
        completionByStatus: byStatus,
        errorRateByTool: byTool.map((r) => ({ ...r, rate: r.calls ? r.errors / r.calls : null })),
        overallErrorRate: ratio(errors, calls),
        timeToFirstCreation: dist(creation),
        timeToCreditExhaustion: dist(exhaustion),
      };
    });
  }

  /** Tool calls and failures per tool in the range (the segment's users; the tool filter's tools only). */
  private toolCalls(ctx: Context): Array<{ tool: string; calls: number; errors: number }> {
    const tools = ctx.filters.tools?.length ? 'AND tool_name IN (SELECT value FROM json_each(@tools))' : '';
    return this.db
      .prepare(
        `SELECT tool_name AS tool, SUM(calls) AS calls, SUM(failed) AS errors FROM ${this.toolCallDays(ctx)}
         WHERE ${ctx.inRange('day')} ${tools} GROUP BY tool_name ORDER BY calls DESC, tool_name`,
      )
      .all({ ...ctx.params, tools: JSON.stringify(ctx.filters.tools ?? []) }) as Array<{ tool: string; calls: number; errors: number }>;
  }

  /** Users (in the segment) with a user message carrying this signal inside the range: how many, and the first ids. */
  private usersWithSignal(ctx: Context, signal: MessageSignal): { kind: 'users'; ids: string[]; total: number } {
    const params = { ...ctx.params, bit: MESSAGE_SIGNAL_BITS[signal] };
    if (ctx.rollups.users) {
      const where = `signal = @bit AND ${this.lastDayInRange(ctx)} AND ${ctx.seg('user_id')}`;
      return {
        kind: 'users',
        ids: this.db.prepare(`SELECT user_id FROM user_signals WHERE ${where} ORDER BY user_id LIMIT ${EVIDENCE_CAP}`).pluck().all(params) as string[],
        total: this.db.prepare(`SELECT COUNT(*) FROM user_signals WHERE ${where}`).pluck().get(params) as number,
      };
    }
    // A first sync drops the events' indexes while it loads (another connection, committed): name the index only while
    // it exists, or SQLite refuses the query ("no such index") instead of scanning.
    const indexed = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_user_signals'`).get() ? 'INDEXED BY events_user_signals' : '';
    const ids = this.db
      .prepare(
        `SELECT DISTINCT user_id FROM events ${indexed} WHERE flags <> 0 AND (flags & @bit) <> 0 AND ${ctx.inRange('day')} AND ${ctx.seg('user_id')} ORDER BY user_id`,
      )
      .pluck()
      .all(params) as string[];
    return { kind: 'users', ids: ids.slice(0, EVIDENCE_CAP), total: ids.length };
  }

  pmfSignals(filters: Filters = {}): PmfSignal[] {
    return this.scoped(() => {
      const ctx = this.context(filters);
      const t = this.thresholds;
      const summary = this.executiveSummary(filters);
      const retention = this.retention(filters);
      const health = this.usageHealth(filters);
      const activeUsers = summary.totals.activeUsers;
      const def = (id: string) => PMF_SIGNAL_DEFINITIONS.find((d) => d.id === id)!;
      const check = (
        id: string,
        value: number | null,
        threshold: number,
        sample: number,
        present: (v: number) => boolean,
        evidence: { kind: 'users' | 'conversations'; ids: string[]; total?: number },
        detail: string,
        unit: PmfSignal['unit'] = 'rate',
      ): PmfSignal => {
        const d = def(id);
        const verdict: PmfSignal['verdict'] = value === null || sample < t.minSample ? 'not_enough_data' : present(value) ? d.group : 'not_seen';
        return {
          id,
          group: d.group,
          label: d.label,
          value: value === null ? null : round(value),
          threshold,
          unit,
          verdict,
          detail,
          evidence: { kind: evidence.kind, ids: evidence.ids.slice(0, EVIDENCE_CAP), total: evidence.total ?? evidence.ids.length },
        };
      };
      const users = summary.totals.users;
      const ranOut = { kind: 'users' as const, ids: this.userEvidence(ctx, 'exhausted'), total: summary.ranOut.count };
      const ranOutRate = summary.ranOut.rate;
      const day7 = { kind: 'users' as const, ids: this.userEvidence(ctx, `${AnalyticsEngine.IN_COHORT} AND day7 = 1`), total: sum(this.cohort(ctx), (r) => r.day7) };
      const sharing = this.usersWithSignal(ctx, 'sharing');
      const praise = this.usersWithSignal(ctx, 'praise');
      const requests = this.usersWithSignal(ctx, 'feature_request');
      const singleIds = this.db
        .prepare(`SELECT user_id FROM ${this.conversationUsers(ctx)} WHERE inRange = 1 AND n = 1 ORDER BY user_id LIMIT ${EVIDENCE_CAP}`)
        .pluck()
        .all(ctx.params) as string[];
      const convStats = this.db
        .prepare(`SELECT COALESCE(SUM(conversations), 0) AS n, SUM(CASE WHEN message_count < @short THEN conversations ELSE 0 END) AS short
                  FROM ${this.conversationLengths(ctx)} WHERE ${ctx.inRange('day')}`)
        .get({ ...ctx.params, short: t.shortConversationMessages }) as { n: number; short: number | null };
      // Evidence: the latest conversations first (conversations_started), capped; totals come from the counts.
      const latestConversations = (where: string, params: Record<string, unknown>) =>
        this.db
          // +start_day: walk conversations_started from the latest (and stop at the cap), not the range's index.
          .prepare(`SELECT id FROM conversations WHERE ${where} AND ${ctx.inRange('+start_day')} AND ${ctx.seg('user_id')} ORDER BY started_at DESC, id LIMIT ${EVIDENCE_CAP}`)
          .pluck()
          .all({ ...ctx.params, ...params }) as string[];
      const shortIds = latestConversations('message_count < @short', { short: t.shortConversationMessages });
      const failing = ctx.rollups.users
        ? `FROM user_failures WHERE ${this.lastDayInRange(ctx)} AND ${ctx.seg('user_id')}`
        : `FROM agg_failure WHERE ${ctx.inRange('day')} AND ${ctx.seg('user_id')}`;
      const failingUsers = {
        kind: 'users' as const,
        ids: this.db.prepare(`SELECT DISTINCT user_id ${failing} ORDER BY user_id LIMIT ${EVIDENCE_CAP}`).pluck().all(ctx.params) as string[],
        total: this.db.prepare(`SELECT COUNT(DISTINCT user_id) ${failing}`).pluck().get(ctx.params) as number,
      };
      const blockers = this.blockers(filters);
      const blockedTotal = blockers.reduce((s, b) => s + b.conversations, 0);
      const top = blockers[0];
      const topBlockerIds = top ? latestConversations('blocker = @b', { b: top.blocker }) : [];
      const vision = JSON.stringify(t.visionUseCases);
      const visionFilter = 'use_case NOT IN (SELECT value FROM json_each(@vision))';
      const offVisionTotal = this.db
        .prepare(`SELECT COALESCE(SUM(conversations), 0) FROM ${this.conversationDays(ctx)} WHERE ${visionFilter} AND ${ctx.inRange('day')}`)
        .pluck()
        .get({ ...ctx.params, vision }) as number;
      const offVision = latestConversations(visionFilter, { vision });
      const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
      const shortShare = convStats.n ? (convStats.short ?? 0) / convStats.n : null;

      return [
        check('credit_exhaustion', ranOutRate, t.creditExhaustionRate, users, (v) => v > t.creditExhaustionRate, ranOut,
          `${ranOut.total} of ${users} users ran out of credits (${pct(ranOutRate)})`),
        check('day7_retention', retention.day7.rate, t.day7Retention, retention.day7.total, (v) => v > t.day7Retention, day7,
          `${retention.day7.count} of ${retention.day7.total} eligible users came back on day 7 (${pct(retention.day7.rate)})`),
        check('organic_sharing', activeUsers ? sharing.total / activeUsers : null, t.organicSharingRate, activeUsers, (v) => v > t.organicSharingRate, sharing,
          `${sharing.total} of ${activeUsers} active users mention sharing or inviting`),
        check('praise', activeUsers ? praise.total / activeUsers : null, t.praiseRate, activeUsers, (v) => v > t.praiseRate, praise,
          `${praise.total} of ${activeUsers} active users said something like "I love this"`),
        check('single_session', health.singleSessionUsers.rate, t.singleSessionRate, health.singleSessionUsers.total, (v) => v > t.singleSessionRate, { kind: 'users', ids: singleIds, total: health.singleSessionUsers.count },
          `${health.singleSessionUsers.count} of ${health.singleSessionUsers.total} users had a single conversation (${pct(health.singleSessionUsers.rate)})`),
        check('no_credit_exhaustion', ranOutRate, t.noExhaustionRate, users, (v) => v < t.noExhaustionRate, ranOut,
          `${pct(ranOutRate)} of users ran out of credits`),
        check('short_conversations', shortShare, t.shortConversationRate, convStats.n, (v) => v > t.shortConversationRate, { kind: 'conversations', ids: shortIds, total: convStats.short ?? 0 },
          `${convStats.short ?? 0} of ${convStats.n} conversations have fewer than ${t.shortConversationMessages} messages (${pct(shortShare)})`),
        check('high_error_rate', health.overallErrorRate.rate, t.errorRate, health.overallErrorRate.total, (v) => v > t.errorRate, failingUsers,
          `${health.overallErrorRate.count} of ${health.overallErrorRate.total} tool calls failed (${pct(health.overallErrorRate.rate)})`),
        check('repeated_blockers', top && blockedTotal ? top.conversations / blockedTotal : null, t.repeatedBlockerShare, blockedTotal, (v) => v > t.repeatedBlockerShare, { kind: 'conversations', ids: topBlockerIds, total: top?.conversations ?? 0 },
          top ? `"${top.blocker}" blocks ${top.conversations} of ${blockedTotal} blocked conversations` : 'no blocked conversations'),
        check('feature_requests', activeUsers ? requests.total / activeUsers : null, t.featureRequestUserRate, activeUsers, (v) => v > t.featureRequestUserRate, requests,
          `${requests.total} of ${activeUsers} active users asked for a feature`),
        check('off_vision_use_cases', convStats.n ? offVisionTotal / convStats.n : null, t.offVisionRate, convStats.n, (v) => v > t.offVisionRate, { kind: 'conversations', ids: offVision, total: offVisionTotal },
          `${offVisionTotal} of ${convStats.n} conversations are outside ${t.visionUseCases.join(', ')}`),
      ];
    });
  }

  timeseries(filters: Filters = {}): Timeseries {
    return this.scoped(() => {
      const ctx = this.context(filters);
      const first = ctx.since ?? this.firstDay() ?? ctx.until;
      const days = new Map<string, Timeseries['days'][number]>();
      for (let d = first; d <= ctx.until; d = addDays(d, 1)) days.set(d, { day: d, activeUsers: 0, signups: 0, conversations: 0, events: 0, creditsUsed: 0 });
      const p = { since: first, until: ctx.until };
      for (const r of this.db
        .prepare(`SELECT day, active_users AS a, events AS e, credits AS c FROM ${this.activityDays(ctx)} WHERE day >= @since AND day <= @until`)
        .all(p) as Array<{ day: string; a: number; e: number; c: number }>) {
        const x = days.get(r.day);
        if (x) Object.assign(x, { activeUsers: r.a, events: r.e, creditsUsed: r.c });
      }
      for (const r of this.db
        .prepare(`SELECT day, SUM(conversations) AS n FROM ${this.conversationDays(ctx)} WHERE day >= @since AND day <= @until GROUP BY day`)
        .all(p) as Array<{ day: string; n: number }>) {
        const x = days.get(r.day);
        if (x) x.conversations = r.n;
      }
      for (const r of this.cube(ctx)) {
        const x = r.signupDay ? days.get(r.signupDay) : undefined;
        if (x) x.signups += r.users;
      }
      return { days: [...days.values()] };
    });
  }

  featureRequests(filters: Filters = {}): Dashboard['featureRequests'] {
    return this.scoped(() => {
      const ctx = this.context(filters);
      return this.db
        .prepare(
          `SELECT MIN(message) AS text, COUNT(DISTINCT user_id) AS users, COUNT(*) AS mentions, MIN(conversation_id) AS exampleConversationId
           FROM events INDEXED BY events_requests WHERE ${FEATURE_REQUEST} AND ${ctx.inRange('day')} AND ${ctx.seg('user_id')}
           GROUP BY lower(trim(message)) ORDER BY users DESC, mentions DESC, text LIMIT 100`,
        )
        .all(ctx.params) as Dashboard['featureRequests'];
    });
  }

  blockers(filters: Filters = {}): Dashboard['blockers'] {
    return this.once('blockers', filters, () => {
      const ctx = this.context(filters);
      const conversations = `SELECT blocker, COUNT(*) AS conversations FROM conversations
        WHERE blocker IS NOT NULL AND ${ctx.inRange('start_day')} AND ${ctx.seg('user_id')} GROUP BY blocker`;
      // Up to the latest data, a blocker's users in the range are those whose last blocked conversation is in it.
      const users = ctx.rollups.users
        ? `SELECT blocker, COUNT(*) AS users FROM user_blockers WHERE ${this.lastDayInRange(ctx)} AND ${ctx.seg('user_id')} GROUP BY blocker`
        : `SELECT blocker, COUNT(DISTINCT user_id) AS users FROM conversations
           WHERE blocker IS NOT NULL AND ${ctx.inRange('start_day')} AND ${ctx.seg('user_id')} GROUP BY blocker`;
      return this.db
        .prepare(`SELECT c.blocker, c.conversations, u.users FROM (${conversations}) c JOIN (${users}) u ON u.blocker = c.blocker ORDER BY c.conversations DESC, c.blocker`)
        .all(ctx.params) as Dashboard['blockers'];
    });
  }

  private latestDay(): string | null {
    return (this.db.prepare('SELECT MAX(day) AS d FROM agg_user_day').get() as { d: string | null }).d;
  }

  /** The latest day with activity or a conversation start (what user_totals covers). */
  private latestDataDay(): string | null {
    return this.db.prepare('SELECT MAX(d) FROM (SELECT MAX(day) AS d FROM agg_user_day UNION ALL SELECT MAX(start_day) FROM conversations)').pluck().get() as string | null;
  }

  private firstDay(): string | null {
    return (this.db.prepare('SELECT MIN(day) AS d FROM agg_user_day').get() as { d: string | null }).d;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Users
  // -------------------------------------------------------------------------------------------------------------

  private toRow(u: UserState, extras: Map<string, { useCase: string | null; tool: string | null }>): UserRow {
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

  private extras(ids: string[]): Map<string, { useCase: string | null; tool: string | null }> {
    const out = new Map<string, { useCase: string | null; tool: string | null }>();
    if (ids.length === 0) return out;
    const list = JSON.stringify(ids);
    for (const r of this.db
      .prepare(
        `SELECT user_id, use_case FROM (SELECT user_id, use_case, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY COUNT(*) DESC, use_case) AS rn
         FROM conversations WHERE user_id IN (SELECT value FROM json_each(@list)) GROUP BY user_id, use_case) WHERE rn = 1`,
      )
      .all({ list }) as Array<{ user_id: string; use_case: string }>)
      out.set(r.user_id, { useCase: r.use_case, tool: null });
    for (const r of this.db
      .prepare(
        `SELECT user_id, tool_name FROM (SELECT user_id, tool_name, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY SUM(calls) DESC, tool_name) AS rn
         FROM agg_tool_day WHERE user_id IN (SELECT value FROM json_each(@list)) GROUP BY user_id, tool_name) WHERE rn = 1`,
      )
      .all({ list }) as Array<{ user_id: string; tool_name: string }>) {
      const cur = out.get(r.user_id) ?? { useCase: null, tool: null };
      out.set(r.user_id, { ...cur, tool: r.tool_name });
    }
    return out;
  }

  listUsers(query: UserListQuery = {}): UserList {
    return this.scoped(() => {
      const q = UserListQuery.parse(query);
      const quick = this.quickUserPage(q);
      if (quick) return quick;
      const sorted = this.sortedUsers(q);
      const page = sorted.slice(q.offset, q.offset + q.limit);
      const extras = this.extras(page.map((u) => u.userId));
      return { rows: page.map((u) => this.toRow(u, extras)), total: sorted.length };
    });
  }

  /** The users of a table view (filters, search, sort) in order; kept while the snapshot is unchanged, so scrolling
   * through it pages a cached list. */
  private sortedUsers(q: UserListQuery): UserState[] {
    const key = JSON.stringify([q.filters ?? {}, q.search ?? '', q.sort ?? null]);
    const cached = this.userListCache.get(key);
    if (cached) return cached;
    const ctx = this.context(q.filters ?? {});
    let users = this.userStates(ctx.until, ctx.rollups.users);
    if (ctx.segment) {
      const members = this.idSet(`SELECT user_id FROM temp.${ctx.segment}`, {});
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
    return remember(this.userListCache, key, sorted, USER_LIST_CACHE_ENTRIES);
  }

  /**
   * The users table's first view (every user, sorted by a column of the users table) straight from SQL, with states
   * computed for the page's users only: the first rows of 100k users without evaluating all 100k. Same order and
   * values as the full path (nulls last, ties by user id); anything else, or states already computed, takes that path.
   */
  private quickUserPage(q: UserListQuery): UserList | null {
    const f = q.filters ?? {};
    const column = USER_SORT[q.sort?.field ?? 'lastActiveAt'].column;
    if (!column || q.search || f.signupCohorts?.length || f.activation?.length || f.tools?.length || f.useCases?.length) return null;
    const until = f.until ?? this.latestDay() ?? this.now().toISOString().slice(0, 10);
    if (this.userStateCache.has(until)) return null; // the full path is cheap now
    const dir = q.sort?.dir === 'asc' ? 'ASC' : 'DESC';
    const where = `WHERE COALESCE(${SD}, @until) <= @until`;
    const total = this.db.prepare(`SELECT COUNT(*) FROM users u ${where}`).pluck().get({ until }) as number;
    const ids = this.db
      .prepare(`SELECT u.user_id FROM users u ${where} ORDER BY ${column} IS NULL, ${column} ${dir}, u.user_id LIMIT @limit OFFSET @offset`)
      .pluck()
      .all({ until, limit: q.limit, offset: q.offset }) as string[];
    const byId = new Map(this.computeUserStates(until, false, ids).map((u) => [u.userId, u]));
    const page = ids.map((id) => byId.get(id)!);
    const extras = this.extras(ids);
    return { rows: page.map((u) => this.toRow(u, extras)), total };
  }

  /**
   * A user's preferences with their evidence (stated and superseded, observed counts): the profile builder's own
   * extraction and choice (src/main/profiles/memory.ts, src/shared/profile.ts) over the user's events in the snapshot,
   * the same events the builder read in PostgreSQL, so the drill-down and the context API agree.
   */
  private preferenceDetails(userId: string): Preference[] {
    const rows = this.db
      .prepare(`SELECT id, ts, event_type, role, message, tool_name, params FROM events INDEXED BY events_user
                WHERE user_id = ? AND (event_type = 'tool_call' OR (event_type = 'message' AND COALESCE(role, 'user') = 'user')) ORDER BY ts, id`)
      .all(userId) as Array<{ id: string; ts: string; event_type: string; role: string | null; message: string | null; tool_name: string | null; params: string | null }>;
    const evidence = collectEvidence(
      rows.map((r) => ({
        id: r.id,
        timestamp: r.ts,
        event_type: r.event_type,
        tool_name: r.tool_name,
        content: { role: r.role ?? undefined, message: r.message ?? undefined, params: r.params === null ? undefined : JSON.parse(r.params) },
      })),
    );
    return derivePreferences(evidence.observed, evidence.statements);
  }

  userDetail(userId: string, opts: { conversations?: number } = {}): UserDetail | null {
    return this.scoped(() => {
      const ctx = this.context({});
      const [u] = this.computeUserStates(ctx.until, ctx.rollups.users, [userId]);
      if (!u) return null;
      const profile = this.db.prepare('SELECT preferences, preferred_tools, context_summary, frequently_used_prompts FROM users WHERE user_id = ?').get(userId) as {
        preferences: string | null;
        preferred_tools: string | null;
        context_summary: string | null;
        frequently_used_prompts: string | null;
      };
      const limit = opts.conversations ?? 50;
      const convs = this.db
        .prepare(`SELECT * FROM conversations WHERE user_id = ? ORDER BY started_at DESC, id LIMIT ?`)
        .all(userId, limit + 1) as Array<Record<string, unknown>>;
      const truncated = convs.length > limit;
      const eventsOf = this.db.prepare('SELECT * FROM events WHERE conversation_id = ? ORDER BY ts, id');
      const signalNames = Object.entries(MESSAGE_SIGNAL_BITS);
      const messagesWith = (signal: MessageSignal) =>
        this.db
          .prepare('SELECT message FROM events INDEXED BY events_user WHERE user_id = ? AND flags <> 0 AND (flags & ?) <> 0 ORDER BY ts')
          .pluck()
          .all(userId, MESSAGE_SIGNAL_BITS[signal]) as string[];
      const stats = this.db
        .prepare(`SELECT AVG((julianday(last_message_at) - julianday(started_at)) * 1440.0) AS minutes,
                    SUM(completion_status = 'completed') AS completed, SUM(completion_status IS NOT NULL) AS withStatus
                  FROM conversations WHERE user_id = ?`)
        .get(userId) as { minutes: number | null; completed: number | null; withStatus: number | null };
      // Episodes and blockers from the user's conversations (events), as ranOutUsers() and blockers() count them.
      const episodes = this.db
        .prepare('SELECT COUNT(*) FROM conversations INDEXED BY conversations_ran_out WHERE user_id = ? AND ran_out_at IS NOT NULL AND ran_out_at <= ?')
        .pluck()
        .get(userId, ctx.params.untilEnd) as number;
      const blockers = this.db
        .prepare('SELECT blocker, COUNT(*) AS conversations FROM conversations WHERE user_id = ? AND blocker IS NOT NULL GROUP BY blocker ORDER BY conversations DESC, blocker')
        .all(userId) as Array<{ blocker: string; conversations: number }>;
      const parse = (s: string | null): unknown => (s === null ? null : JSON.parse(s));
      return {
        profile: this.toRow(u, this.extras([userId])),
        pmf: {
          creditsRemaining: Math.max(0, CREDIT_ALLOWANCE - u.credits),
          creditExhaustionEpisodes: episodes,
          creditExhaustionCount: u.creditExhaustionCount,
          firstCreationAt: u.firstCreationAt,
          creations: u.creations,
          activeDays: u.activeDays,
          completionRate: stats.withStatus ? (stats.completed ?? 0) / stats.withStatus : null,
          averageSessionMinutes: round(stats.minutes, 2),
          featureRequests: messagesWith('feature_request'),
          praise: messagesWith('praise'),
          blockers,
          blockerMessages: messagesWith('blocker'),
        },
        memory: {
          preferences: parse(profile.preferences),
          preferredTools: parse(profile.preferred_tools),
          contextSummary: profile.context_summary,
          frequentlyUsedPrompts: (parse(profile.frequently_used_prompts) as string[] | null) ?? [],
          statedPreferences: messagesWith('preference'),
          preferenceDetails: this.preferenceDetails(userId),
        },
        conversations: convs.slice(0, limit).map((c) => ({
          id: c.id as string,
          startedAt: c.started_at as string,
          lastMessageAt: (c.last_message_at as string | null) ?? null,
          messageCount: (c.message_count as number) ?? 0,
          creditsUsed: (c.credits_used as number) ?? 0,
          toolsUsed: (parse(c.tools_used as string | null) as Record<string, number> | null) ?? {},
          firstIntent: (c.first_intent as string | null) ?? null,
          useCase: c.use_case as string,
          completionStatus: (c.completion_status as string | null) ?? null,
          blocker: (c.blocker as string | null) ?? null,
          events: (eventsOf.all(c.id) as Array<Record<string, unknown>>).map((e) => ({
            id: e.id as string,
            timestamp: e.ts as string,
            eventType: e.event_type as string,
            role: (e.role as string | null) ?? null,
            message: (e.message as string | null) ?? null,
            toolName: (e.tool_name as string | null) ?? null,
            params: parse(e.params as string | null) as Record<string, unknown> | null,
            success: e.success === null ? null : e.success === 1,
            creditsConsumed: e.credits as number,
            errorType: (e.error_type as string | null) ?? null,
            completionStatus: (e.completion_status as string | null) ?? null,
            signals: signalNames.filter(([, bit]) => ((e.flags as number) & bit) !== 0).map(([name]) => name),
          })),
        })),
        truncated,
      };
    });
  }

  filterOptions(): FilterOptions {
    return this.scoped(() => {
      if (this.filterOptionsCache) return this.filterOptionsCache;
      const pluck = (sql: string) => this.db.prepare(sql).pluck().all() as string[];
      this.filterOptionsCache = {
        tools: pluck('SELECT DISTINCT tool_name FROM agg_tool_day ORDER BY 1'),
        useCases: pluck('SELECT DISTINCT use_case FROM conversations WHERE use_case IS NOT NULL ORDER BY 1'),
        signupCohorts: pluck('SELECT DISTINCT signup_week FROM users WHERE signup_week IS NOT NULL ORDER BY 1'),
        activation: [...ACTIVATION_STATUSES],
        firstDay: this.firstDay(),
        lastDay: this.latestDay(),
      };
      return this.filterOptionsCache;
    });
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function sum(rows: CubeRow[], pick: (r: CubeRow) => number): number {
  let total = 0;
  for (const r of rows) total += pick(r);
  return total;
}

function journeySteps(rows: CubeRow[]): JourneyStep[] {
  const users = sum(rows, (r) => r.users);
  const counts: Record<string, number> = {
    signed_up: users,
    first_chat: sum(rows, (r) => r.firstChat),
    used_tool: sum(rows, (r) => r.usedTool),
    created_content: sum(rows, (r) => r.created),
    ran_out: sum(rows, (r) => r.exhausted * r.users),
  };
  return JOURNEY_STEPS.map((s, i) => {
    const count = counts[s.id];
    const prev = i === 0 ? count : counts[JOURNEY_STEPS[i - 1].id];
    return {
      id: s.id,
      label: s.label,
      count,
      stepConversion: i === 0 ? (count ? 1 : null) : prev ? count / prev : null,
      overallConversion: users ? count / users : null,
    };
  });
}
