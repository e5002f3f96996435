/**
 * What every query runner (runners/*.ts) shares: the context of a filter set (range, the segment's users as a temp
 * table, which rollups answer for it), the segment's own rollups, the per-user states and cube, the scope that keeps
 * them for one dashboard and drops the temp tables after it, and typed reads. The runners ask it where to read; it
 * never computes a metric itself.
 */
import { DEFAULT_PMF_THRESHOLDS, Filters, HIGH_USAGE_CREDITS, PmfThresholds, daysBetween, hasSegment, weekStart } from '../../shared/metrics.js';
import type Database from 'better-sqlite3';
import { ROLLUPS_VERSION, SIGNUP_DAY as SD, TRACKED_WEEKS, DAY_ROLLUPS, conversationGroups, intentGroups, userActivity } from '../snapshot/rollups.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { dataVersion, segmentCondition, type ColumnarStore, type DataVersion, type SegmentPart, type SegmentRows, type StoreQuery, type StoreRows, type StoreTable } from '../snapshot/columnar.js';
import { ResultCache, USER_STATE_CACHE_ENTRIES, remember } from './cache.js';
import { SIGNED_UP_BY_UNTIL, cubeFromRollupSql, cubeSql, userCubeRows, parseCube, parseUserStates, stateParams, userStatesJsonSql, userStatesSql, type CubeRow, type UserState } from './user-states.js';

export interface Context {
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
   * both hold. All only while they match the tables (fresh).
   */
  rollups: { days: boolean; users: boolean; cube: boolean; fresh: boolean };
  /** The segment's users and every user (null without a segment): which side of the segment is cheaper to read. */
  size: { members: number; everyone: number; weights: () => Weights | null } | null;
  /** Temp tables made for this context (the segment's rollups, by kind; see tempTable). */
  segmentRollups: Map<string, string>;
  /** The context as the column store reads it (storeContext): no SQLite temp table can be made for it. */
  inStore?: true;
}

/**
 * What a segment's users hold of each kind of row, beside every user's (user_totals, up to the latest data): which side
 * of the segment has fewer rows to read. Power users hold most messages, so half the users can be most of the rows.
 */
export interface Weights {
  messages: [number, number];
  days: [number, number];
  conversations: [number, number];
}

/**
 * A read of a runner's over a segment that the column store can answer (it holds the tables the read names for the
 * contexts `stored` accepts): prepare() runs its SQL there, and the runner's rows() finds the answer instead of asking
 * SQLite. One SQL for both engines: `query` is written for SQLite and given, for the store, a context whose segment is
 * matched by the store's `in_seg` (storeContext).
 */
export interface StoreRead {
  /** Unique among the reads of a dashboard (a read with a parameter of its own names it: `ranOutList:201`). */
  name: string;
  stored: (ctx: Context) => boolean;
  /**
   * A first-rows read: walked in an index's order (by user id, or from the latest conversation back) and stopped at
   * the cap (evidence lists). SQLite answers it faster than the store for a large segment up to the latest data
   * (walkedInSqlite), so prepare() leaves it there.
   */
  firstRows?: 'by user' | 'latest first';
  query: (p: Planner, ctx: Context) => StoreQuery;
}

/** The intent lists' rows a prepared segment holds (each of the two orders): the engine's longest list is 1000. */
const PREPARED_INTENT_ROWS = 1001;
/** Filter sets whose prepared parts are kept. */
const PREPARED_ENTRIES = 8;

/** Which rollups answer for a segment: not those grouping every user (per day, the user cube). */
function segmentedRollups(rollups: Context['rollups']): Context['rollups'] {
  return { ...rollups, days: false, cube: false };
}

/**
 * A context as the column store reads it (prepare()), from a filter set's plain context: the segment's users are
 * matched by their number (columnar.ts segmentCondition), the activity of a past range is the store's table `act`
 * (storeTables), and the ranges and segment carry no `+` (SQLite's hint not to use an index).
 */
function storeContext(plain: Context, segmented: boolean): Context {
  const bare = (column: string) => column.replace(/^\+/, '');
  return {
    ...plain,
    segment: segmented ? 'seg' : null,
    seg: segmented ? (column) => segmentCondition(bare(column)) : () => '1',
    inRange: (column) => plain.inRange(bare(column)),
    activity: () => (plain.rollups.users ? 'user_totals' : 'act'),
    rollups: segmented ? segmentedRollups(plain.rollups) : plain.rollups,
    inStore: true,
  };
}

/**
 * A past range's per-user tables, grouped once in the store (storeContext) before the reads that share them: `act`, the
 * activity up to its end (every user's when the members are found by their states, else the members' only, made once
 * the store has found them), and the members' conversations (PAST_CONVERSATIONS). Made side by side on the store's
 * two connections.
 */
