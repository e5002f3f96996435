import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { streamKeys } from '../../src/main/stream/keys.js';
import type { EventInput } from '../../src/shared/event.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

const TOKEN = 'several-instances-token';
const INSTANCES = 3;
const CONVERSATIONS = 60;
const PER_CONVERSATION = 20;
const BATCH = 40;

async function waitFor<T>(what: string, fn: () => Promise<T | null | false> | T | null | false, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const hex = (n: number) => n.toString(16).padStart(12, '0');

/**
 * 1,200 events: 60 conversations of 20 events, 30 owners (two conversations each) and 5 guests, each in 12
 * conversations (a few of its events: when one arrives first, the conversation is created for the guest and moves to
 * the owner later; a batch can move two conversations between the same two users in opposite directions),
 * messages, tool calls with credits, errors and a completion; every event's message names its id, so each user_context
 * publication can be told apart. Shuffled (deterministically) so batches mix conversations, and a conversation's events
 * arrive through different instances.
 */
function makeEvents(): EventInput[] {
  const out: EventInput[] = [];
  let n = 0;
  for (let c = 0; c < CONVERSATIONS; c++) {
    for (let i = 0; i < PER_CONVERSATION; i++) {
      const id = `0193e200-0000-7000-9000-${hex(++n)}`;
      const owner = `user-${c % 30}`;
      const user = i % 7 === 3 ? `guest-${c % 5}` : owner;
      const base = { id, conversation_id: `0193e200-0000-7000-8000-${hex(c)}`, user_id: user, timestamp: new Date(Date.UTC(2026, 2, 1, 0, c, i)).toISOString() };
      const message = `event ${id}`;
      if (i === PER_CONVERSATION - 1) out.push({ ...base, event_type: 'completion', completion_status: c % 4 === 0 ? 'blocked_by_credits' : 'completed', content: { message } });
      else if (i % 5 === 2) out.push({ ...base, event_type: 'tool_call', tool_name: ['image_gen', 'video_gen', 'search'][c % 3], success: i % 10 !== 7, credits_consumed: 1 + (i % 4), content: { message, params: { style: 'cinematic' } } });
      else if (i === 11 && c % 6 === 0) out.push({ ...base, event_type: 'error', content: { message, error: 'insufficient_credits' } });
      else out.push({ ...base, event_type: 'message', content: { role: i % 2 ? 'assistant' : 'user', message } });
    }
  }
  // A fixed permutation (a linear congruential shuffle): the same run every time.
  let s = 12345;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

interface Instance {
  name: string;
  proc: ChildProcess;
  url: string;
  alive: boolean;
  stderr: string;
}

/** `uis serve` as a real child process, its PostgreSQL sessions named by application_name (pg_stat_activity). */
async function startInstance(name: string, db: TestDatabase, prefix: string): Promise<Instance> {
  const dbUrl = new URL(db.url);
  dbUrl.searchParams.set('application_name', name);
  const proc = spawn('node', ['bin/uis.js', 'serve', '--port', '0'], {
    env: { ...process.env, DATABASE_URL: dbUrl.toString(), REDIS_URL, UIS_REDIS_PREFIX: prefix, UIS_API_TOKEN: TOKEN, UIS_WORKBENCH_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const inst: Instance = { name, proc, url: '', alive: true, stderr: '' };
  // A test process that ends without afterAll (a crash, a timeout) must not leave servers behind.
  const orphan = () => proc.kill('SIGKILL');
  process.once('exit', orphan);
  proc.once('exit', () => process.off('exit', orphan));
  proc.stderr!.on('data', (d) => (inst.stderr += d));
  proc.once('exit', () => (inst.alive = false));
  inst.url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /uis serve listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening: ${inst.stderr}`)));
  });
  return inst;
}

// The relay's lock (src/main/stream/relay.ts): pg_try_advisory_lock(hashtext('uis_outbox_relay')), a bigint key that
// pg_locks shows split in classid (high 32 bits) and objid (low 32 bits).
const RELAY_LOCK_HOLDERS = `
  SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtext('uis_outbox_relay')::bigint`;

// A capture statement of this instance running in PostgreSQL.
const CAPTURING = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query ILIKE '%conversation_events%'`;

// Aggregates recomputed from the events alone, beside the stored ones: rows where they differ (or exist on one side).
const CONVERSATION_MISMATCHES = `
  WITH r AS (
    SELECT conversation_id AS id,
           (ARRAY_AGG(user_id ORDER BY timestamp, id))[1] AS user_id,
           MAX(timestamp) AS last_message_at,
           COUNT(*) FILTER (WHERE event_type = 'message')::int AS message_count,
           COALESCE(SUM(credits_consumed), 0)::int AS credits_used,
           (ARRAY_AGG(content->>'completion_status' ORDER BY timestamp DESC, id DESC)
              FILTER (WHERE event_type = 'completion' AND content->>'completion_status' IS NOT NULL))[1] AS completion_status
    FROM conversation_events GROUP BY conversation_id),
  t AS (
    SELECT conversation_id AS id, jsonb_object_agg(tool_name, n) AS tools_used
    FROM (SELECT conversation_id, tool_name, COUNT(*)::int AS n FROM conversation_events
          WHERE event_type = 'tool_call' AND tool_name IS NOT NULL GROUP BY 1, 2) x GROUP BY 1),
  f AS (
    SELECT r.id, (SELECT e.content->>'message' FROM conversation_events e
                  WHERE e.conversation_id = r.id AND e.user_id = r.user_id AND e.event_type = 'message'
                    AND COALESCE(e.content->>'role', 'user') = 'user' AND e.content->>'message' IS NOT NULL
                  ORDER BY e.timestamp, e.id LIMIT 1) AS first_intent
    FROM r)
  SELECT COALESCE(c.id, r.id) AS id,
         row(c.user_id, c.last_message_at, c.message_count, c.credits_used, c.completion_status, c.tools_used, c.first_intent)::text AS stored,
         row(r.user_id, r.last_message_at, r.message_count, r.credits_used, r.completion_status, t.tools_used, f.first_intent)::text AS recomputed
  FROM conversations c
  FULL JOIN (r LEFT JOIN t USING (id) LEFT JOIN f USING (id)) ON c.id = r.id
  WHERE c.id IS NULL OR r.id IS NULL
     OR (c.user_id, c.last_message_at, c.message_count, c.credits_used, c.completion_status, c.tools_used, c.first_intent)
        IS DISTINCT FROM (r.user_id, r.last_message_at, r.message_count, r.credits_used, r.completion_status, t.tools_used, f.first_intent)`;

const PROFILE_MISMATCHES = `
  WITH owners AS (SELECT DISTINCT ON (conversation_id) conversation_id, user_id FROM conversation_events ORDER BY conversation_id, timestamp, id),
  ev AS (
    SELECT user_id, COUNT(*) FILTER (WHERE event_type = 'message')::int AS total_messages,
           COALESCE(SUM(credits_consumed), 0)::int AS total_credits_used, MAX(timestamp) AS last_active_at,
           COUNT(DISTINCT conversation_id) FILTER (WHERE (event_type = 'completion' AND content->>'completion_status' = 'blocked_by_credits')
                                                   OR content->>'error' = 'insufficient_credits')::int AS credit_exhaustion_count
    FROM conversation_events GROUP BY user_id),
  cv AS (SELECT user_id, COUNT(*)::int AS total_conversations FROM owners GROUP BY user_id)
  SELECT COALESCE(p.user_id, ev.user_id) AS user_id,
         row(p.total_messages, p.total_credits_used, p.last_active_at, p.total_conversations, p.credit_exhaustion_count)::text AS stored,
         row(ev.total_messages, ev.total_credits_used, ev.last_active_at, COALESCE(cv.total_conversations, 0), ev.credit_exhaustion_count)::text AS recomputed
  FROM user_profiles p
  FULL JOIN ev USING (user_id) LEFT JOIN cv USING (user_id)
  WHERE p.user_id IS NULL OR ev.user_id IS NULL
     OR (p.total_messages, p.total_credits_used, p.last_active_at, p.total_conversations, p.credit_exhaustion_count)
        IS DISTINCT FROM (ev.total_messages, ev.total_credits_used, ev.last_active_at, COALESCE(cv.total_conversations, 0), ev.credit_exhaustion_count)`;

describe('several `uis serve` on one PostgreSQL and Redis, one killed with SIGKILL mid-run', () => {
  let db: TestDatabase;
  let redis: Redis;
  let subscriber: Redis;
  const prefix = testPrefix();
  const keys = streamKeys(prefix);
  const instances: Instance[] = [];
  const published: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    subscriber = new Redis(REDIS_URL);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === keys.channel) published.push(message);
    });
    await subscriber.subscribe(keys.channel);
    instances.push(...(await Promise.all(Array.from({ length: INSTANCES }, (_, i) => startInstance(`uis-serve-${i + 1}`, db, prefix)))));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(
      instances.map(
        (i) =>
          new Promise<void>((resolve) => {
            if (!i.alive) return resolve();
            i.proc.once('exit', () => resolve());
            i.proc.kill('SIGTERM');
          }),
      ),
    );
    subscriber?.disconnect();
    if (redis) await cleanupPrefix(redis, prefix);
    redis?.disconnect();
    await db?.drop();
  }, 60_000);

  /** Waits until the stored aggregates equal the recomputation; on a timeout, says which rows differ and how. */
  async function converge(table: string, sql: string): Promise<void> {
    let last: unknown[] = [];
    await waitFor(`${table} to match the events`, async () => (last = (await db.pool.query(sql)).rows).length === 0, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${last.length} rows differ, e.g. ${JSON.stringify(last.slice(0, 3))}`);
    });
  }

  it('stores, publishes and aggregates every event exactly once; one relay at a time, another takes over', async () => {
    const events = makeEvents();
    const batches: EventInput[][] = [];
    for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));

    // Who holds the relay's lock, sampled all along: never two at once, and the holder changes only after the kill.
    const holders: string[][] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        holders.push((await db.pool.query<{ name: string }>(RELAY_LOCK_HOLDERS)).rows.map((r) => r.name));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    sampler.catch(() => {}); // awaited below; a failed test must not leave it querying a dropped database
    onTestFinished(() => {
      sampling = false;
    });
    const leader = await waitFor('a relay leader', async () => (await db.pool.query<{ name: string }>(RELAY_LOCK_HOLDERS)).rows[0]?.name ?? null);

    // Each instance sends its share of the batches, one at a time; a batch that fails (the instance died: connection
    // refused or reset, or a 5xx) is sent again, with the same event ids, to the next instance still alive.
    let next = 0;
    let sent = 0;
    let retried = 0;
    let killed: Instance | null = null;
    const post = (inst: Instance, batch: EventInput[]) =>
      fetch(`${inst.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ events: batch }) });
    const accepted: number[] = [];
    const duplicates: number[] = [];
    const worker = async (start: number) => {
      for (;;) {
        const b = next++;
        if (b >= batches.length) return;
        // A third of the way in, a batch goes to the relay leader, and the leader dies while that batch's capture
        // statement runs (seen in pg_stat_activity), or just after it answered if the statement was too quick to see:
        // SIGKILL, so nothing is closed cleanly.
        const killHere = b === Math.floor(batches.length / 3) && !killed;
        for (let attempt = 0; ; attempt++) {
          const alive = instances.filter((i) => i.alive && i !== killed);
          let inst = attempt === 0 && instances[start].alive && instances[start] !== killed ? instances[start] : alive[(start + attempt) % alive.length];
          let killer: Promise<void> | null = null;
          if (killHere && attempt === 0) {
            const victim = instances.find((i) => i.name === leader)!;
            inst = victim;
            killed = victim;
            killer = (async () => {
              while (victim.alive && !(await db.pool.query(CAPTURING, [victim.name])).rows[0].n) await new Promise((r) => setTimeout(r, 2));
            })();
            void killer.finally(() => victim.proc.kill('SIGKILL'));
          }
          try {
            const res = await post(inst, batches[b]);
            if (killer) {
              // Answered before the kill: the kill still happens, and this answer counts.
              inst.proc.kill('SIGKILL');
              await killer.catch(() => {});
            }
            if (res.status === 202) {
              const body = (await res.json()) as { accepted: number; duplicates: number };
              accepted.push(body.accepted);
              duplicates.push(body.duplicates);
              sent++;
              break;
            }
            if (res.status < 500) throw new Error(`batch ${b} refused: ${res.status} ${await res.text()}`);
          } catch (err) {
            if (String(err).includes('refused:')) throw err;
          }
          if (killer) await killer.catch(() => {});
          retried++;
          if (attempt > 20) throw new Error(`batch ${b} failed 20 times`);
        }
      }
    };
    await Promise.all(instances.map((_, i) => worker(i)));
    expect(sent).toBe(batches.length);
    expect(killed).not.toBeNull();

    // Exactly once in PostgreSQL: every id once; a retried batch counted its stored events as duplicates.
    expect((await db.pool.query('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM conversation_events')).rows[0]).toEqual({ n: events.length, d: events.length });
    // Every batch answered once for all its events; what the killed instance stored before its answer was lost came
    // back as duplicates on the retry.
    const acceptedSum = accepted.reduce((a, b) => a + b, 0);
    const duplicateSum = duplicates.reduce((a, b) => a + b, 0);
    expect(acceptedSum + duplicateSum).toBe(events.length);

    // Another relay takes the lock after the leader's death, and publishes everything.
    await waitFor('the outbox to empty', async () => (await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox')).rows[0].n === 0);
    const successor = await waitFor('a new relay leader', async () => {
      const h = (await db.pool.query<{ name: string }>(RELAY_LOCK_HOLDERS)).rows;
      return h.length === 1 && h[0].name !== leader ? h[0].name : null;
    });
    sampling = false;
    await sampler;
    expect(instances.filter((i) => i.alive).map((i) => i.name)).toContain(successor);
    expect(holders.every((h) => h.length <= 1)).toBe(true);
    const sequence = holders.map((h) => h[0] ?? '-').filter((h, i, all) => i === 0 || h !== all[i - 1]);
    // The leader until it died, possibly a moment with no holder, then one successor for the rest of the run.
    expect(sequence.filter((h) => h !== '-')).toEqual([leader, successor]);

    // Exactly once in the stream: every id once, none missing.
    const entries = await redis.xrange(keys.stream, '-', '+');
    const streamIds = entries.map(([, f]) => (JSON.parse(f[f.indexOf('event') + 1]) as { id: string }).id);
    expect(streamIds.length).toBe(events.length);
    expect(new Set(streamIds)).toEqual(new Set(events.map((e) => e.id)));
    expect((await redis.hlen(keys.inflight)) === 0).toBe(true);

    // Exactly once on user_context: the seed's message names no event id, but each event's message text is unique.
    await waitFor('every user_context message', () => published.length >= events.length);
    const texts = published.map((m) => (JSON.parse(m) as { data: { message: string } }).data.message);
    expect(texts.length).toBe(events.length);
    expect(new Set(texts)).toEqual(new Set(events.map((e) => `event ${e.id}`)));

    // Aggregates equal a recomputation from the events (polled: they may be applied after the 202).
    await converge('conversations', CONVERSATION_MISMATCHES);
    await converge('user_profiles', PROFILE_MISMATCHES);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM conversations')).rows[0].n).toBe(CONVERSATIONS);
    // The profile builders (one per instance, one consumer group) applied every event to memory once: the killed
    // one's pending entries were claimed by the others.
    await waitFor('every event in the memory ledger', async () => (await db.pool.query('SELECT count(*)::int AS n FROM uis_profile_applied')).rows[0].n === events.length, 120_000);
    console.log(`several instances: ${batches.length} batches of ${BATCH}, ${retried} attempts retried after ${leader} was killed (${duplicateSum} events came back as duplicates); relay ${leader} → ${successor}`);
  }, 300_000);
});
