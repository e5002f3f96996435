import type { Redis } from 'ioredis';
import type pg from 'pg';
import { withTransaction } from '../db/pg.js';
import { redactConnectionString } from '../connection-string.js';
import type { ContextCache } from '../context/cache.js';
import { profileChangedChannel } from '../profiles/builder.js';
import { deleteUserMemory, USER_LOCK_SQL } from '../profiles/store.js';
import { streamKeys } from '../stream/keys.js';

export interface ForgetRemoved {
  events: number;
  conversations: number;
  profiles: number;
  /** Events stored but not yet published (they never reach Redis now). */
  outbox: number;
  /** The profile builder's memory: ledger, preference evidence and statements, prompt patterns. */
  memory_rows: number;
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
  redis?: Redis | null;
  keyPrefix?: string;
  cache?: ContextCache | null;
}

/** Deletes the user's entries from the stream (a scan: the stream is keyed by time, not user). */
async function deleteStreamEntries(redis: Redis, stream: string, userId: string): Promise<number> {
  const needle = `"user_id":${JSON.stringify(userId)}`;
  let start = '-';
  let removed = 0;
  for (;;) {
    const batch = await redis.xrange(stream, start, '+', 'COUNT', 2000);
    const ids: string[] = [];
    for (const [id, fields] of batch) {
      const raw = fields[fields.indexOf('event') + 1];
      if (typeof raw !== 'string' || !raw.includes(needle)) continue;
      try {
        if ((JSON.parse(raw) as { user_id?: unknown }).user_id === userId) ids.push(id);
      } catch {
        // Not an event of ours.
      }
    }
    if (ids.length) removed += await redis.xdel(stream, ...ids);
    if (batch.length < 2000) return removed;
    start = `(${batch[batch.length - 1][0]}`;
  }
}

// The user's events, and any event in the user's conversations.
const USER_EVENTS = 'user_id = $1 OR conversation_id IN (SELECT id FROM conversations WHERE user_id = $1)';

/**
 * Forgets a user everywhere the system keeps them: events, conversations, profile (so unpublished events never go out), the
 * builder's memory (one PostgreSQL transaction, under the user's profile lock so the builder cannot re-create it),
 * then the stream entries and cached context. Writes uis_forget_audit (who, when, counts), which the snapshot sync
 * reads to delete the user's snapshot rows. Returns null when nothing was stored for the user.
 */
export async function forgetUser(pool: pg.Pool, userId: string, opts: ForgetOptions): Promise<ForgetResult | null> {
  const warnings: string[] = [];
  // An event stored for the user while the transaction runs makes the conversation delete fail (foreign key, 23503):
  // run it again, it then sees that event too.
  const deleteAll = () => withTransaction(pool, async (client) => {
    await client.query(USER_LOCK_SQL, [userId]);
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
    const events = await del(`DELETE FROM conversation_events WHERE ${USER_EVENTS}`);
    const conversations = await del('DELETE FROM conversations WHERE user_id = $1');
    const profiles = await del('DELETE FROM user_profiles WHERE user_id = $1');
    const memory_rows = await deleteUserMemory(client, userId);
    return { events, conversations, profiles, outbox, memory_rows };
  });
  let counts: Awaited<ReturnType<typeof deleteAll>>;
  for (let attempt = 1; ; attempt++) {
    try {
      counts = await deleteAll();
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== '23503' || attempt >= 3) throw err;
    }
  }

  let stream_entries: number | null = null;
  if (opts.redis) {
    try {
      stream_entries = await deleteStreamEntries(opts.redis, streamKeys(opts.keyPrefix).stream, userId);
      await opts.redis.publish(profileChangedChannel(opts.keyPrefix), JSON.stringify({ users: [userId] }));
    } catch (err) {
      warnings.push(`Redis unreachable (${redactConnectionString((err as Error).message)}): stream entries were not deleted; run \`uis forget ${userId}\` again when Redis is back (the stream is also trimmed by MAXLEN).`);
    }
  } else {
    warnings.push('REDIS_URL not set: stream entries were not deleted.');
  }
  const cached_contexts = opts.cache?.has(userId) ? 1 : 0;
  opts.cache?.invalidate([userId]);

  const removed: ForgetRemoved = { ...counts, stream_entries, cached_contexts };
  const total = counts.events + counts.conversations + counts.profiles + counts.outbox + counts.memory_rows + (stream_entries ?? 0);
  if (total === 0) return null;
  const audit = await pool.query<{ id: number; requested_at: Date }>(
    'INSERT INTO uis_forget_audit (user_id, requested_by, removed) VALUES ($1, $2, $3) RETURNING id, requested_at',
    [userId, opts.requestedBy, JSON.stringify(removed)],
  );
  return {
    user_id: userId,
    removed,
    audit_id: audit.rows[0].id,
    requested_by: opts.requestedBy,
    requested_at: audit.rows[0].requested_at.toISOString(),
    warnings,
  };
}