function storeTables(ctx: Context): Record<string, StoreTable> {
  if (ctx.rollups.users) return {};
  const ofMembers = ctx.segment !== null && !foundByStates(ctx.filters);
  const where = `a.day <= @until${ofMembers ? ` AND ${ctx.seg('a.user_id')}` : ''}`;
  const inSegment = ctx.segment !== null ? ` AND ${ctx.seg('user_id')}` : '';
  const inRange = ctx.inRange('start_day');
  return {
    act: { sql: userActivity(where, { inStore: true }), params: { until: ctx.until }, ofMembers },
    [PAST_CONVERSATIONS.byUser]: {
      sql: `SELECT user_id, COUNT(*) AS n, MAX(CASE WHEN ${inRange} THEN 1 ELSE 0 END) AS in_range,
          SUM(credits_used) FILTER (WHERE ${inRange}) AS range_credits,
          MAX(has_video_gen) FILTER (WHERE ${inRange}) AS range_video,
          MAX(CASE WHEN completion_status = 'completed' THEN 1 ELSE 0 END) FILTER (WHERE ${inRange}) AS range_completed
        FROM conversations WHERE start_day <= @until${inSegment} GROUP BY uid, user_id`,
      params: ctx.params,
      ofMembers: ctx.segment !== null,
    },
    [PAST_CONVERSATIONS.ranOut]: {
      sql: `SELECT uid, user_id, COUNT(*) AS episodes, MIN(ran_out_at) AS first_ran_out_at, MAX(ran_out_at) AS last_ran_out_at
        FROM conversations WHERE ran_out_at <= @untilEnd${inSegment} GROUP BY uid, user_id`,
      params: ctx.params,
      ofMembers: ctx.segment !== null,
    },
  };
}

/**
 * The store's tables of a past range's conversations per user (storeTables), which the runners read instead of each
 * grouping the conversations again (runners/credits.ts, runners/seed.ts, conversationUsers). `byUser`: those started by
 * the end of the range (n), whether one started in it (in_range), and the seed funnel's journey of those started in it
 * (range_credits, range_video, range_completed; its active days are only asked to be >= 1, which in_range is). `ranOut`: the users with a credit-exhaustion episode by its
 * end (episodes, first_ran_out_at, last_ran_out_at; with `uid`, as the store's `ran_out_users`).
 */
export const PAST_CONVERSATIONS = { byUser: 'conversations_by_user', ranOut: 'ran_out_by_user' } as const;

/** Whether the store grouped this context's conversations per user (PAST_CONVERSATIONS). */
export const pastConversationsGrouped = (ctx: Context): boolean => ctx.inStore === true && !ctx.rollups.users;

/** Whether a segment's members are found by their states as of the range's end (signup week, activation status). */
function foundByStates(f: Filters): boolean {
  return !!(f.signupCohorts?.length || f.activation?.length);
}

/**
 * The segment's users: those signed up by the range's end that match every condition of the filters (tools and use
 * cases in the range, signup weeks, activation status as of its end). One SQL for both engines.
 */
function memberQuery(ctx: Context): StoreQuery {
  const f = ctx.filters;
  const list = (name: string) => `(SELECT value FROM json_each(@${name}))`;
  const byUser = [
    f.tools?.length ? `u.user_id IN (SELECT user_id FROM agg_tool_day WHERE tool_name IN ${list('tools')} AND ${ctx.inRange('day')})` : '',
    // Up to the latest data, user_use_cases holds each user's last conversation of a use case (no conversation scan).
    f.useCases?.length
      ? ctx.rollups.users
        ? `u.user_id IN (SELECT user_id FROM user_use_cases WHERE use_case IN ${list('useCases')} AND ${ctx.since ? 'last_day >= @since' : '1'})`
        : `u.user_id IN (SELECT user_id FROM conversations WHERE use_case IN ${list('useCases')} AND ${ctx.inRange('start_day')})`
      : '',
  ].filter(Boolean);
  const byState = [
    f.signupCohorts?.length ? `signup_week IN ${list('cohorts')}` : '',
    f.activation?.length ? `activation_status IN ${list('activation')}` : '',
  ].filter(Boolean);
  // Without a condition on the users' states, the users signed up by `until` (userStatesSql's own condition) need none
  // of them: 150k users' states cost ~0.2 s at 10M events.
  const sql = foundByStates(f)
    ? `SELECT user_id FROM (${userStatesSql(ctx.activity(), byUser.join(' AND ') || '1')}) WHERE ${byState.join(' AND ')}`
    : `SELECT u.user_id FROM users u WHERE ${SIGNED_UP_BY_UNTIL} AND ${byUser.join(' AND ')}`;
  const json = (v: string[] | undefined) => JSON.stringify(v ?? []);
  return { sql, params: { ...ctx.params, tools: json(f.tools), useCases: json(f.useCases), cohorts: json(f.signupCohorts), activation: json(f.activation) } };
}

