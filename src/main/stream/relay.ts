import type { RedisClient } from './redis.js';
import type pg from 'pg';
import { storedEventJson, userContextJson, type StoredEvent } from '../../shared/event.js';
import type { CapturedEvents } from './captured.js';
import { keysFor, type StreamKeys } from './keys.js';
import { joinUtf8 } from '../utf8-join.js';

// Publishes a batch in one atomic script. An outbox row (one capture statement's events) whose mark is already in the
// in-flight hash was published by an earlier attempt whose DELETE in PostgreSQL did not happen, so it is skipped
// (exactly once in the stream). A mark is the row's seq (field) and the row's created_at in microseconds (value, see
// ROW_MARK): a seq alone can repeat (a database restored from a backup restarts the outbox sequence, and a mark left
// behind would then hide a new event forever); seq and the time of the transaction that wrote the row together do not,
// and neither changes while the row waits (forget rewrites a row's event ids, never these). A field whose value
// differs is a stale mark of another row: the row is published and the mark overwritten. The hash is read and
// written once per batch (HMGET / HSET); the stream is trimmed once per batch. ARGV: maxlen, then per outbox row: its
// seq, its mark and its events packed in one string, each event as two lines (event json, user_context json). JSON as written here never holds a raw newline (JSON.stringify and PostgreSQL's jsonb output escape it), so a
// newline separates them; one argument per row instead of two per event spares the client and the server thousands
// of arguments per batch.
const PUBLISH_SCRIPT = `
local maxlen = ARGV[1]
local seqs = {}
for i = 2, #ARGV, 3 do seqs[#seqs + 1] = ARGV[i] end
local seen = redis.call('HMGET', KEYS[3], unpack(seqs))
local published = 0
local marks = {}
for j = 1, #seqs do
  local mark = ARGV[3 * j]
  if seen[j] ~= mark then
    local packed = ARGV[3 * j + 1]
    local pos, len = 1, #packed
    while pos <= len do
      local a = string.find(packed, '\\n', pos, true)
      local b = string.find(packed, '\\n', a + 1, true) or (len + 1)
      redis.call('XADD', KEYS[1], '*', 'event', string.sub(packed, pos, a - 1))
      redis.call('PUBLISH', KEYS[2], string.sub(packed, a + 1, b - 1))
      published = published + 1
      pos = b + 1
    end
  end
  marks[#marks + 1] = seqs[j]
  marks[#marks + 1] = mark
end
redis.call('HSET', KEYS[3], unpack(marks))
if maxlen ~= '0' then redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', maxlen) end
redis.call('EXPIRE', KEYS[3], 86400)
return published
`;

// Whole outbox rows in seq order, as many as hold about $1 events (the row that reaches $1 is the last one). In-flight
// seqs are left out with NOT IN over a subquery: one hashed lookup per row, not a comparison with every in-flight seq.
const OUTBOX_ROWS = `
    SELECT seq, event_ids, created_at FROM (
      SELECT seq, event_ids, created_at, sum(cardinality(event_ids)) OVER (ORDER BY seq) - cardinality(event_ids) AS before
      FROM (SELECT seq, event_ids, created_at FROM uis_outbox WHERE seq NOT IN (SELECT unnest($2::bigint[])) ORDER BY seq LIMIT $1) f
    ) w WHERE before < $1`;

// A row's mark (PUBLISH_SCRIPT): when the transaction that wrote it started, in microseconds since 1970, as text.
const ROW_MARK = `(extract(epoch FROM o.created_at) * 1000000)::bigint::text`;

// An event as published (StoredEvent: UTC ISO timestamp), read through the primary key with LATERAL + LIMIT 1 (which
// the planner cannot flatten into a join), never by a hash join over a full scan of conversation_events (it chose
// that at 20k rows: 30 ms a batch). An id whose event is gone (forgotten) comes back with a null id.
const EVENT_BY_ID = `
  LEFT JOIN LATERAL (
    SELECT id, conversation_id, user_id, to_char(timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS timestamp,
           event_type, COALESCE(content, '{}'::jsonb)::text AS content, tool_name, success, credits_consumed,
           CASE WHEN jsonb_typeof(content->'message') = 'string' THEN content->>'message' END AS message,
           (content->'params')::text AS params
    FROM conversation_events WHERE id = u.event_id LIMIT 1
  ) e ON true`;

