/**
 * The column store: a DuckDB copy, beside the snapshot, of the rows a segment's dashboard groups (per-user days, tool
 * calls per user and day, conversations, message events). SQLite groups a third of the users' 6M messages in ~2.6 s;
 * DuckDB, which scans columns and groups in hash tables on every core, in ~0.1 s (docs/benchmarks.md). It is a cache
 * of the snapshot, never a source: the snapshot's writer records what changed (apply.ts: meta `data_seq`,
 * `columnar_full_seq` and the table columnar_changes), catchUp() brings the store up to that, and the engine reads it
 * only while its stamp equals the snapshot's data version (analytics/planner.ts prepare()); else it reads SQLite.
 *
 * A forget (or a rewrite of everything) rebuilds the file in full and deletes the old one, so no row of a forgotten
 * user stays in it. Runs in the main process only (native module, files).
 */
import fs from 'node:fs';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection, type DuckDBResultReader } from '@duckdb/node-api';
import type { Snapshot } from './snapshot.js';
import { DAY_OFFSET, DAY_ROLLUPS, DURATION_MS, ROLLUPS_VERSION, conversationDays, conversationLengths, intentGroups } from './rollups.js';

type Kind = 'varchar' | 'integer' | 'bigint';

interface CopiedTable {
  name: string;
  columns: ReadonlyArray<[string, Kind]>;
  /** The rows to copy, up to a condition on user_id (then `groupBy`, if any). */
  select: string;
  /** A table of per-user groups: the GROUP BY after the condition. */
  groupBy?: string;
}

/** A copied table's SELECT for the rows of the users matching `users` (a condition on user_id). */
function rowsOf(t: CopiedTable, users: string): string {
  return `${t.select} ${users}${t.groupBy ? ` GROUP BY ${t.groupBy}` : ''}`;
}

/**
 * A per-user table copied as it is: the listed columns, `text` ones as VARCHAR and the rest as BIGINT (the
 * snapshot's per-user rollups hold integers and days).
 */
function perUser(name: string, text: string[], numbers: string[]): CopiedTable {
  const columns = [...text.map((c): [string, Kind] => [c, 'varchar']), ...numbers.map((c): [string, Kind] => [c, 'bigint'])];
  return { name, columns, select: `SELECT ${columns.map(([c]) => c).join(', ')} FROM ${name} WHERE` };
}

/**
 * Each copied table: its DuckDB columns (named as in the snapshot, so the rollups' and the runners' SQL runs on both)
 * and its rows. Every row belongs to one user: a user's rows are replaced together when they change.
 */
