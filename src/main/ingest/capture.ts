import type pg from 'pg';
import pLimit, { type LimitFunction } from 'p-limit';
import pRetry from 'p-retry';
import { v7 as uuidv7 } from 'uuid';
import { EventInput, UserInput, type StoredEvent } from '../../shared/event.js';
import { formatPath } from '../../shared/storable.js';
import type { CapturedEvents } from '../stream/captured.js';
import { applyAggregatesOnce } from './aggregates.js';
import { joinUtf8 } from '../utf8-join.js';

export interface TrackResult {
  accepted: number;
  duplicates: number;
  ids: string[];
}

/** Input that failed validation; `issues` name the field, e.g. "[2].event_type" (index within the batch first). */
export class InvalidEventError extends Error {
  constructor(readonly issues: Array<{ path: string; message: string }>) {
    super(`Invalid event: ${issues.slice(0, 5).map((i) => `${i.path || '(event)'}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidEventError';
  }
}

type Row = Omit<StoredEvent, 'content'> & { content: Record<string, unknown> };

// A timestamp already in UTC with milliseconds (what clients and this system usually send) is kept as it is: the schema
// accepted it as a real calendar date, so Date would only write the same string again.
const CANONICAL_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Normalizes a validated event into the stored row: id and timestamp assigned, completion_status inside content, ids
 * in PostgreSQL's lower-case form (what is stored, what the stream carries, and what the caller gets back).
 */
export function toRow(e: EventInput & { content?: Record<string, unknown> }, now = new Date()): Row {
  const content: Record<string, unknown> = e.completion_status ? { ...e.content, completion_status: e.completion_status } : (e.content ?? {});
  const ts = e.timestamp;
  return {
    id: e.id?.toLowerCase() ?? uuidv7(),
    conversation_id: e.conversation_id.toLowerCase(),
    user_id: e.user_id,
    timestamp: ts !== undefined && CANONICAL_UTC.test(ts) ? ts : new Date(ts ?? now).toISOString(),
    event_type: e.event_type,
    content,
    tool_name: e.tool_name ?? (typeof content.tool === 'string' ? content.tool : null),
    success: e.success ?? null,
    credits_consumed: e.credits_consumed ?? 0,
  };
}

/** Validates every event before anything is written; throws InvalidEventError naming index and field. */
export function validateEvents(inputs: unknown[]): EventInput[] {
  const issues: Array<{ path: string; message: string }> = [];
  const valid: EventInput[] = [];
  inputs.forEach((input, index) => {
    const r = EventInput.safeParse(input);
    if (r.success) valid.push(r.data);
    else for (const i of r.error.issues) issues.push({ path: formatPath([index, ...i.path]), message: i.message });
  });
  if (issues.length) throw new InvalidEventError(issues);
  return valid;
}

// One statement, one round trip, one JSON parse whatever the batch size: the rows travel as one JSON parameter, parsed
// once as jsonb into typed records (json_to_recordset re-parsed each content object, ~30 % slower; one `->>` per
// field cost ~0.7 µs per event more). Timestamps travel as UTC ISO strings with their Z, which a TIMESTAMP column
// ignores. The conversation rows are created first in the same statement (the events reference them; the
// foreign-key check runs at the end of the statement and sees them), each for the user of its earliest event in the
// batch, (timestamp, id) order: a conversation belongs to the user who started it (docs/schema.md; the trigger moves
// it should an earlier event of another user arrive later, migrations/1764288000007). The statement trigger on conversation_events
// then locks the touched conversations and queues the batch's ids for the relay (uis_outbox) and for the aggregates
// (uis_aggregate_queue), applied after the commit (migrations/1764288000010, ./aggregates.ts). An id already stored is skipped by NOT EXISTS, not ON CONFLICT: the speculative
// insertion ON CONFLICT needs for every row cost ~1 µs per event more; the batch holds each id once (storeEvents), and
// an id a concurrent batch stores first makes this one fail with a unique violation and run again (RETRYABLE).
const INSERT_BATCH = `
  WITH x AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, conversation_id uuid, user_id text, timestamp timestamp,
      event_type text, content jsonb, tool_name text, success boolean, credits_consumed int)
  ), new_conversations AS (
    INSERT INTO conversations (id, user_id, started_at)
    SELECT DISTINCT ON (conversation_id) conversation_id, user_id, timestamp FROM x
    ORDER BY conversation_id, timestamp, id
    ON CONFLICT (id) DO NOTHING
  )
  INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content, tool_name, success, credits_consumed)
  SELECT id, conversation_id, user_id, timestamp, event_type, content, tool_name, success, credits_consumed FROM x
  WHERE NOT EXISTS (SELECT 1 FROM conversation_events c WHERE c.id = x.id)`;

// deadlock_detected, serialization_failure: two batches touching the same users' profiles in a different order;
// unique_violation: a concurrent batch stored one of this batch's ids first. The whole statement is retried; nothing of
// the failed attempt was committed, so no aggregate counts twice, and the retry skips the id the other batch stored.
const RETRYABLE = new Set(['40P01', '40001', '23505']);

/** Capture statements a process runs at once by default (`UIS_CAPTURE_CONCURRENCY`; the library's option). */
export const DEFAULT_CAPTURE_CONCURRENCY = 2;

/**
 * A limit on the capture statements in flight at once; the rest wait their turn (Node goes on parsing and validating
 * them meanwhile). Batches of time-ordered events all insert at the right edge of the same index pages, so statements
 * beyond two only wait on each other's page locks: 4 at once cost PostgreSQL 36-45 µs per event here, 2 at once 33-36
 * (docs/capture.md, Throughput). One 500-event statement takes ~12 ms, so 2 in flight still carry ~80k events/s,
 * more than one process's Node can validate.
 */
export function captureSlots(concurrency = DEFAULT_CAPTURE_CONCURRENCY): LimitFunction {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`captureConcurrency must be a whole number of at least 1 (got ${concurrency})`);
  return pLimit(concurrency);
}