/**
 * The cube of a segment or a past range (without either, the rollup agg_user_cube answers): up to the latest data its
 * users' maintained facts (user_cube), else the states of every user in it as of the range's end, grouped.
 */
const CUBE: StoreRead = {
  name: 'cube',
  stored: (ctx) => !ctx.rollups.cube,
  query: (p, ctx) => {
    const weeks = p.cubeWeeks(ctx);
    const sql = ctx.rollups.users ? cubeFromRollupSql(weeks, userCubeRows(ctx.seg('user_id'))) : cubeSql(p.states(ctx), weeks, p.options.rollups === false);
    return { sql, params: ctx.params };
  },
};

/** Users (in the segment) active inside the range. */
const ACTIVE_USERS: StoreRead = {
  name: 'activeUsers',
  stored: () => true,
  query: (p, ctx) => ({
    sql: ctx.rollups.users
      ? `SELECT COUNT(*) AS n FROM user_totals WHERE active_days > 0 AND ${p.lastDayInRange(ctx)} AND ${ctx.seg('user_id')}`
      : `SELECT COUNT(DISTINCT user_id) AS n FROM agg_user_day WHERE ${ctx.inRange('day')} AND ${ctx.seg('user_id')}`,
    params: ctx.params,
  }),
};

/**
 * Whether SQLite answers a first-rows read (StoreRead.firstRows) faster than the column store: for a segment of a
 * quarter of the users or more up to the latest data, the 200th match comes within a few thousand rows (0.4–2 ms at
 * 40k users), where the store reads all of the segment's (6–50 ms). Known once the store has found the members
 * (prepare(): ctx.size). Not a walk from the latest conversation back for a segment of dormant users only: none of
 * theirs is among the last DORMANT_AFTER_DAYS days' conversations, which the walk passes first (10M events, activation
 * dormant: the short and off-vision conversations' lists 210 + 180 ms in SQLite; the store's dashboard 0.94-1.0 s ->
 * 0.55-0.59 s with them).
 */
function walkedInSqlite(ctx: Context, walk: NonNullable<StoreRead['firstRows']>): boolean {
  const large = ctx.rollups.users && ctx.size !== null && ctx.size.members * 4 >= ctx.size.everyone;
  return large && !(walk === 'latest first' && onlyDormant(ctx.filters));
}

/** Every user of the segment is dormant (no activity in the range's last DORMANT_AFTER_DAYS days). */
function onlyDormant(f: Filters): boolean {
  return !!f.activation?.length && f.activation.every((status) => status === 'dormant');
}

/** Evidence lists stop at this many ids. */
export const EVIDENCE_CAP = 200;

/** Users in the context signed up inside the range (every one signed up by `until` without a range start). */
export const IN_COHORT = 'signup_day IS NOT NULL AND (@since IS NULL OR signup_day >= @since)';

export class Planner {
  readonly thresholds: PmfThresholds;
  readonly cache = new ResultCache();
  private memo: Map<string, Context> | null = null;
  private results: Map<string, unknown> | null = null;
  private segCounter = 0;
  private tempTables: string[] = [];
  private changesStatement: Database.Statement | null = null;
  /**
   * What the column store answered (prepare()), by filter set, with the data version it was read at: a segment's
   * members and grouped parts, and the StoreReads' rows.
   */
  private readonly prepared = new Map<string, { version: DataVersion; ids: string[] | null; parts: Partial<Record<SegmentPart, SegmentRows>>; reads: Record<string, StoreRows> }>();

  constructor(
    readonly snapshot: Snapshot,
    thresholds: Partial<PmfThresholds> = {},
    /** "Today" for a snapshot without data; tests pin it. */
    readonly now: () => Date = () => new Date(),
    /**
     * rollups false: every metric from the tables, never from the rollups (the tests compare the two). columnar: the
     * snapshot's column store, which prepare() reads a segment's grouped rows from.
     */
    readonly options: { rollups?: boolean; columnar?: ColumnarStore } = {},
  ) {
    this.thresholds = PmfThresholds.parse({ ...DEFAULT_PMF_THRESHOLDS, ...thresholds });
  }

  get db() {
    return this.snapshot.db;
  }

  // Typed reads: the row's type is named at the call (one place), not cast after `.get()/.all()`.
  // Parameters as better-sqlite3 binds them: one object of named values, or positional values.
  one<T>(sql: string, ...params: unknown[]): T {
    return this.db.prepare(sql).get(...params) as T;
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.db.prepare(sql).all(...params) as T[];
  }

  /** The first column of the first row. */
  value<T>(sql: string, ...params: unknown[]): T {
    return this.db.prepare(sql).pluck().get(...params) as T;
  }

  /** The first column of every row. */
  values<T>(sql: string, ...params: unknown[]): T[] {
    return this.db.prepare(sql).pluck().all(...params) as T[];
  }