const TABLES: ReadonlyArray<CopiedTable> = [
  // With each row's days from its user's signup (DAY_OFFSET), which a past range's `act` groups (rollups.ts
  // userActivity): computed here once per copy, not joined with users for every row of every past range.
  {
    name: 'agg_user_day',
    columns: [['user_id', 'varchar'], ['day', 'varchar'], ['events', 'integer'], ['messages', 'integer'], ['credits', 'bigint'], ['creations', 'integer'],
      ['exhaustion_events', 'integer'], ['day_offset', 'integer']],
    select: `SELECT user_id, day, events, messages, credits, creations, exhaustion_events, day_offset FROM (
      SELECT a.*, ${DAY_OFFSET} AS day_offset FROM agg_user_day a LEFT JOIN users u ON u.user_id = a.user_id) WHERE`,
  },
  {
    name: 'agg_tool_day',
    columns: [['user_id', 'varchar'], ['day', 'varchar'], ['tool_name', 'varchar'], ['calls', 'integer'], ['failed', 'integer']],
    select: 'SELECT user_id, day, tool_name, calls, failed FROM agg_tool_day WHERE',
  },
  {
    name: 'conversations',
    columns: [['user_id', 'varchar'], ['start_day', 'varchar'], ['use_case', 'varchar'], ['completion_status', 'varchar'], ['message_count', 'integer'], ['duration_ms', 'bigint'],
      ['blocker', 'varchar'], ['ran_out_at', 'varchar'], ['id', 'varchar'], ['started_at', 'varchar'], ['credits_used', 'bigint'], ['has_video_gen', 'integer']],
    select: `SELECT user_id, start_day, use_case, completion_status, message_count, ${DURATION_MS}, blocker, ran_out_at, id, started_at, credits_used, has_video_gen
      FROM conversations WHERE start_day IS NOT NULL AND`,
  },
  {
    name: 'events',
    columns: [['user_id', 'varchar'], ['day', 'varchar'], ['event_type', 'varchar'], ['message', 'varchar'], ['tool_name', 'varchar'], ['success', 'integer'], ['role', 'varchar']],
    select: `SELECT user_id, day, event_type, message, tool_name, success, role FROM events WHERE event_type = 'message' AND`,
  },
  // The messages with a signal (flags <> 0: the users' own, runners' FEATURE_REQUEST and message signals), with their
  // conversation (a feature request's example): the reads of signals scan these few rows, not every message (6M at
  // 10M events, where testing each one's flags cost the feature requests ~100 ms).
  {
    name: 'signal_messages',
    columns: [['user_id', 'varchar'], ['day', 'varchar'], ['message', 'varchar'], ['flags', 'integer'], ['conversation_id', 'varchar']],
    select: `SELECT user_id, day, message, flags, conversation_id FROM events WHERE flags <> 0 AND`,
  },
  // Each user's credit-exhaustion episodes (conversations that ran out), the first and the last: up to the latest data
  // the ran-out and high-usage lists read these (61k users at 10M events), not the 449k conversations that ran out
  // grouped by user for each list (runners/credits.ts episodesByUser).
  {
    name: 'ran_out_users',
    columns: [['user_id', 'varchar'], ['episodes', 'integer'], ['first_ran_out_at', 'varchar'], ['last_ran_out_at', 'varchar']],
    select: 'SELECT user_id, COUNT(*), MIN(ran_out_at), MAX(ran_out_at) FROM conversations WHERE ran_out_at IS NOT NULL AND start_day IS NOT NULL AND',
    groupBy: 'user_id',
  },
  // Failed tool calls per user, day and kind: a range's failure points and failing users.
  perUser('agg_failure', ['user_id', 'day', 'tool_name', 'error_type'], ['failures']),
  // The users' columns the per-user lists and states read, and the per-user rollups (rollups.ts) the runners read up
  // to the latest data.
  perUser('users', ['user_id', 'email', 'created_at', 'signup_day', 'signup_week', 'first_conversation_at', 'first_tool_at', 'first_creation_at', 'exhausted_at',
    'last_active_at', 'primary_use_case'], ['total_conversations', 'credit_exhaustion_count']),
  perUser('user_totals', ['user_id', 'last_day', 'last_conversation_day'],
    ['active_days', 'creations', 'credits', 'messages', 'exhaustion_events', 'max_offset', 'day1', 'day7', 'week1', 'weeks_mask', 'conversations',
      'conversation_days', 'conversation_credits', 'created_video', 'completed_any']),
  perUser('user_cube', ['user_id', 'signup_day', 'signup_week', 'last_day'],
    ['exhausted', 'power', 'created_any', 'off', 'day1', 'day7', 'week1', 'first_chat', 'used_tool', 'created', 'weeks_mask', 'creation_ms', 'exhaustion_ms']),
  perUser('user_use_cases', ['user_id', 'use_case', 'last_day'], ['conversations']),
  perUser('user_failures', ['user_id', 'tool_name', 'error_type', 'last_day'], ['failures']),
  perUser('user_blockers', ['user_id', 'blocker', 'last_day'], []),
  perUser('user_signals', ['user_id', 'last_day'], ['signal']),
];

const DDL_TYPE: Record<Kind, string> = { varchar: 'VARCHAR', integer: 'INTEGER', bigint: 'BIGINT' };