// The outbox rows expanded into their events, in one round trip (no event of this batch was handed over in memory);
// a row's mark comes with its first line only.
const OUTBOX_BATCH = `
  SELECT o.seq, CASE WHEN u.n = 1 THEN ${ROW_MARK} END AS mark, e.*
  FROM (${OUTBOX_ROWS}) o
  CROSS JOIN LATERAL unnest(o.event_ids) WITH ORDINALITY AS u(event_id, n)
  ${EVENT_BY_ID}
  ORDER BY o.seq, u.n`;

// The events the relay did not find in memory, by id, in the order given.
const EVENTS_BY_ID = `
  SELECT u.event_id AS wanted, e.*
  FROM unnest($1::uuid[]) WITH ORDINALITY AS u(event_id, n)
  ${EVENT_BY_ID}
  ORDER BY u.n`;

/**
 * A batch ready to publish: per outbox row, its seq, its mark (ROW_MARK, see PUBLISH_SCRIPT) and its events'
 * stream entries (forgotten events left out).
 */
interface Batch {
  rows: Array<{ seq: number; mark: string; entries: string[] }>;
  /** Event ids the outbox rows listed, forgotten ones included. */
  ids: number;
}

/** An event as EVENT_BY_ID reads it: content as JSON text, with its message (if a string) and params (JSON text). */
type EventText = Omit<StoredEvent, 'content'> & { content: string; message: string | null; params: string | null };
type OutboxRow = { seq: number; mark: string | null } & (EventText | { [K in keyof EventText]: null });
type EventRow = { wanted: string } & (EventText | { [K in keyof EventText]: null });

/** The stream entry and the seed's user_context message of an event read from PostgreSQL (PUBLISH_SCRIPT's order). */
const fromText = (e: EventText) => [storedEventJson(e, e.content), userContextJson(e, e.message, e.params)];

export interface RelayOptions {
  keyPrefix?: string;
  /** Approximate cap on the stream's length (XTRIM MAXLEN ~ after each batch); 0 keeps everything. */
  maxLen?: number;
  /** Events per publish (default 1,000, at most 2,000; whole outbox rows, so a batch can hold up to 999 more). Lua's
   * unpack() limits the script's HMGET/HSET to ~8,000 args, i.e. outbox rows per batch, which this bounds too. */
  batchSize?: number;
  /** Poll interval when no NOTIFY arrives (and the retry delay after a failure). */
  pollMs?: number;
  onError?: (err: Error) => void;
  onPublished?: (count: number) => void;
  /** Events the same process just stored (`uis serve`): published from memory instead of read back. */
  captured?: CapturedEvents;
}

/** How long, and how often, a relay whose LISTEN connection dropped tries to take its lock back (see reclaimUntil). */
const RECLAIM_MS = 10_000;
const RECLAIM_RETRY_MS = 100;

/**
 * Moves events from the PostgreSQL outbox to Redis (stream uis:events + the seed's pub/sub channel). One relay at a
 * time holds an advisory lock, so per-conversation order is the outbox order. If Redis is down, events wait in the
 * outbox and go out when it is back. Its Redis connection must time out commands (createRedis does: UIS_REDIS_TIMEOUT_MS),
 * so that a paused Redis fails a batch, retried later, instead of stalling the loop.
 */
