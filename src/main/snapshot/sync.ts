import type pg from 'pg';
import type { SyncProgress, SyncResult } from '../../shared/metrics-workspace.js';
import { createPool } from '../db/pg.js';
import { redactConnectionString } from '../connection-string.js';
import { SnapshotWriter, type ConversationRow, type ProfileRow, type PulledEventRow } from './apply.js';
import { loadForgetKey } from './audit-hash.js';
import { scrubSnapshotFile, usersMatchingHashes } from './forget.js';
import type { Snapshot } from './snapshot.js';

export interface SyncOptions {
  onProgress?: (p: SyncProgress) => void;
  signal?: AbortSignal;
  /** Rows per page (one SQLite transaction each). */
  pageSize?: number;
  statementTimeoutMs?: number;
  /** How long to wait for writers that were in flight when the sync started (see safeSeq below). */
  inFlightWaitMs?: number;
}

export class SyncCancelledError extends Error {
  constructor() {
    super('sync cancelled');
  }
}

const USER_COLUMNS = `user_id, email, created_at, total_conversations, total_messages, total_credits_used, last_active_at,
  primary_use_case, preferred_tools, average_session_length, completion_rate, retention_cohort, activation_status,
  credit_exhaustion_count, preferences, context_summary, frequently_used_prompts, change_seq`;
const CONVERSATION_COLUMNS = `id::text AS id, user_id, started_at, last_message_at, message_count, credits_used, first_intent, tools_used,
  completion_status, user_satisfaction_signal, extracted_use_case, blocker_reason, change_seq`;
// The content fields the snapshot keeps, extracted here (see PulledEventRow). A JSON null params/result is SQL NULL,
// as the library's own flattening of a stored event has it.
const EVENT_COLUMNS = `id::text AS id, conversation_id::text AS conversation_id, user_id, timestamp, event_type, tool_name, success,
  credits_consumed, change_seq, content->>'role' AS role, content->>'message' AS message, content->>'error' AS error_type,
  content->>'completion_status' AS completion_status, NULLIF(content->'params', 'null'::jsonb)::text AS params,
  NULLIF(content->'result', 'null'::jsonb)::text AS result`;

/**
 * Where the next sync may start so that no row is ever missed.
 *
 * change_seq is taken from a sequence when a row is written, but transactions commit in any order: a row with a
 * small seq can become visible after we have read larger ones. So before reading we note the sequence's last value
 * L0, then wait until every transaction that was in flight at that moment has ended. Every row with seq ≤ L0 is then
 * committed (or never will be), and the data we read after that includes all of them: the next sync starts at L0.
 * Rows above L0 read now are read again next time; applying a row twice changes nothing.
 */
async function stableWatermark(client: pg.PoolClient, waitMs: number, signal?: AbortSignal): Promise<number | null> {
  const l0 = await client.query<{ last: string; is_called: boolean }>('SELECT last_value AS last, is_called FROM uis_change_seq');
  const last = Number(l0.rows[0].last) - (l0.rows[0].is_called ? 0 : 1);
  // Only this database's transactions can take change_seq values: a transaction of a session connected to another
  // database of the server (another product's, a bench's load) is not waited for. Every transaction holds a lock on
  // its own id (pg_locks), and a session's database is visible to any role (pg_stat_activity.datid); an id whose holder
  // is not found that way (a prepared transaction) is waited for.
  const snap = await client.query<{ xid: string }>(`
    WITH elsewhere AS MATERIALIZED (
      SELECT l.transactionid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
        AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))
    SELECT x::text AS xid FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE NOT EXISTS (SELECT 1 FROM elsewhere e WHERE e.transactionid = x::xid)`);
  const inFlight = snap.rows.map((r) => r.xid);
  const deadline = Date.now() + waitMs;
  while (inFlight.length > 0) {
    if (signal?.aborted) throw new SyncCancelledError();
    const st = await client.query<{ busy: number }>(
      `SELECT COUNT(*)::int AS busy FROM unnest($1::text[]) x WHERE pg_xact_status(x::xid8) = 'in progress'`,
      [inFlight],
    );
    if (st.rows[0].busy === 0) break;
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 20));
  }
  return last;
}