/**
 * Every copied row also carries its user's number, `uid` (INTEGER), from the store's table `uids` (user_id, uid): a
 * segment's rows are found by an integer key (in_seg(uid)) instead of by the user's id text, which costs DuckDB more to
 * read, hash and compare (tool video_gen at 40k users: -14 % for the store's reads, interleaved). Numbers are given
 * in user-id order at a full build and from the highest one up to new users at an update; a rebuild (a forget
 * among them) numbers everyone again.
 */
const UID_DDL = 'uid INTEGER';

/** Users copied per step of a full build (the main thread yields between steps: at 10M events a step is ~40k rows). */
const BUILD_USERS_PER_STEP = 500;

/** The snapshot's data version as the writer records it (apply.ts finish()). */
export interface DataVersion {
  id: string;
  seq: number;
}

/** What a segment's dashboard reads, grouped by the store: rows as the planner's temp tables hold them. */
export interface SegmentRows {
  columns: string[];
  rows: unknown[][];
}

export type SegmentPart = 'activity' | 'tools' | 'conversations' | 'lengths' | 'intentLists';

/** A query of the planner's to run on the store for a segment (its users matched by `in_seg` there): SQLite's SQL. */
export interface StoreQuery {
  sql: string;
  params: Record<string, unknown>;
}

/** A temp table the store makes from a query, before the segment's members are found or, `ofMembers`, after. */
export type StoreTable = StoreQuery & { ofMembers: boolean };

/** The rows of a StoreQuery as SQLite returns them: objects keyed by column, integers as numbers, booleans as 0/1. */
export type StoreRows = Array<Record<string, unknown>>;

/**
 * The store's layout: a file of another layout is rebuilt (5: the users' columns, the per-user rollups, more of the
 * conversations', the messages' signal flags; 6: what the users' states read, so a past range's states are computed
 * here, and the failures per user and day; 7: the users' numbers, `uid`; 8: the messages with a signal apart; 9: each
 * user's ran-out episodes; 10: each user-day's days from signup).
 */
const STORE_FORMAT = 10;

export function dataVersion(snapshot: Snapshot): DataVersion | null {
  const id = snapshot.getMeta('snapshot_id');
  if (!id || snapshot.getMeta('rollups') !== ROLLUPS_VERSION) return null; // a writer is mid-way (or never ran)
  return { id, seq: Number(snapshot.getMeta('data_seq') ?? 0) };
}

export class ColumnarStore {
  private instance: DuckDBInstance | null = null;
  private conn: DuckDBConnection | null = null;
  /** A second connection: a segment's reads run on both at once (segmentParts). */
  private spare: DuckDBConnection | null = null;
  /** The data version the store holds (null: empty or unknown). */
  private stamp: DataVersion | null = null;
  /** The highest user number (`uids`) the store holds: a segment's bitmap covers every number (defineMembership). */
  private highestUid = 0;
  /** Every operation, one at a time (a full build swaps the file under the queries). */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(readonly file: string) {}

  /** The store of a snapshot file (`<snapshot>.columns.duckdb`), opened (created empty if missing). */
  static async open(snapshotFile: string): Promise<ColumnarStore> {
    const store = new ColumnarStore(ColumnarStore.fileFor(snapshotFile));
    await store.connect();
    return store;
  }

  static fileFor(snapshotFile: string): string {
    return `${snapshotFile}.columns.duckdb`;
  }

  /** Deletes a snapshot's store (it is built again from the snapshot at the next catchUp()); not while it is open. */
  static remove(snapshotFile: string): void {
    removeDuckFile(ColumnarStore.fileFor(snapshotFile));
  }