  context(rawFilters: Filters = {}): Context {
    const filters = Filters.parse(rawFilters);
    const key = JSON.stringify(filters);
    const cached = this.memo?.get(key);
    if (cached) return cached;
    const ctx = this.plainContext(filters);
    if (hasSegment(filters)) this.addSegment(ctx, key);
    this.memo?.set(key, ctx);
    return ctx;
  }

  /** A filter set's context before its segment (none yet): the range, its parameters, which rollups answer. */
  private plainContext(filters: Filters): Context {
    const until = filters.until ?? this.latestDay() ?? this.now().toISOString().slice(0, 10);
    const since = filters.since ?? null;
    const params = { since, ...stateParams(until) };
    const inRange = (col: string) => (since ? `(${col} >= @since AND ${col} <= @until)` : `(${col} <= @until)`);
    const fresh = this.options.rollups !== false && this.snapshot.getMeta('rollups') === ROLLUPS_VERSION;
    const latest = this.latestDataDay();
    const totals = fresh && (latest === null || until >= latest);
    // Grouped from agg_user_day only when a metric asks for users' states (a week of the trends never does).
    const activity = () => (totals ? 'user_totals' : this.activityUntil(until));
    return {
      filters, since, until, activity, segment: null, size: null, cube: null, seg: () => '1', inRange, params,
      rollups: { days: fresh, users: totals, cube: totals, fresh }, segmentRollups: new Map(),
    };
  }

  /** The segment's users into a temp table (as prepare() found them in the column store, else found here). */
  private addSegment(ctx: Context, key: string): void {
    const segment = `seg_users_${++this.segCounter}`;
    this.db.exec(`CREATE TEMP TABLE ${segment} (user_id TEXT PRIMARY KEY) WITHOUT ROWID`);
    this.tempTables.push(segment);
    const ready = this.preparedEntry(key);
    const query = ready?.ids ? null : memberQuery(ctx);
    const members = query ? this.db.prepare(`INSERT INTO temp.${segment} (user_id) ${query.sql}`).run(query.params).changes : this.insertIds(segment, ready!.ids!);
    const everyone = this.value<number>('SELECT COUNT(*) FROM users');
    // A large segment reads the tables in order and probes the set (`+col`: no index on col); a small one looks its
    // users up by index. Half the users of 481k events: agg_tool_day 160 → 38 ms, events 600 → 480 ms.
    const scan = members * 10 > everyone ? '+' : '';
    // Read once, and only by a part grouped here (prepared parts come grouped): which side of the segment to read.
    let weights: Weights | null | undefined;
    Object.assign(ctx, {
      segment,
      seg: (col: string) => `${scan}${col} IN (SELECT user_id FROM temp.${segment})`,
      size: { members, everyone, weights: () => (weights ??= ctx.rollups.fresh ? this.weights(segment) : null) },
      rollups: segmentedRollups(ctx.rollups),
    });
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
  states(ctx: Context): string {
    return `(${userStatesSql(ctx.activity(), ctx.segment ? ctx.seg('u.user_id') : '1')})`;
  }

  cube(ctx: Context): CubeRow[] {
    ctx.cube ??= parseCube(ctx.rollups.cube ? this.all(cubeFromRollupSql(this.cubeWeeks(ctx)), ctx.params) : this.rows(ctx, CUBE));
    return ctx.cube;
  }

  /** Weeks after signup the retention triangle of a context can reach (bit k of weeks_mask, k ≤ 52). */
  cubeWeeks(ctx: Context): number {
    // Up to the latest data (segment or not) the maintained cube, which groups every user, has the first signup day.
    const first =
      ctx.since ?? this.value<string | null>(ctx.rollups.users ? `SELECT MIN(NULLIF(signup_day, '')) FROM agg_user_cube` : `SELECT MIN(${SD}) FROM users u`);
    return first && first <= ctx.until ? Math.min(TRACKED_WEEKS, Math.floor(daysBetween(weekStart(first), ctx.until) / 7) + 1) : 0;
  }

  /**
   * A StoreRead's rows: the column store's answer that prepare() read for this segment and data version, else
   * SQLite's.
   */
  rows<T = Record<string, unknown>>(ctx: Context, read: StoreRead): T[] {
    const ready = this.prepared.size > 0 ? this.preparedEntry(JSON.stringify(ctx.filters))?.reads[read.name] : undefined;
    if (ready) return ready as T[];
    const { sql, params } = read.query(this, ctx);
    return this.all<T>(sql, params);
  }

  /** Cube rows of users signed up inside the range. */
  cohort(ctx: Context): CubeRow[] {
    return this.cube(ctx).filter((r) => r.signupDay !== null && (!ctx.since || r.signupDay >= ctx.since));
  }

  private totalChanges(): number {
    this.changesStatement ??= this.db.prepare('SELECT total_changes()').pluck();
    return this.changesStatement.get() as number;
  }

  /**
   * The data's version: SQLite's data_version (commits by other connections) and this connection's change count less
   * the scopes' temp-table writes (snapshot.scratchChanges), which change no data: one engine's segment tables must not
   * empty the caches of another engine on the same snapshot.
   */
  private currentDataVersion(): string {
    return `${this.db.pragma('data_version', { simple: true })}:${this.totalChanges() - this.snapshot.scratchChanges}`;
  }

  /** Runs fn with contexts shared between metrics (one user-state pass per dashboard), then drops temp tables. */
  scoped<T>(fn: () => T): T {
    const outer = this.memo !== null;
    // A scope only reads the data and writes temp tables (synchronously: no other write on this connection meanwhile).
    const changesBefore = outer ? 0 : this.totalChanges();
    if (!outer) {
      this.cache.check(this.currentDataVersion());
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
        this.snapshot.scratchChanges += this.totalChanges() - changesBefore;
      }
    }
  }