export class OutboxRelay {
  private readonly keys: StreamKeys;
  private listener: pg.PoolClient | null = null;
  private running = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private published = 0;
  private notified = false;
  /** The in-flight hash was cleared of marks left behind since this relay became the leader. */
  private swept = false;
  /**
   * Until then, a lost leadership is taken back at short intervals: after this relay's own LISTEN connection dropped,
   * its lock is held until the dead session has exited, and the first try usually finds it still held; waiting the
   * full follower interval (4 polls) for that would leave the outbox unread.
   */
  private reclaimUntil = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly redis: RedisClient,
    private readonly opts: RelayOptions = {},
  ) {
    this.keys = keysFor(redis, opts.keyPrefix);
  }

  private get batchSize(): number {
    return Math.min(Math.max(this.opts.batchSize ?? 1000, 1), 2000);
  }

  get publishedCount(): number {
    return this.published;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    await this.releaseListener();
  }

  /** Publishes everything currently in the outbox; returns how many event ids it processed (forgotten ones included). */
  async drainOnce(): Promise<number> {
    let total = 0;
    // Published batches whose outbox rows are still being deleted: their seqs stay out of the next reads, and the
    // next batch is published without waiting for the DELETE (the in-flight hash already keeps a retry from
    // publishing them twice). Only Redis publication is strictly one batch after the other, in outbox order.
    const settling = new Map<Promise<void>, number[]>();
    const inFlight = (current: number[]) => [...current, ...[...settling.values()].flat()];
    let settleError: unknown = null;
    try {
      let batch = await this.readBatch([]);
      while (batch.rows.length > 0) {
        const seqs = batch.rows.map((r) => r.seq);
        // The next batch is read while this one is published. It leaves out only the rows in flight, not everything
        // up to their highest seq: a row that committed late with a lower seq must still go out before any later
        // row of its conversation (per conversation, seq order is commit order).
        const full = batch.ids >= this.batchSize || seqs.length >= this.batchSize;
        const next: Promise<Batch> = full ? this.readBatch(inFlight(seqs)) : Promise.resolve({ rows: [], ids: 0 });
        next.catch(() => {}); // awaited below; a failure here must not surface as unhandled while we publish
        await this.publish(batch);
        const settled: Promise<void> = this.settle(seqs)
          .catch((err: unknown) => void (settleError ??= err))
          .finally(() => settling.delete(settled));
        settling.set(settled, seqs);
        total += batch.ids;
        if (settling.size > 2) await Promise.race(settling.keys());
        if (settleError) break;
        batch = await next;
      }
    } finally {
      await Promise.all(settling.keys());
    }
    // A failed DELETE fails the drain: the loop retries, and the in-flight hash keeps those rows from going out twice.
    if (settleError) throw settleError;
    return total;
  }

  private async readBatch(inFlight: number[]): Promise<Batch> {
    const captured = this.opts.captured;
    if (!captured?.size) return this.readWithEvents(inFlight);
    // The ids as one string each row (splitting it costs far less than parsing a uuid[] literal).
    const outbox = (
      await this.pool.query<{ seq: number; ids: string; mark: string }>(
        `SELECT seq, array_to_string(event_ids, ',') AS ids, ${ROW_MARK} AS mark FROM (${OUTBOX_ROWS}) o ORDER BY seq`,
        [this.batchSize, inFlight],
      )
    ).rows.map((r) => ({ seq: r.seq, mark: r.mark, event_ids: r.ids === '' ? [] : r.ids.split(',') }));
    // Events handed over by this process's capture are taken from memory; the others are read from PostgreSQL.
    const found = new Map<string, string[]>();
    const missing: string[] = [];
    let ids = 0;
    for (const row of outbox) {
      ids += row.event_ids.length;
      for (const id of row.event_ids) {
        const e = captured.take(id);
        if (e) found.set(id, [e.json, e.context]);
        else missing.push(id);
      }
    }
    if (missing.length > 0) {
      for (const e of (await this.pool.query<EventRow>(EVENTS_BY_ID, [missing])).rows) {
        if (e.id !== null) found.set(e.wanted, fromText(e));
      }
    }
    // An id found neither in memory nor in PostgreSQL was forgotten: nothing is published for it.
    return { rows: outbox.map((r) => ({ seq: r.seq, mark: r.mark, entries: r.event_ids.flatMap((id) => found.get(id) ?? []) })), ids };
  }

  private async readWithEvents(inFlight: number[]): Promise<Batch> {
    const rows = (await this.pool.query<OutboxRow>(OUTBOX_BATCH, [this.batchSize, inFlight])).rows;
    // Rows arrive sorted by seq, then position. An event deleted since (forgotten) comes back without an id.
    const bySeq = new Map<number, { seq: number; mark: string; entries: string[] }>();
    for (const row of rows) {
      let r = bySeq.get(row.seq);
      if (!r) bySeq.set(row.seq, (r = { seq: row.seq, mark: row.mark ?? '', entries: [] }));
      if (row.id !== null) r.entries.push(...fromText(row));
    }
    return { rows: [...bySeq.values()], ids: rows.length };
  }

  private async publish(batch: Batch): Promise<void> {
    const args: Array<string | Buffer> = [String(this.opts.maxLen ?? 1_000_000)];
    for (const { seq, mark, entries } of batch.rows) args.push(String(seq), mark, joinUtf8(entries, 0x0a /* \n */)); // see PUBLISH_SCRIPT
    const k = this.keys;
    const n = args.length > 1 ? ((await this.redis.eval(PUBLISH_SCRIPT, 3, k.stream, k.channel, k.inflight, ...args)) as number) : 0;
    this.published += n;
    if (n > 0) this.opts.onPublished?.(n);
  }

  /** Removes published rows from the outbox, then their marks from the in-flight hash. */
  private async settle(seqs: number[]): Promise<void> {
    await this.pool.query('DELETE FROM uis_outbox WHERE seq = ANY($1::bigint[])', [seqs]);
    // Only after the DELETE: until then a retry must find these seqs in the hash and skip them.
    await this.redis.hdel(this.keys.inflight, ...seqs.map(String));
  }

  /**
   * Removes marks whose outbox row is gone: left behind when the HDEL after a DELETE failed (Redis unreachable, a
   * crash in between). Run when this relay becomes the leader, before it publishes, so no mark of its own is in flight.
   * Marks of rows still waiting stay: they keep a retry from publishing those rows twice.
   */
  private async sweepMarks(): Promise<void> {
    const fields = await this.redis.hkeys(this.keys.inflight);
    if (fields.length > 0) {
      const waiting = await this.pool.query<{ seq: string }>('SELECT seq::text AS seq FROM uis_outbox WHERE seq = ANY($1::bigint[])', [fields]);
      const kept = new Set(waiting.rows.map((r) => r.seq));
      const gone = fields.filter((f) => !kept.has(f));
      if (gone.length > 0) await this.redis.hdel(this.keys.inflight, ...gone);
    }
    this.swept = true;
  }

  private async ensureLeader(): Promise<boolean> {
    if (this.listener) return true;
    const client = await this.pool.connect();
    try {
      const lock = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext('uis_outbox_relay')) AS ok");
      if (!lock.rows[0]?.ok) {
        client.release();
        return false;
      }
      await client.query('LISTEN uis_outbox');
      client.on('notification', () => {
        this.notified = true;
        this.wake?.();
      });
      // A dropped LISTEN connection: wake the loop so it reconnects (and re-LISTENs) now, not at the next poll. If the
      // loop is not asleep (mid-drain), `notified` keeps it from sleeping after the drain: a wake-up without it is lost.
      client.on('error', () => {
        this.reclaimUntil = Date.now() + RECLAIM_MS;
        void this.releaseListener(true);
        this.notified = true;
        this.wake?.();
      });
      this.listener = client;
      this.opts.captured?.setEnabled(true);
      return true;
    } catch (err) {
      client.release(true);
      throw err;
    }
  }

  private async releaseListener(destroy = false): Promise<void> {
    const l = this.listener;
    this.listener = null;
    this.swept = false;
    this.opts.captured?.setEnabled(false);
    if (!l) return;
    try {
      if (!destroy) await l.query("SELECT pg_advisory_unlock(hashtext('uis_outbox_relay')); UNLISTEN *");
    } catch {
      destroy = true;
    }
    l.release(destroy);
  }

  private async loop(): Promise<void> {
    const poll = this.opts.pollMs ?? 500;
    while (this.running) {
      let delay = poll;
      this.notified = false;
      try {
        if (await this.ensureLeader()) {
          if (!this.swept) await this.sweepMarks();
          const n = await this.drainOnce();
          if (n > 0) delay = 0;
        } else {
          delay = Date.now() < this.reclaimUntil ? Math.min(poll, RECLAIM_RETRY_MS) : poll * 4;
        }
      } catch (err) {
        this.opts.onError?.(err as Error);
        delay = poll * 2;
      }
      if (!this.running) break;
      if (delay > 0 && !this.notified) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }
}
