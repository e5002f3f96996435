import type { RedisClient } from '../stream/redis.js';
import type pg from 'pg';
import { creditExhaustionEventSql } from '../../shared/metric-definitions.js';
import { withTransaction } from '../db/pg.js';
import { AGGREGATES_LOCK_SQL, notPending } from '../ingest/aggregates.js';
import { redactConnectionString } from '../connection-string.js';
import type { ContextCache } from '../context/cache.js';
import { deleteUserMemory, rebuildUserMemory, USER_LOCK_SQL } from '../profiles/store.js';
import { keysFor } from '../stream/keys.js';
import { forgetHash, loadForgetKey } from '../snapshot/audit-hash.js';

export interface ForgetRemoved {
  events: number;
  conversations: number;
  profiles: number;
  /** Events stored but not yet published (they never reach Redis now). */
  outbox: number;
  /** The profile builder's memory: ledger, preference evidence and statements, prompt patterns. */
  memory_rows: number;
  /** Other owners' conversations the user took part in: the user's events removed, the aggregates taken again. */
  shared_conversations: number;
  /** Other users whose counters and memory were recomputed (they shared conversations with the user). */
  recomputed_profiles: number;
  /** Entries deleted from the stream uis:events; null when Redis was not reachable. */
  stream_entries: number | null;
  cached_contexts: number;
}

export interface ForgetResult {
  user_id: string;
  removed: ForgetRemoved;
  audit_id: number;
  requested_by: string;
  requested_at: string;
  /** Things that could not be done now and how they will be (e.g. Redis down). */
  warnings: string[];
}

export interface ForgetOptions {
  requestedBy: string;
  redis?: RedisClient | null;
  keyPrefix?: string;
  cache?: ContextCache | null;
}

/**
 * Deletes from the stream the user's entries and the entries of the other deleted events (`ids`: other senders'
 * events in the user's conversations). A scan: the stream is keyed by time, not user.
 */
async function deleteStreamEntries(redis: RedisClient, stream: string, userId: string, ids: ReadonlySet<string>): Promise<number> {
  const needle = `"user_id":${JSON.stringify(userId)}`;
  let start = '-';
  let removed = 0;
  for (;;) {
    const batch = await redis.xrange(stream, start, '+', 'COUNT', 2000);
    const doomed: string[] = [];
    for (const [entryId, fields] of batch) {
      const raw = fields[fields.indexOf('event') + 1];
      if (typeof raw !== 'string' || (!raw.includes(needle) && ids.size === 0)) continue;
      try {
        const e = JSON.parse(raw) as { id?: unknown; user_id?: unknown };
        if (e.user_id === userId || (typeof e.id === 'string' && ids.has(e.id))) doomed.push(entryId);
      } catch {
        // Not an event of ours.
      }
    }
    if (doomed.length) removed += await redis.xdel(stream, ...doomed);
    if (batch.length < 2000) return removed;
    start = `(${batch[batch.length - 1][0]}`;
  }
}

// The user's events, and any event of the conversations the user owns (whoever sent it: the conversation is theirs).
const USER_EVENTS = 'user_id = $1 OR conversation_id IN (SELECT id FROM conversations WHERE user_id = $1)';

// Conversations of other owners the user took part in, and the other users whose memory may hold something of the
// user's: the owners of those conversations (their first_intent, and through it their context summary, was written
// under the old owner rule, docs/schema.md) and everyone with events in the user's own conversations (deleted below).
const RELATED = `
  WITH owned AS (SELECT id FROM conversations WHERE user_id = $1),
  shared AS (SELECT DISTINCT conversation_id AS id FROM conversation_events
             WHERE user_id = $1 AND conversation_id IS NOT NULL AND conversation_id NOT IN (SELECT id FROM owned))
  SELECT ARRAY(SELECT id::text FROM shared ORDER BY id) AS shared,
         ARRAY(SELECT DISTINCT u FROM (
                 SELECT user_id AS u FROM conversation_events WHERE conversation_id IN (SELECT id FROM owned)
                 UNION SELECT user_id FROM conversations WHERE id IN (SELECT id FROM shared)) x
               WHERE u <> $1 ORDER BY u) AS others`;

const CREDIT_EXHAUSTION_EVENT = creditExhaustionEventSql({ eventType: 'event_type', errorType: "content->>'error'", completionStatus: "content->>'completion_status'" });