  /** A metric computed once per scope (pmfSignals reuses the summary, retention and health of the same dashboard). */
  once<T>(name: string, filters: Filters, fn: () => T): T {
    return this.scoped(() => {
      const key = `${name}:${JSON.stringify(Filters.parse(filters))}`;
      if (this.results!.has(key)) return this.results!.get(key) as T;
      const value = fn();
      this.results!.set(key, value);
      return value;
    });
  }

  idSet(sql: string, params: Record<string, unknown>): Set<string> {
    return new Set((this.values<string>(sql, params)));
  }

  userStates(until: string, fromTotals: boolean): UserState[] {
    return this.cache.userStates.get(until) ?? remember(this.cache.userStates, until, this.computeUserStates(until, fromTotals), USER_STATE_CACHE_ENTRIES);
  }

  /**
   * Every user's state as of `until` (with `ids`, only those users), in user-id order. fromTotals: `until` is on or
   * after the latest data, so user_totals holds each user's activity up to it (else agg_user_day is grouped here).
   */
  computeUserStates(until: string, fromTotals: boolean, ids?: string[]): UserState[] {
    const activity = fromTotals ? 'user_totals' : `(${userActivity(`a.day <= @until ${ids ? 'AND a.user_id IN (SELECT value FROM json_each(@ids))' : ''}`)})`;
    const json = this.value<string>(userStatesJsonSql(activity, ids ? 'u.user_id IN (SELECT value FROM json_each(@ids))' : '1'), { ...stateParams(until), ids: JSON.stringify(ids ?? []) });
    return parseUserStates(json);
  }

  /** Per-day active users and activity in the segment (columns of rollups.dayActivity). */
  activityDays(ctx: Context): string {
    return ctx.rollups.days
      ? 'agg_day'
      : // Looked up by user whatever the size: agg_user_day's key starts with user_id, while a scan in day order (its day
        // index, to group without sorting) looks every row up in the table. 10M events, 38k users: 2.2 s → 0.3 s.
        this.segmentRollup(ctx, 'activity', { ...DAY_ROLLUPS.day, lookup: true, of: (users) => DAY_ROLLUPS.day.source(`${users('user_id')} AND ${ctx.inRange('+day')}`) });
  }

  /** Conversations in the segment by start day, use case and status (columns of rollups.conversationDays). */
  conversationDays(ctx: Context): string {
    return ctx.rollups.days
      ? 'agg_conversation_day'
      : this.segmentRollup(ctx, 'conversations', {
          ...DAY_ROLLUPS.conversationDay,
          weight: 'conversations',
          of: (users) => `SELECT day, use_case, completion_status, SUM(conversations) AS conversations, SUM(messages) AS messages,
              SUM(duration_ms) AS duration_ms, SUM(timed) AS timed FROM ${this.segmentConversations(ctx, users)} GROUP BY 1, 2, 3`,
        });
  }

  /** Conversations in the segment by start day and message count. */
  conversationLengths(ctx: Context): string {
    return ctx.rollups.days
      ? 'agg_conversation_length'
      : this.segmentRollup(ctx, 'lengths', {
          ...DAY_ROLLUPS.conversationLength,
          weight: 'conversations',
          of: (users) => `SELECT day, message_count, SUM(conversations) AS conversations FROM ${this.segmentConversations(ctx, users)} GROUP BY 1, 2`,
        });
  }

  /**
   * The conversations of a set of users (the segment's, or the rest's) grouped by every key of the two conversation
   * rollups at once: one read of their conversations for both.
   */
  // The range as `+day`: the rows are found by user (or read in table order), never through the day indexes, which
  // would look every row of the range up in the table.
  private segmentConversations(ctx: Context, users: (column: string) => string): string {
    return this.tempTable(ctx, `conversations:${users('user_id')}`, () => conversationGroups(`${users('user_id')} AND ${ctx.inRange('+start_day')}`));
  }