/** Who applies a batch's aggregates (StoreOptions.aggregates). */
export const AGGREGATE_APPLY_MODES = ['after-commit', 'applier'] as const;
export type AggregateApplyMode = (typeof AGGREGATE_APPLY_MODES)[number];

export interface StoreOptions {
  /** `uis serve`, whose relay runs in the same process: each inserted event's JSON is handed to the relay. */
  captured?: CapturedEvents;
  /** Shared by the caller's batches (captureSlots()); without it every batch's statement runs at once. */
  slots?: LimitFunction;
  /**
   * Who applies the batch's aggregates once it is committed. 'after-commit' (default): this call, before it returns
   * (it waits for an applier running now). 'applier': an AggregateApplier running in this process (`uis serve`),
   * woken by the trigger's NOTIFY; the call returns at the commit.
   */
  aggregates?: AggregateApplyMode;
}

/**
 * Stores events: one transaction for the whole batch. An event whose id is already stored (in an earlier batch
 * or earlier in the same batch) changes nothing and is counted as a duplicate. Invalid input throws
 * InvalidEventError before any write.
 */
export async function trackEvents(pool: pg.Pool, inputs: unknown[], opts: StoreOptions = {}): Promise<TrackResult> {
  return storeEvents(pool, validateEvents(inputs), opts);
}

/** trackEvents() for events already validated by EventInput (the HTTP route validates the whole body first). */
export async function storeEvents(pool: pg.Pool, events: EventInput[], { captured, slots, aggregates = 'after-commit' }: StoreOptions = {}): Promise<TrackResult> {
  const now = new Date();
  const all = events.map((e) => toRow(e, now));
  if (all.length === 0) return { accepted: 0, duplicates: 0, ids: [] };
  // An id sent twice in the batch: the first copy is the one stored, the others are duplicates.
  const seen = new Set<string>();
  const rows = all.filter((r) => !seen.has(r.id) && seen.add(r.id));
  // Each row serialized once: the statement's parameter, and (handed off) the stream entry of the row.
  const parts = rows.map((r) => JSON.stringify(r));
  // Binary jsonb: its version byte (1), then the JSON text.
  const param = joinUtf8(parts, 0x2c /* , */, [1, 0x5b /* [ */], [0x5d /* ] */]);
  // A single statement is its own transaction: conversations, events, aggregates and outbox commit together.
  const run = () => pool.query(INSERT_BATCH, [param]);
  const result = await pRetry(() => (slots ? slots(run) : run()), {
    retries: 8,
    minTimeout: 5,
    maxTimeout: 200,
    randomize: true,
    shouldRetry: ({ error }) => RETRYABLE.has((error as { code?: string }).code ?? ''),
  });
  const inserted = result.rowCount ?? 0;
  // Handed to the relay only when every row was inserted (the usual batch): a duplicate's content must never replace
  // the stored event's, so a batch with duplicates leaves all its events to be read back.
  if (captured?.enabled && inserted === rows.length) rows.forEach((r, i) => captured.remember(r.id, parts[i], r));
  // Outside the capture transaction (and its slot): the events are stored whatever happens here; an applier that
  // fails leaves them queued for the next one.
  if (aggregates === 'after-commit' && inserted > 0) await applyAggregatesOnce(pool, { wait: true, maxRows: 1000 });
  return { accepted: inserted, duplicates: all.length - inserted, ids: all.map((r) => r.id) };
}

/** Identifies a user: signup time and e-mail. Existing counters are kept. */
export async function identifyUser(pool: pg.Pool, input: UserInput): Promise<void> {
  const r = UserInput.safeParse(input);
  if (!r.success) throw new InvalidEventError(r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  const u = r.data;
  await pool.query(
    `INSERT INTO user_profiles AS p (user_id, email, created_at) VALUES ($1, $2, COALESCE($3::timestamp, now() AT TIME ZONE 'UTC'))
     ON CONFLICT (user_id) DO UPDATE SET
       email = COALESCE(EXCLUDED.email, p.email),
       created_at = CASE WHEN $3::timestamp IS NULL THEN p.created_at ELSE EXCLUDED.created_at END`,
    [u.user_id, u.email ?? null, u.created_at ? new Date(u.created_at).toISOString().slice(0, -1) : null],
  );
}