// The events go; the other senders' profile counters lose what their deleted events had added (the capture trigger
// counts each event for its sender). Returns the other senders' event ids, for the stream.
const DELETE_EVENTS = `
  WITH gone AS (DELETE FROM conversation_events WHERE ${USER_EVENTS} RETURNING id, user_id, conversation_id, event_type, content, credits_consumed),
  -- Another sender's events here are all in the user's own conversations, which go whole: their episodes there go too.
  others AS (SELECT user_id, COUNT(*) FILTER (WHERE event_type = 'message') AS messages, COALESCE(SUM(credits_consumed), 0) AS credits,
               COUNT(DISTINCT conversation_id) FILTER (WHERE ${CREDIT_EXHAUSTION_EVENT}) AS episodes
             -- Events still waiting for the applier were never counted, so they take nothing away.
             FROM gone WHERE user_id <> $1 AND ${notPending('gone')} GROUP BY user_id),
  fixed AS (UPDATE user_profiles p SET total_messages = GREATEST(COALESCE(p.total_messages, 0) - o.messages, 0),
              total_credits_used = GREATEST(COALESCE(p.total_credits_used, 0) - o.credits, 0),
              credit_exhaustion_count = GREATEST(COALESCE(p.credit_exhaustion_count, 0) - o.episodes, 0)
            FROM others o WHERE p.user_id = o.user_id RETURNING 1)
  SELECT (SELECT count(*)::int FROM gone) AS events, ARRAY(SELECT id::text FROM gone WHERE user_id <> $1) AS other_ids,
         (SELECT count(*)::int FROM fixed) AS fixed`;

// Other owners' conversations without the user's events: every aggregate the capture trigger keeps, taken again from
// the events left (first_intent: the owner's first message, uis_owner_first_intent); what Intelligence wrote back from
// an analysis of the whole conversation, the user's messages included (use case, blocker, satisfaction), is cleared
// until it runs again. Their change_seq moves, so a snapshot sync pulls them again.
const RECOMPUTE_SHARED = `
  UPDATE conversations c SET
    started_at = COALESCE(a.first_at, c.started_at), last_message_at = a.last_at, message_count = a.messages,
    credits_used = a.credits, tools_used = a.tools, completion_status = COALESCE(a.completion_status, c.completion_status),
    first_intent = uis_owner_first_intent(c.id, c.user_id),
    extracted_use_case = NULL, blocker_reason = NULL, user_satisfaction_signal = NULL
  FROM (
    SELECT s.id, MIN(e.timestamp) AS first_at, MAX(e.timestamp) AS last_at,
      COUNT(e.id) FILTER (WHERE e.event_type = 'message')::int AS messages, COALESCE(SUM(e.credits_consumed), 0)::int AS credits,
      (SELECT jsonb_object_agg(t.tool_name, t.n) FROM (
         SELECT x.tool_name, COUNT(*) AS n FROM conversation_events x
         WHERE x.conversation_id = s.id AND x.event_type = 'tool_call' AND x.tool_name IS NOT NULL AND ${notPending('x')}
         GROUP BY x.tool_name) t) AS tools,
      (ARRAY_AGG(e.content->>'completion_status' ORDER BY e.timestamp DESC, e.id DESC)
         FILTER (WHERE e.event_type = 'completion' AND e.content->>'completion_status' IS NOT NULL))[1] AS completion_status
    -- Applied events only: the applier adds those still waiting when their turn comes.
    FROM unnest($1::uuid[]) AS s(id) LEFT JOIN conversation_events e ON e.conversation_id = s.id AND ${notPending('e')}
    GROUP BY s.id) a
  WHERE c.id = a.id`;

// 23503: an event stored for the user while the transaction ran makes the conversation delete fail (foreign key);
// 40P01: two forgets of users who shared conversations lock each other's profiles. Both: run it again.
const RETRYABLE = new Set(['23503', '40P01']);

/**
 * Forgets a user everywhere the system keeps them (docs/realtime.md, Forget). In one PostgreSQL transaction, under the
 * profile locks of the user and of the users who shared conversations with them: the user's events and the
 * conversations they own (every event in them), their ids in waiting outbox rows, their profile and memory; the other
 * owners' conversations they took part in recomputed without them; the other users' counters and memory recomputed;
 * and the audit row (no user id: a keyed hash, audit-hash.ts), which the snapshot syncs read to delete the user's
 * snapshot rows. Then the stream entries of every deleted event and the cached contexts. A user with nothing stored
 * is forgotten all the same: the audit records that the request ran, and every snapshot still applies it.
 */