  /** Tool calls and failures in the segment by day and tool. */
  toolCallDays(ctx: Context): string {
    return ctx.rollups.days
      ? 'agg_tool_calls_day'
      : this.segmentRollup(ctx, 'tools', { ...DAY_ROLLUPS.toolCalls, of: (users) => DAY_ROLLUPS.toolCalls.source(`${users('user_id')} AND ${ctx.inRange('+day')}`) });
  }

  /**
   * The segment's message events grouped as agg_intent (day, user_message, tool_name, success, frequency,
   * user_frequency): both intent lists read it.
   */
  segmentIntents(ctx: Context, limit: number): string {
    // The column store's part holds each list's first PREPARED_INTENT_ROWS rows: enough for a list up to that long.
    const top = limit <= PREPARED_INTENT_ROWS ? this.preparedPart(ctx, 'intentLists') : null;
    if (top) return this.rowsTable(ctx, 'intents:first', top);
    return this.segmentRollup(ctx, 'intents', {
      table: 'agg_intent',
      key: ['day', 'user_message', 'tool_name', 'success'],
      sums: ['frequency', 'user_frequency'],
      of: (users) => intentGroups(`${ctx.inRange('day')} AND ${users('user_id')}`),
      // Looked up by user through events_user_messages whatever the size: a user's messages are one range of the index.
      lookup: true,
      weight: 'messages',
    });
  }

  /**
   * A per-day rollup's rows for this context's segment and range (every metric reads them inside the range only;
   * rollups.ts DayRollup: `table`'s `key` and additive `sums`),
   * computed once into a temp table that every metric then reads. Every sum is over users, so the segment's rows are
   * the whole rollup's minus the rest's: a segment of more than half the users reads the rest's rows instead of its
   * own (while the rollups and user_totals, which lists every user with data, match the tables). `of(users)` groups
   * the rows of the users a condition on a user_id column picks.
   */
  private segmentRollup(ctx: Context, kind: string, spec: { table: string; key: readonly string[]; sums: readonly string[]; of: (users: (column: string) => string) => string; lookup?: boolean; weight?: keyof Weights }): string {
    const grouped = this.preparedPart(ctx, kind as SegmentPart);
    if (grouped) return this.rowsTable(ctx, kind, grouped);
    return this.tempTable(ctx, kind, () => {
      const size = ctx.size;
      const lookup = (col: string) => ctx.seg(col).replace(/^\+/, '');
      // Without a segment (rollups not current) or with stale rollups: the rows of the segment (or everyone) themselves.
      const [mine, all] = size?.weights()?.[spec.weight ?? 'days'] ?? [size?.members ?? 0, size?.everyone ?? 0];
      if (!ctx.rollups.fresh || !size || mine * 2 <= all) return spec.of(spec.lookup ? lookup : ctx.seg);
      const rest = this.restOfSegment(ctx, spec.lookup === true);
      const cols = [...spec.key, ...spec.sums.map((c) => `SUM(${c}) AS ${c}`)].join(', ');
      const negated = [...spec.key, ...spec.sums.map((c) => `-${c}`)].join(', ');
      return `SELECT ${cols} FROM (
          SELECT ${[...spec.key, ...spec.sums].join(', ')} FROM ${spec.table} WHERE ${ctx.inRange('day')}
          UNION ALL SELECT ${negated} FROM (${spec.of(rest)}))
        GROUP BY ${spec.key.join(', ')} HAVING SUM(${spec.sums[0]}) <> 0`;
    });
  }

  /** The segment's share of each kind of row (see Weights), from user_totals. */
  private weights(segment: string): Weights {
    const sums = 'COALESCE(SUM(messages), 0), COALESCE(SUM(active_days), 0), COALESCE(SUM(conversations), 0)';
    const mine = this.db.prepare(`SELECT ${sums} FROM user_totals WHERE user_id IN (SELECT user_id FROM temp.${segment})`).raw().get() as number[];
    const all = this.db.prepare(`SELECT ${sums} FROM user_totals`).raw().get() as number[];
    return { messages: [mine[0], all[0]], days: [mine[1], all[1]], conversations: [mine[2], all[2]] };
  }

  /** Every user with data outside the segment (user_totals lists them all), as a condition on a user_id column. */
  private restOfSegment(ctx: Context, lookup: boolean): (column: string) => string {
    const table = this.tempTable(ctx, 'rest', () => `SELECT user_id FROM user_totals WHERE user_id NOT IN (SELECT user_id FROM temp.${ctx.segment})`, 'user_id');
    const size = ctx.size!;
    // As for the segment: a large rest is probed while reading the tables in order, a small one looked up by index.
    const scan = !lookup && (size.everyone - size.members) * 10 > size.everyone ? '+' : '';
    return (col) => `${scan}${col} IN (SELECT user_id FROM ${table})`;
  }