/**
 * The snapshot's users forgotten in PostgreSQL after seq `since` (an empty list when none of them is in the snapshot),
 * or null when there was no forget. Audits written before 1764288000009 still name the user.
 */
async function forgottenSince(c: pg.PoolClient, since: number, db: Snapshot['db']): Promise<string[] | null> {
  const columns = (
    await c.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'uis_forget_audit'`,
    )
  ).rows.map((r) => r.column_name);
  if (columns.includes('user_hash')) {
    const rows = (await c.query<{ user_hash: string }>('SELECT DISTINCT user_hash FROM uis_forget_audit WHERE change_seq > $1', [since])).rows;
    if (rows.length === 0) return null;
    return usersMatchingHashes(db, await loadForgetKey(c), new Set(rows.map((r) => r.user_hash)));
  }
  if (columns.includes('user_id')) {
    const rows = (await c.query<{ user_id: string }>('SELECT DISTINCT user_id FROM uis_forget_audit WHERE change_seq > $1', [since])).rows;
    return rows.length ? rows.map((r) => r.user_id) : null;
  }
  return null;
}

/**
 * Pulls what changed in PostgreSQL since the last sync into the snapshot. PostgreSQL is only read (read-only
 * sessions, statement timeout). Cancel with the AbortSignal: what was applied stays (it is correct), and the next
 * sync resumes from the last watermark.
 */
export async function syncFromPostgres(snapshot: Snapshot, pgUrl: string, opts: SyncOptions = {}): Promise<SyncResult> {
  const started = Date.now();
  const pageSize = opts.pageSize ?? 5000;
  const progress = (phase: SyncProgress['phase'], rows: number, totalRows: number | null) =>
    opts.onProgress?.({ phase, rows, totalRows, elapsedMs: Date.now() - started });
  const checkAbort = () => {
    if (opts.signal?.aborted) throw new SyncCancelledError();
  };

  const pool = createPool(pgUrl, { readOnly: true, statementTimeoutMs: opts.statementTimeoutMs ?? 60_000, max: 1, applicationName: 'uis-sync' });
  const writer = new SnapshotWriter(snapshot);
  const since = Number(snapshot.getMeta('safe_seq') ?? '0');
  writer.beginBulkLoad();
  // The sync's commits only append to the WAL; checkpoints run on a worker thread, after each page and at the end.
  const resumeCheckpoints = snapshot.pauseAutoCheckpoint();
  const result = { users: 0, conversations: 0, events: 0, forgotten: 0 };
  let forgetsApplied = false;
  let client: pg.PoolClient | null = null;
  try {
    progress('connecting', 0, null);
    try {
      client = await pool.connect();
    } catch (err) {
      throw new Error(`PostgreSQL unreachable: ${redactConnectionString((err as Error).message)}`, { cause: err });
    }
    const onAbort = () => {
      // Stop a long page query on the server (a read-only session may still cancel its own query).
      const pid = (client as unknown as { processID?: number })?.processID;
      if (pid) void pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => {});
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const watermark = await stableWatermark(client, opts.inFlightWaitMs ?? 5000, opts.signal);
    checkAbort();
    // One consistent view of all tables for the whole pull.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const c = client;
    // An incremental sync reads a few rows above `since` through the change_seq indexes. Without fresh statistics
    // (a table that autovacuum has not analyzed yet) the planner guesses a third of the table and counts the new
    // rows with a sequential scan of everything: 126 ms at 491k events, seconds at 10M. Only for this transaction.
    if (since > 0) await c.query('SET LOCAL enable_seqscan = off');

    // Every forget since the last sync (however many the snapshot missed): the audit names users by a keyed hash
    // (migrations/1764288000009), matched against the ids the snapshot holds.
    const forgetIds = await forgottenSince(c, since, snapshot.db);
    if (forgetIds !== null) {
      forgetsApplied = true;
      // Only the rows synced before the forget: rows the user created afterwards are pulled again below.
      result.forgotten = writer.forgetUsers(forgetIds);
      progress('forgotten', result.forgotten, forgetIds.length);
    }

    const pull = async <T extends { change_seq?: number | null }>(
      phase: 'users' | 'conversations' | 'events',
      table: string,
      columns: string,
      apply: (rows: T[]) => void,
    ): Promise<number> => {
      const total = Number((await c.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table} WHERE change_seq > $1`, [since])).rows[0].n);
      progress(phase, 0, total);
      const fetchAfter = (after: number) => {
        const pending = c.query<T>(`SELECT ${columns} FROM ${table} WHERE change_seq > $1 ORDER BY change_seq LIMIT ${pageSize}`, [after]);
        pending.catch(() => {}); // awaited in the loop; an abort in between must not leave it unhandled
        return pending;
      };
      let count = 0;
      let next: ReturnType<typeof fetchAfter> | null = fetchAfter(since);
      while (next) {
        checkAbort();
        const page: Awaited<ReturnType<typeof fetchAfter>> = await next;
        if (page.rows.length === 0) break;
        // The next page is asked for before this one is applied: PostgreSQL reads it while SQLite writes this one.
        next = page.rows.length < pageSize ? null : fetchAfter(Number(page.rows[page.rows.length - 1].change_seq));
        apply(page.rows);
        snapshot.requestCheckpoint();
        await snapshot.boundWal();
        count += page.rows.length;
        progress(phase, count, total);
      }
      return count;
    };
    result.users = await pull<ProfileRow>('users', 'user_profiles', USER_COLUMNS, (rows) => writer.apply({ users: rows }));
    result.conversations = await pull<ConversationRow>('conversations', 'conversations', CONVERSATION_COLUMNS, (rows) => writer.apply({ conversations: rows }));
    result.events = await pull<PulledEventRow>('events', 'conversation_events', EVENT_COLUMNS, (rows) => writer.apply({ pulledEvents: rows }));
    await c.query('COMMIT');
    opts.signal?.removeEventListener('abort', onAbort);
    // The whole pull is in: what a forget removed and PostgreSQL did not send back is gone for good.
    writer.settleForgotten();

    progress('derive', 0, null);
    writer.finish();
    const lastSyncAt = new Date().toISOString();
    snapshot.db.transaction(() => {
      if (watermark !== null && watermark > since) snapshot.setMeta('safe_seq', String(watermark));
      snapshot.setMeta('last_sync_at', lastSyncAt);
      snapshot.setMeta('source', 'postgres');
    })();
    if (since === 0) {
      // A first sync is done when its data is in the snapshot's file, not only in its WAL: it builds the indexes and
      // rollups at the end (gigabytes at 10M events), and a sync started while a checkpoint still copies them
      // competes with it (10k events at 10M: 1.3 s instead of 0.5 s).
      progress('write', 0, null);
      resumeCheckpoints();
      await snapshot.checkpointing;
    }
    if (forgetsApplied || snapshot.getMeta('scrub_pending') === '1') {
      // No trace of the forgotten rows in the file's free pages nor in its WAL (snapshot/forget.ts). A reader that
      // kept the WAL from being truncated: the next sync tries again.
      resumeCheckpoints();
      await snapshot.checkpointing;
      snapshot.setMeta('scrub_pending', '1');
      if (scrubSnapshotFile(snapshot)) {
        snapshot.setMeta('scrub_pending', '0');
        scrubSnapshotFile(snapshot); // the WAL empty again after that one page
      }
    }
    const done: SyncResult = { ...result, durationMs: Date.now() - started, full: since === 0, lastSyncAt };
    progress('done', result.users + result.conversations + result.events, null);
    return done;
  } catch (err) {
    // Whatever was applied is correct and stays; derived columns must match it.
    writer.finish();
    if (opts.signal?.aborted) throw new SyncCancelledError();
    throw err;
  } finally {
    resumeCheckpoints();
    if (client) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
    }
    await pool.end();
  }
}