export async function forgetUser(pool: pg.Pool, userId: string, opts: ForgetOptions): Promise<ForgetResult> {
  const warnings: string[] = [];
  const deleteAll = () => withTransaction(pool, async (client) => {
    await client.query(USER_LOCK_SQL, [userId]);
    // No aggregate applier runs until this commits (the counts below are taken against what it has applied).
    await client.query(AGGREGATES_LOCK_SQL);
    const related = (await client.query<{ shared: string[]; others: string[] }>(RELATED, [userId])).rows[0];
    // The others' locks in one order (theirs are taken by rebuildUserMemory again below, which is harmless).
    for (const other of related.others) await client.query(USER_LOCK_SQL, [other]);
    const del = async (sql: string) => (await client.query(sql, [userId])).rowCount ?? 0;
    // The user's events still waiting for publication leave their outbox rows (a row holds a whole batch, other
    // users' events too): a row that held only theirs is deleted, the others keep the rest of their ids. The relay
    // publishes only ids an outbox row lists, so the copy of an event that `uis serve` keeps in memory for its relay
    // (docs/capture.md) never goes out either.
    const outbox = (await client.query<{ n: number }>(
      `WITH gone AS MATERIALIZED (SELECT id FROM conversation_events WHERE ${USER_EVENTS}),
       -- The rows holding them, found by one hash join over the waiting ids (a per-row semi-join rescanned the
       -- user's ids for every row: 12 s for 1M waiting events and a 50k-event user, now 0.7 s).
       hit AS MATERIALIZED (
         SELECT o.seq, count(*) AS removed, cardinality(o.event_ids) AS held
         FROM uis_outbox o CROSS JOIN LATERAL unnest(o.event_ids) AS u(id)
         WHERE u.id IN (SELECT id FROM gone) GROUP BY o.seq),
       emptied AS (
         DELETE FROM uis_outbox o USING hit WHERE o.seq = hit.seq AND hit.removed = hit.held
         RETURNING hit.removed),
       kept AS (
         UPDATE uis_outbox o SET event_ids = ARRAY(
           SELECT u.id FROM unnest(o.event_ids) WITH ORDINALITY AS u(id, n) WHERE u.id NOT IN (SELECT id FROM gone) ORDER BY u.n)
         FROM hit WHERE o.seq = hit.seq AND hit.removed < hit.held
         RETURNING hit.removed)
       SELECT COALESCE(sum(removed), 0)::int AS n FROM (SELECT removed FROM emptied UNION ALL SELECT removed FROM kept) r`,
      [userId],
    )).rows[0].n;
    const gone = (await client.query<{ events: number; other_ids: string[] }>(DELETE_EVENTS, [userId])).rows[0];
    const conversations = await del('DELETE FROM conversations WHERE user_id = $1');
    if (related.shared.length) await client.query(RECOMPUTE_SHARED, [related.shared]);
    if (related.others.length)
      await client.query(
        `UPDATE user_profiles p SET last_active_at = (SELECT MAX(e.timestamp) FROM conversation_events e WHERE e.user_id = p.user_id)
         WHERE p.user_id = ANY($1::text[])`,
        [related.others],
      );
    const profiles = await del('DELETE FROM user_profiles WHERE user_id = $1');
    const memory_rows = await deleteUserMemory(client, userId);
    for (const other of related.others) await rebuildUserMemory(client, other);
    const counts = {
      events: gone.events,
      conversations,
      profiles,
      outbox,
      memory_rows,
      shared_conversations: related.shared.length,
      recomputed_profiles: related.others.length,
    };
    // In the same transaction as the deletes: a forget that committed is always in the audit, so every snapshot
    // learns of it; one that did not commit left nothing to learn.
    const audit = (await client.query<{ id: string; requested_at: Date }>(
      'INSERT INTO uis_forget_audit (user_hash, requested_by, removed) VALUES ($1, $2, $3) RETURNING id, requested_at',
      [forgetHash(await loadForgetKey(client), userId), opts.requestedBy, JSON.stringify(counts)],
    )).rows[0];
    return { counts, otherEventIds: gone.other_ids, others: related.others, audit };
  });
  let done: Awaited<ReturnType<typeof deleteAll>>;
  for (let attempt = 1; ; attempt++) {
    try {
      done = await deleteAll();
      break;
    } catch (err) {
      if (!RETRYABLE.has((err as { code?: string }).code ?? '') || attempt >= 5) throw err;
    }
  }
  const { counts, otherEventIds, others, audit } = done;

  let stream_entries: number | null = null;
  if (opts.redis) {
    try {
      const keys = keysFor(opts.redis, opts.keyPrefix);
      stream_entries = await deleteStreamEntries(opts.redis, keys.stream, userId, new Set(otherEventIds));
      await opts.redis.publish(keys.profileChanged, JSON.stringify({ users: [userId, ...others] }));
    } catch (err) {
      warnings.push(`Redis unreachable (${redactConnectionString((err as Error).message)}): stream entries were not deleted; run \`uis forget ${userId}\` again when Redis is back (the stream is also trimmed by MAXLEN).`);
    }
  } else {
    warnings.push('REDIS_URL not set: stream entries were not deleted.');
  }
  const cached_contexts = opts.cache?.has(userId) ? 1 : 0;
  opts.cache?.invalidate([userId, ...others]);

  const removed: ForgetRemoved = { ...counts, stream_entries, cached_contexts };
  // What Redis gave up, added to the audit row (best effort: the row itself committed with the deletes).
  await pool
    .query('UPDATE uis_forget_audit SET removed = $2 WHERE id = $1', [audit.id, JSON.stringify(removed)])
    .catch(() => warnings.push('The audit row could not be completed with the stream and cache counts.'));
  const total = counts.events + counts.conversations + counts.profiles + counts.outbox + counts.memory_rows + (stream_entries ?? 0);
  if (total === 0) warnings.push(`Nothing was stored for user "${userId}"; the request is recorded in the audit all the same.`);
  return {
    user_id: userId,
    removed,
    audit_id: Number(audit.id),
    requested_by: opts.requestedBy,
    requested_at: audit.requested_at.toISOString(),
    warnings,
  };
}