  private async connect(): Promise<void> {
    this.instance = await DuckDBInstance.create(this.file);
    this.conn = await this.instance.connect();
    await this.conn.run('CREATE TABLE IF NOT EXISTS stamp (id VARCHAR, seq BIGINT, format INTEGER)');
    this.spare = await this.instance.connect();
    for (const conn of [this.conn, this.spare]) await likeSqlite(conn);
    // A file of an older layout (no format column, or another format) holds nothing usable: rebuilt at catchUp().
    const rows = await this.conn
      .runAndReadAll('SELECT id, seq FROM stamp WHERE format = $format', { format: STORE_FORMAT })
      .then((r) => r.getRowsJS())
      .catch(() => []);
    this.stamp = rows.length ? { id: String(rows[0][0]), seq: Number(rows[0][1]) } : null;
    // Read once here and kept by update(): at 10M events the query cost 8-38 ms of each segment's wait for its members.
    if (this.stamp) this.highestUid = Number((await this.conn.runAndReadAll('SELECT COALESCE(MAX(uid), 0) FROM uids')).getRowsJS()[0][0]);
  }

  private disconnect(): void {
    this.conn?.closeSync();
    this.spare?.closeSync();
    this.instance?.closeSync();
    this.conn = null;
    this.spare = null;
    this.instance = null;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Whether the store holds exactly this version of the snapshot's data. */
  holds(version: DataVersion | null): boolean {
    return version !== null && this.stamp !== null && this.stamp.id === version.id && this.stamp.seq === version.seq;
  }

  /**
   * Brings the store up to the snapshot's data: the users changed since its stamp copied again, or (a forget, a
   * rewrite of everything, another snapshot, an empty store) the whole file rebuilt. Does nothing while a writer is
   * mid-way; gives up (false) when the snapshot changed during the copy, and the next call starts again.
   */
  catchUp(snapshot: Snapshot): Promise<boolean> {
    return this.serial(async () => {
      if (this.closed) return false;
      const version = dataVersion(snapshot);
      if (version === null) return false;
      if (this.holds(version)) return true;
      const full = Number(snapshot.getMeta('columnar_full_seq') ?? 0);
      if (this.stamp === null || this.stamp.id !== version.id || this.stamp.seq < full) return this.rebuild(snapshot, version);
      return this.update(snapshot, version, this.stamp.seq);
    });
  }

  /** The changed users' rows replaced, in one DuckDB transaction; read from SQLite at once (no yield: consistent). */
  private async update(snapshot: Snapshot, version: DataVersion, since: number): Promise<boolean> {
    const users = snapshot.db.prepare('SELECT user_id FROM columnar_changes WHERE seq > ?').pluck().all(since) as string[];
    const ids = JSON.stringify(users);
    const rows = TABLES.map((t) => snapshot.db.prepare(rowsOf(t, 'user_id IN (SELECT value FROM json_each(?))')).raw().all(ids) as unknown[][]);
    const conn = this.conn!;
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run('CREATE OR REPLACE TEMP TABLE changed (user_id VARCHAR)');
      await append(conn, 'changed', [['user_id', 'varchar']], users.map((u) => [u]));
      // The changed users' numbers; a user new to the store gets the next one.
      const known = (await conn.runAndReadAll('SELECT user_id, uid FROM uids WHERE user_id IN (SELECT user_id FROM changed)')).getRowsJS();
      const numbers = new Map(known.map(([u, n]) => [String(u), Number(n)]));
      let last = this.highestUid;
      const fresh = users.filter((u) => !numbers.has(u)).map((u): [string, number] => [u, ++last]);
      for (const [u, n] of fresh) numbers.set(u, n);
      await append(conn, 'uids', UIDS_COLUMNS, fresh);
      for (const [i, t] of TABLES.entries()) {
        await conn.run(`DELETE FROM ${t.name} WHERE user_id IN (SELECT user_id FROM changed)`);
        await append(conn, t.name, t.columns, rows[i], (u) => numbers.get(u)!);
      }
      await this.writeStamp(conn, version);
      await conn.run('COMMIT');
      this.highestUid = last;
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    this.stamp = version;
    return true;
  }

  /**
   * A new file from every row, built beside the store and moved over it (the old file, a forgotten user's rows
   * included, is deleted). Copied a range of users at a time, yielding between ranges; the copy is kept only if the
   * snapshot's version did not move meanwhile.
   */
  private async rebuild(snapshot: Snapshot, version: DataVersion): Promise<boolean> {
    const building = `${this.file}.building`;
    removeDuckFile(building);
    const instance = await DuckDBInstance.create(building);
    const conn = await instance.connect();
    let complete = false;
    try {
      await conn.run('CREATE TABLE stamp (id VARCHAR, seq BIGINT, format INTEGER)');
      for (const t of TABLES) await conn.run(`CREATE TABLE ${t.name} (${t.columns.map(([c, k]) => `${c} ${DDL_TYPE[k]}`).join(', ')}, ${UID_DDL})`);
      await conn.run(`CREATE TABLE uids (${UIDS_COLUMNS.map(([c, k]) => `${c} ${DDL_TYPE[k]}`).join(', ')})`);
      // Ranges of user ids: every BUILD_USERS_PER_STEP-th user starts one, the last has no upper bound (the rows of a
      // user id without a users row fall into a range too).
      const ids = snapshot.db.prepare('SELECT user_id FROM users ORDER BY user_id').pluck().all() as string[];
      // Numbered in user-id order; a user id without a users row gets the next number when its rows come.
      const numbers = new Map(ids.map((id, i) => [id, i + 1]));
      const uidOf = (user: string) => {
        let n = numbers.get(user);
        if (n === undefined) numbers.set(user, (n = numbers.size + 1));
        return n;
      };
      const bounds: Array<string | null> = [''];
      for (let i = BUILD_USERS_PER_STEP; i < ids.length; i += BUILD_USERS_PER_STEP) bounds.push(ids[i]);
      bounds.push(null);
      const appenders = await Promise.all(TABLES.map((t) => conn.createAppender(t.name)));
      const range = TABLES.map((t) => snapshot.db.prepare(rowsOf(t, 'user_id >= @lo AND user_id < @hi')).raw());
      const last = TABLES.map((t) => snapshot.db.prepare(rowsOf(t, 'user_id >= @lo')).raw());
      for (let b = 0; b + 1 < bounds.length; b++) {
        if (this.closed) return false;
        const [lo, hi] = [bounds[b], bounds[b + 1]];
        for (const [i, t] of TABLES.entries()) appendRows(appenders[i], t.columns, (hi === null ? last[i].all({ lo }) : range[i].all({ lo, hi })) as unknown[][], uidOf);
        await new Promise((resolve) => setImmediate(resolve));
        const now = dataVersion(snapshot);
        if (now === null || now.seq !== version.seq || now.id !== version.id) return false;
      }
      for (const a of appenders) a.closeSync();
      await append(conn, 'uids', UIDS_COLUMNS, [...numbers]);
      await this.writeStamp(conn, version);
      await conn.run('CHECKPOINT');
      complete = true;
    } finally {
      conn.closeSync();
      instance.closeSync();
      if (!complete) removeDuckFile(building);
    }
    this.disconnect();
    removeDuckFile(this.file);
    fs.renameSync(building, this.file);
    await this.connect();
    return this.holds(version);
  }

  private async writeStamp(conn: DuckDBConnection, version: DataVersion): Promise<void> {
    await conn.run('DELETE FROM stamp');
    await conn.run('INSERT INTO stamp VALUES ($id, $seq, $format)', { id: version.id, seq: version.seq, format: STORE_FORMAT });
  }

  /**
   * What a dashboard of a segment or a past range reads, as the planner's temp tables and reads hold it. `tables`: temp
   * tables made first, or right after the members (a past range's per-user activity). `members`: the segment's users
   * (none: a past range without a segment), returned as `ids` and made the macro `in_seg` (segmentCondition); then its
   * parts, grouped for the range: `intentRows` is the intents' first rows in each of the two orders the lists read (by
   * frequency, by the users' own frequency), not every group. `queries`: the planner's own reads (SQLite's SQL, the
   * segment matched by `in_seg`), answered as SQLite would. Null when the store no longer holds `version`.
   */
  segmentParts(
    version: DataVersion,
    plan: {
      since: string | null;
      until: string;
      intentRows: number;
      tables: Record<string, StoreTable>;
      members: StoreQuery | null;
      /** The reads, chosen once the segment's size is known (its members; null without a segment). */
      queries: (members: number | null) => Record<string, StoreQuery>;
    },
  ): Promise<{ ids: string[] | null; parts: Partial<Record<SegmentPart, SegmentRows>>; reads: Record<string, StoreRows> } | null> {
    const { since, until, intentRows } = plan;
    return this.serial(async () => {
      if (this.closed || !this.holds(version)) return null;
      const conn = this.conn!;
      // Side by side (a past range's activity and its conversations per user: two groupings of millions of rows).
      const make = (ofMembers: boolean) =>
        onBoth(
          [conn, this.spare!],
          Object.entries(plan.tables)
            .filter(([, table]) => table.ofMembers === ofMembers)
            .map(([name, table]) => {
              const { sql, params } = inDuckDb(table);
              return { sql: `CREATE OR REPLACE TABLE scratch.${name} AS ${sql}`, params, keep: () => {} };
            }),
        );
      await make(false);
      let ids: string[] | null = null;
      if (plan.members) {
        const { sql, params } = inDuckDb(plan.members);
        // In user-id order: SQLite fills its own members' table from these ids, 2.5-3x faster in its key's order.
        // One row: the ids as a JSON array and the members' bitmap (bit n: user n), not a row per member (a segment of
        // 113k users at 10M events: 200-320 ms to read its rows into JS, 80-125 ms this way).
        const [[list, bits]] = (
          await conn.runAndReadAll(
            `SELECT CAST(to_json(list(m.user_id ORDER BY m.user_id)) AS VARCHAR), CAST(bitstring_agg(n.uid, 0, ${this.highestUid}) AS VARCHAR)
             FROM (${sql}) m JOIN uids n USING (user_id)`,
            params,
          )
        ).getRowsJS() as Array<[string | null, string | null]>;
        ids = list === null ? [] : (JSON.parse(list) as string[]);
        await defineMembership([conn, this.spare!], bits ?? '0'.repeat(this.highestUid + 1));
      }
      await make(true);
      const inRange = (col: string) => (since ? `${col} >= $since AND ${col} <= $until` : `${col} <= $until`);
      const users = segmentCondition('user_id');
      const params: Record<string, string> = since ? { since, until } : { until };
      // The lists' orders (runners/seed.ts intentFrequency), NULLs placed as SQLite places them.
      const order = (by: string) => `${by} DESC, day DESC, user_message ASC NULLS FIRST, tool_name ASC NULLS FIRST, success ASC NULLS FIRST`;
      // The longest first (onBoth runs them in this order).
      const sql: Record<SegmentPart, string> = {
        intentLists: `WITH g AS MATERIALIZED (${intentGroups(`${users} AND ${inRange('day')}`)})
          (SELECT * FROM g ORDER BY ${order('frequency')} LIMIT ${intentRows})
          UNION (SELECT * FROM g WHERE user_frequency > 0 ORDER BY ${order('user_frequency')} LIMIT ${intentRows})`,
        tools: DAY_ROLLUPS.toolCalls.source(`${users} AND ${inRange('day')}`),
        conversations: conversationDays(`${users} AND ${inRange('start_day')}`, 'duration_ms'),
        activity: DAY_ROLLUPS.day.source(`${users} AND ${inRange('day')}`),
        lengths: conversationLengths(`${users} AND ${inRange('start_day')}`),
      };
      const parts: Partial<Record<SegmentPart, SegmentRows>> = {};
      const reads: Record<string, StoreRows> = {};
      // The parts first, then the reads.
      const jobs = [
        ...(ids ? (Object.entries(sql) as Array<[SegmentPart, string]>) : []).map(([part, query]) => ({
          sql: query,
          params,
          keep: (reader: DuckDBResultReader) => void (parts[part] = { columns: reader.columnNames(), rows: reader.getRowsJS() }),
        })),
        ...Object.entries(plan.queries(ids && ids.length)).map(([name, query]) => ({
          ...inDuckDb(query),
          keep: (reader: DuckDBResultReader) => {
            const columns = reader.columnNames();
            reads[name] = reader.getRowsJS().map((row) => Object.fromEntries(columns.map((c, i) => [c, sqliteValue(row[i])])));
          },
        })),
      ];
      await onBoth([conn, this.spare!], jobs);
      return { ids, parts, reads };
    });
  }

  /** Closes the file (an unfinished build stops at its next step). */
  close(): Promise<void> {
    this.closed = true;
    return this.serial(async () => this.disconnect());
  }
}

/**
 * A connection that reads the runners' SQL as SQLite would where they rely on it: NULLs sort first ascending and last
 * descending, an integer divided by an integer is an integer, and julianday() of a day or an ISO time (the SQL takes
 * differences only: DuckDB's julian() counts from midnight, SQLite's from noon).
 */
async function likeSqlite(conn: DuckDBConnection): Promise<void> {
  // The tables a segment's reads share (a past range's activity, `act`): in memory, seen by both connections by name.
  await conn.run(`ATTACH IF NOT EXISTS ':memory:' AS scratch`);
  await conn.run(`SET search_path = 'main,scratch'`);
  await conn.run(`SET default_null_order = 'nulls_first_on_asc_last_on_desc'`);
  await conn.run('SET integer_division = true');
  await conn.run('CREATE OR REPLACE TEMP MACRO julianday(d) AS julian(CAST(d AS TIMESTAMP))');
  // DuckDB's lower() where the text is ASCII (as many bytes as characters): translate() costs ~3× more per row.
  await conn.run(`CREATE OR REPLACE TEMP MACRO ascii_lower(s) AS
    CASE WHEN strlen(s) = length(s) THEN lower(s) ELSE translate(s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') END`);
}

const UIDS_COLUMNS: ReadonlyArray<[string, Kind]> = [['user_id', 'varchar'], ['uid', 'integer']];

/**
 * A condition, in the store, that a row's user (its column `column`, e.g. `user_id` or `u.user_id`) is one of the
 * segment's members: by the row's number, `uid` (UID_DDL), looked up in the members' bitmap (defineMembership).
 */
export function segmentCondition(column: string): string {
  const uid = column.replace(/^((?:\w+\.)?)user_id$/, '$1uid');
  if (uid === column) throw new Error(`column store: a segment is matched on a user_id column (got ${column})`);
  return `in_seg(${uid})`;
}

/**
 * Runs the queries on both connections at once, each taking the next (in the order given), and hands each one's result
 * to its `keep`. The reads are many and small beside a segment's grouped parts: a per-user table of 150k users is two
 * of DuckDB's row groups, which its threads share out, so one query at a time left a core idle (tool video_gen's
 * reads at 40k users, replayed: 612–810 ms one at a time, 468–496 on two connections). Settles only once both are
 * idle, so nothing runs on the store after it returns; the first error is thrown then.
 */
async function onBoth(conns: DuckDBConnection[], jobs: Array<{ sql: string; params: Record<string, unknown>; keep: (r: DuckDBResultReader) => void }>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (conn: DuckDBConnection) => {
    while (errors.length === 0 && next < jobs.length) {
      const job = jobs[next++];
      try {
        job.keep(await conn.runAndReadAll(job.sql, job.params as Record<string, never>));
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(conns.map(worker));
  if (errors.length) throw errors[0];
}

/**
 * `in_seg(uid)`: whether the user numbered `uid` is a member, as a bit of a constant bitstring (bit n: user n). A
 * constant in the macro's body is folded into each query, so DuckDB tests it in the table scan itself, before reading
 * the row's other columns; a semi-join with a table of the members (a hash table built, then probed by every row) cost more
 * than the grouping after it: 17-23 ms against 4-5 to count a 75 % segment's 1.5M messages at 40k users, and
 * 107-188 against 69-105 for the intent lists.
 */
async function defineMembership(conns: DuckDBConnection[], bits: string): Promise<void> {
  // A temp macro is its connection's own.
  for (const conn of conns) await conn.run(`CREATE OR REPLACE TEMP MACRO in_seg(u) AS get_bit(CAST('${bits}' AS BIT), u) = 1`);
}

/** The number of a user (UID_DDL) whose rows are appended. */
type UidOf = (user: string) => number;

/** Rows appended to a table; `uidOf`: a copied table's, whose rows end with the number of their user (their first column). */
async function append(conn: DuckDBConnection, table: string, columns: ReadonlyArray<[string, Kind]>, rows: unknown[][], uidOf?: UidOf): Promise<void> {
  const appender = await conn.createAppender(table);
  appendRows(appender, columns, rows, uidOf);
  appender.closeSync();
}

function appendRows(appender: DuckDBAppender, columns: ReadonlyArray<[string, Kind]>, rows: unknown[][], uidOf?: UidOf): void {
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) appender.appendNull();
      else if (columns[i][1] === 'varchar') appender.appendVarchar(String(v));
      else if (columns[i][1] === 'integer') appender.appendInteger(Number(v));
      else appender.appendBigInt(BigInt(v as number));
    }
    if (uidOf) appender.appendInteger(uidOf(String(row[0])));
    appender.endRow();
  }
}

/**
 * SQLite's SQL as DuckDB reads it, for what the runners write: named parameters (@x → $x), no index or join-order
 * hints (INDEXED BY, CROSS JOIN … ON), json_each's values as text, `a IS b` (SQLite's null-safe equality) as IS NOT
 * DISTINCT FROM, lower() as SQLite's (ASCII letters only; DuckDB's folds every letter), the Monday of a day's week
 * (rollups.SIGNUP_WEEK: date(d, '-6 days', 'weekday 1')), the scalar MAX(0, x) of msFromSignup as greatest(), and a
 * cast to INTEGER as SQLite's (64 bits: DuckDB's INTEGER has 32).
 * Anything else is already the same in both; the tests compare every read through the store with SQLite's
 * (tests/unit/columnar.test.ts).
 */
export function duckDbSql(sql: string): string {
  return sql
    .replace(/\bdate\(((?:(?!\bdate\().)*?), '-6 days', 'weekday 1'\)/gs, (_, day: string) => `strftime(date_trunc('week', CAST(${day} AS DATE)), '%Y-%m-%d')`)
    .replace(/\bMAX\(0, /g, 'greatest(0, ')
    .replace(/\bAS INTEGER\)/g, 'AS BIGINT)')
    .replace(/@(\w+)/g, '$$$1')
    .replace(/\bINDEXED BY \w+/gi, '')
    .replace(/\bCROSS JOIN (\w+(?: \w+)?) ON\b/g, 'JOIN $1 ON')
    .replace(/\bvalue FROM json_each\(/g, "value ->> '$$' FROM json_each(")
    .replace(/\bIS (?!NOT\b|NULL\b|DISTINCT\b)/g, 'IS NOT DISTINCT FROM ')
    .replace(/\blower\(/g, 'ascii_lower(');
}

/**
 * A query as DuckDB runs it: its SQL rewritten (duckDbSql), with only the parameters that SQL names (DuckDB refuses
 * others).
 */
function inDuckDb(query: StoreQuery): { sql: string; params: Record<string, never> } {
  const sql = duckDbSql(query.sql);
  return { sql, params: Object.fromEntries(Object.entries(query.params).filter(([k]) => new RegExp(`\\$${k}\\b`).test(sql))) as Record<string, never> };
}

/** A DuckDB value as better-sqlite3 returns SQLite's: integers (BIGINT, HUGEINT) as numbers, booleans as 0/1. */
function sqliteValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

/** A DuckDB database file and its write-ahead log. */
function removeDuckFile(file: string): void {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.wal`, { force: true });
}