  /**
   * Finds a segment's users, reads its grouped parts (activity, tool calls, conversations, intents) and the runners'
   * `reads` that the store answers for these filters (a past range's too, segment or not) from the column store, for
   * the next synchronous dashboard of the same filters to use instead of grouping the snapshot's rows (seconds at 10M
   * events).
   * True when they are ready; false when there is nothing to prepare (no segment, up to the latest data: the rollups
   * answer), without a store, or while the store does not hold the snapshot's current data (it is then brought up to
   * date in the background, and the dashboard reads SQLite).
   */
  async prepare(rawFilters: Filters, reads: readonly StoreRead[] = []): Promise<boolean> {
    const store = this.options.columnar;
    if (!store || this.options.rollups === false) return false;
    const version = dataVersion(this.snapshot);
    // Behind (whatever the filters: a forget that another process synced must reach the store's file soon).
    if (!store.holds(version)) {
      store.catchUp(this.snapshot).catch((err: unknown) => console.warn(`column store: ${err instanceof Error ? err.message : String(err)}`));
      return false;
    }
    const filters = Filters.parse(rawFilters);
    const key = JSON.stringify(filters);
    if (this.preparedVersion(this.prepared.get(key)?.version, version)) return true;
    // A dashboard cached for these filters at this data version needs nothing (scoped() empties stale caches).
    if (this.scoped(() => this.cache.dashboards.has(key))) return false;
    const plan = this.scoped(() => {
      const plain = this.plainContext(filters);
      const segmented = hasSegment(filters);
      // Up to the latest data without a segment, the rollups answer: nothing to prepare.
      if (!segmented && plain.rollups.users) return null;
      const ctx = storeContext(plain, segmented);
      const everyone = this.value<number>('SELECT COUNT(*) FROM users');
      return {
        since: ctx.since,
        until: ctx.until,
        tables: storeTables(ctx),
        members: segmented ? memberQuery(ctx) : null,
        queries: (members: number | null) => {
          // A read may go to SQLite for a segment of some size (StoreRead.firstRows): the store found its members.
          const sized = members === null ? ctx : { ...ctx, size: { members, everyone, weights: () => null } };
          const inStore = (r: StoreRead) => r.stored(sized) && !(r.firstRows && walkedInSqlite(sized, r.firstRows));
          return Object.fromEntries([CUBE, ACTIVE_USERS, ...reads].filter(inStore).map((r) => [r.name, r.query(this, sized)]));
        },
      };
    });
    if (!plan) return false;
    let grouped: Awaited<ReturnType<ColumnarStore['segmentParts']>>;
    try {
      grouped = await store.segmentParts(version!, { ...plan, intentRows: PREPARED_INTENT_ROWS });
    } catch (err) {
      // The store is a cache: a read it cannot answer sends the dashboard to SQLite (same numbers, slower).
      console.warn(`column store: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    if (!grouped || !this.preparedVersion(version, dataVersion(this.snapshot))) return false;
    this.prepared.set(key, { version: version!, ...grouped });
    // A few filter sets at a time (a founder clicks through segments; older ones are read again when asked).
    for (const old of [...this.prepared.keys()].slice(0, -PREPARED_ENTRIES)) this.prepared.delete(old);
    return true;
  }

  private preparedVersion(a: DataVersion | null | undefined, b: DataVersion | null): boolean {
    return !!a && !!b && a.id === b.id && a.seq === b.seq;
  }

  /** What prepare() read for these filters (their JSON), while the snapshot still holds the data it was read at. */
  private preparedEntry(key: string) {
    const entry = this.prepared.get(key);
    return entry && this.preparedVersion(entry.version, dataVersion(this.snapshot)) ? entry : null;
  }

  private preparedPart(ctx: Context, part: SegmentPart): SegmentRows | null {
    if (!ctx.segment || this.prepared.size === 0) return null;
    return this.preparedEntry(JSON.stringify(ctx.filters))?.parts[part] ?? null;
  }

  private insertIds(table: string, ids: string[]): number {
    return this.db.prepare(`INSERT INTO temp.${table} (user_id) SELECT value FROM json_each(?)`).run(JSON.stringify(ids)).changes;
  }

  /** A temp table holding rows read elsewhere (the column store's), made once per context and kind. */
  private rowsTable(ctx: Context, kind: string, data: SegmentRows): string {
    return this.scratchTable(ctx, kind, (table) => {
      this.db.exec(`CREATE TEMP TABLE ${table} (${data.columns.join(', ')})`);
      const insert = this.db.prepare(`INSERT INTO temp.${table} VALUES (${data.columns.map(() => '?').join(', ')})`);
      for (const row of data.rows) insert.run(...row);
    });
  }

  /** A temp table of `select`'s rows, made once per context and kind (dropped at the end of the scope). */
  tempTable(ctx: Context, kind: string, select: () => string, primaryKey?: string): string {
    return this.scratchTable(ctx, kind, (table) => {
      if (primaryKey) {
        this.db.exec(`CREATE TEMP TABLE ${table} (${primaryKey} PRIMARY KEY) WITHOUT ROWID`);
        this.db.prepare(`INSERT INTO temp.${table} ${select()}`).run(ctx.params);
      } else this.db.prepare(`CREATE TEMP TABLE ${table} AS ${select()}`).run(ctx.params);
    });
  }

  /** The context's temp table of a kind: made by `fill` on first use, dropped at the end of the scope. */
  private scratchTable(ctx: Context, kind: string, fill: (table: string) => void): string {
    let table = ctx.segmentRollups.get(kind);
    if (!table) {
      table = `seg_${++this.segCounter}`;
      fill(table);
      this.tempTables.push(table);
      ctx.segmentRollups.set(kind, table);
    }
    return `temp.${table}`;
  }

  /** On a per-user rollup (range ending on or after the latest data): the row's last day falls inside the range. */
  lastDayInRange(ctx: Context): string {
    return ctx.since ? 'last_day >= @since' : '1';
  }

  /** Users (in the segment) active inside the range. */
  activeUsers(ctx: Context): number {
    return this.rows<{ n: number }>(ctx, ACTIVE_USERS)[0].n;
  }

  /**
   * Per user (in the segment, with a conversation started by the end of the range): conversations started by then,
   * and whether one started inside the range. The rows the single-session metrics count.
   */
  conversationUsers(ctx: Context): string {
    if (ctx.rollups.users)
      return `(SELECT user_id, conversations AS n, ${ctx.since ? 'last_conversation_day >= @since' : '1'} AS inRange FROM user_totals
          WHERE conversations > 0 AND ${ctx.seg('user_id')})`;
    if (pastConversationsGrouped(ctx)) return `(SELECT user_id, n, in_range AS inRange FROM ${PAST_CONVERSATIONS.byUser})`;
    // Grouped once per dashboard in SQLite (usage health counts them, the single-session signal lists them).
    return this.tempTable(ctx, 'conversationUsers', () => `SELECT user_id, COUNT(*) AS n, MAX(${ctx.since ? 'start_day >= @since' : '1'}) AS inRange
          FROM conversations WHERE start_day <= @until AND ${ctx.seg('user_id')} GROUP BY user_id`);
  }

  /**
   * A user's credits used by the end of the range (`user`: the SQL of their user_id), looked up by key: user_totals up to
   * the latest data, else their agg_user_day rows up to `until`.
   */
  creditsByUser(ctx: Context, user: string): string {
    // user_totals, or the store's `act` (storeTables): the activity up to `until` is grouped already, a lookup is a join.
    // SQLite's own past range would group every user's first (activityUntil): a lookup by key instead.
    if (ctx.rollups.users || ctx.inStore) return `(SELECT credits FROM ${ctx.activity()} WHERE user_id = ${user})`;
    return `(SELECT SUM(credits) FROM agg_user_day WHERE user_id = ${user} AND day <= @until)`;
  }

  /** Tool calls and failures per tool in the range (the segment's users; the tool filter's tools only). */
  toolCalls(ctx: Context): Array<{ tool: string; calls: number; errors: number }> {
    const tools = ctx.filters.tools?.length ? 'AND tool_name IN (SELECT value FROM json_each(@tools))' : '';
    return this.all<{ tool: string; calls: number; errors: number }>(`SELECT tool_name AS tool, SUM(calls) AS calls, SUM(failed) AS errors FROM ${this.toolCallDays(ctx)}
         WHERE ${ctx.inRange('day')} ${tools} GROUP BY tool_name ORDER BY calls DESC, tool_name`, { ...ctx.params, tools: JSON.stringify(ctx.filters.tools ?? []) });
  }

  /** Users (in the segment) whose credits used in the range reach HIGH_USAGE_CREDITS: user_id, credits. */
  highUsage(ctx: Context): string {
    return ctx.rollups.users && !ctx.since
      ? `(SELECT user_id, credits FROM user_totals WHERE credits >= ${HIGH_USAGE_CREDITS} AND ${ctx.seg('user_id')})`
      : `(SELECT user_id, SUM(credits) AS credits FROM agg_user_day
          WHERE ${ctx.inRange('day')} AND ${ctx.seg('user_id')} GROUP BY user_id HAVING SUM(credits) >= ${HIGH_USAGE_CREDITS})`;
  }

  latestDay(): string | null {
    return (this.one<{ d: string | null }>('SELECT MAX(day) AS d FROM agg_user_day')).d;
  }

  /** The latest day with activity or a conversation start (what user_totals covers). */
  latestDataDay(): string | null {
    return this.value<string | null>('SELECT MAX(d) FROM (SELECT MAX(day) AS d FROM agg_user_day UNION ALL SELECT MAX(start_day) FROM conversations)');
  }

  firstDay(): string | null {
    return (this.one<{ d: string | null }>('SELECT MIN(day) AS d FROM agg_user_day')).d;
  }
}
