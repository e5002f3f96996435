import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { trackEvents } from '../../src/main/ingest/capture.js';
import { createRedis } from '../../src/main/stream/redis.js';
import { OutboxRelay } from '../../src/main/stream/relay.js';
import type { StoredEvent } from '../../src/shared/event.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { OwnRedisServer, freePort, testPrefix } from '../helpers/redis.js';

/**
 * A redis-server of the test's own that keeps its data across a SIGKILL (append-only file, fsync on every write),
 * so "every event in the stream exactly once" can be checked across the outage. Without persistence a restarted
 * Redis starts empty and nothing could be said about what was published before.
 */
class DurableRedisServer {
  private proc: ChildProcess | null = null;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'uis-outage-redis-'));
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  signal(sig: NodeJS.Signals): void {
    this.proc?.kill(sig);
  }
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const TOKEN = 'outage-token-0123456789';
const CONVERSATIONS = Array.from({ length: 5 }, (_, i) => `0193a400-0000-7000-8000-${String(i + 1).padStart(12, '0')}`);

async function readStream(redis: Redis, key: string): Promise<StoredEvent[]> {
  return (await redis.xrange(key, '-', '+')).map(([, f]) => JSON.parse(f[1]) as StoredEvent);
}

/** Events waiting in the outbox (a row holds one capture statement's event ids). */
const waitingEvents = (db: TestDatabase) =>
  db.pool.query('SELECT COALESCE(sum(cardinality(event_ids)), 0)::int AS n FROM uis_outbox').then((r) => r.rows[0].n as number);

/** Each conversation's events in the order PostgreSQL stored them. */
async function storedOrder(db: TestDatabase): Promise<Map<string, string[]>> {
  const rows = (await db.pool.query('SELECT id, conversation_id FROM conversation_events ORDER BY change_seq')).rows;
  const m = new Map<string, string[]>();
  for (const r of rows) m.set(r.conversation_id, [...(m.get(r.conversation_id) ?? []), r.id]);
  return m;
}

function expectExactlyOnceInOrder(published: StoredEvent[], stored: Map<string, string[]>): void {
  const ids = published.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe([...stored.values()].reduce((n, l) => n + l.length, 0));
  for (const [conv, order] of stored) expect(published.filter((e) => e.conversation_id === conv).map((e) => e.id)).toEqual(order);
}

describe('Redis outage: events wait in the outbox and reach the stream exactly once, in order', () => {
  let db: TestDatabase;
  let redisServer: DurableRedisServer;
  let service: RunningService;
  let reader: Redis;
  const prefix = testPrefix();
  const keys = streamKeys(prefix);
  const relayErrors: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    redisServer = new DurableRedisServer(await freePort());
    await redisServer.start();
    const env = readEnv({ DATABASE_URL: db.url, REDIS_URL: redisServer.url, UIS_API_TOKEN: TOKEN, UIS_REDIS_PREFIX: prefix });
    service = await startService(env, { port: 0, log: (l) => relayErrors.push(l) });
    reader = createRedis(redisServer.url);
  });
  afterAll(async () => {
    await service?.close();
    reader?.disconnect();
    await redisServer?.remove();
    await db?.drop();
  });

  /** One batch over HTTP: one event per conversation, increasing timestamps. */
  async function sendBatch(): Promise<number> {
    const events = CONVERSATIONS.map((conversation_id, i) => ({
      conversation_id,
      user_id: `user-${i % 3}`,
      timestamp: new Date(Date.UTC(2026, 2, 15, 12, 0, 0) + sent * 1000).toISOString(),
      event_type: sent % 4 === 0 ? 'tool_call' : 'message',
      tool_name: sent % 4 === 0 ? 'video_gen' : undefined,
      credits_consumed: 1,
      content: { role: 'user', message: `message ${sent}` },
    }));
    sent++;
    const res = await fetch(`${service.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ events }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { accepted: number }).accepted;
  }

  it('Redis killed while events arrive over HTTP, then restarted: nothing lost, nothing twice, order kept', async () => {
    let accepted = 0;
    for (let i = 0; i < 10; i++) accepted += await sendBatch();
    await expect.poll(async () => (await readStream(reader, keys.stream)).length, { timeout: 10_000 }).toBe(accepted);
    await expect.poll(() => waitingEvents(db), { timeout: 10_000 }).toBe(0);

    await redisServer.stop();
    const health = await fetch(`${service.url}/healthz`).then((r) => r.json());
    expect(health).toMatchObject({ status: 'degraded', postgres: 'up', redis: 'down' });
    for (let i = 0; i < 20; i++) accepted += await sendBatch();
    // Ingest kept answering 202; PostgreSQL has everything, the outbox holds what Redis could not take.
    expect(await db.pool.query('SELECT count(*)::int AS n FROM conversation_events').then((r) => r.rows[0].n)).toBe(accepted);
    expect(await waitingEvents(db)).toBe(100);

    await redisServer.start();
    for (let i = 0; i < 5; i++) accepted += await sendBatch();
    await expect.poll(() => waitingEvents(db), { timeout: 20_000, interval: 200 }).toBe(0);
    expect((await readStream(reader, keys.stream)).length).toBe(accepted);
    expectExactlyOnceInOrder(await readStream(reader, keys.stream), await storedOrder(db));
    expect(relayErrors.some((l) => l.includes('events wait in the outbox'))).toBe(true);

    // The service's applier brings the aggregates up to date within a second of the 202 (not with the publication).
    const conv = async () => (await db.pool.query('SELECT message_count, credits_used, tools_used FROM conversations WHERE id = $1', [CONVERSATIONS[0]])).rows[0];
    await expect.poll(conv, { timeout: 10_000 }).toEqual({ message_count: 26, credits_used: 35, tools_used: { video_gen: 9 } });
  });

  it('a paused Redis (SIGSTOP) does not hang the relay; after SIGCONT every event is in the stream once', async () => {
    const before = (await readStream(reader, keys.stream)).length;
    redisServer.signal('SIGSTOP');
    let accepted = 0;
    try {
      for (let i = 0; i < 5; i++) accepted += await sendBatch();
      // The relay's Redis call times out (UIS_REDIS_TIMEOUT_MS, 2 s) and is retried: the loop keeps going (it reports the
      // timeout while Redis is still paused) and stop() would return.
      await expect.poll(() => relayErrors.some((l) => l.includes('timed out')), { timeout: 20_000, interval: 50 }).toBe(true);
    } finally {
      redisServer.signal('SIGCONT');
    }
    await expect.poll(async () => (await readStream(reader, keys.stream)).length, { timeout: 20_000, interval: 200 }).toBe(before + accepted);
    expectExactlyOnceInOrder(await readStream(reader, keys.stream), await storedOrder(db));
  });
});

describe('relay crash between publish and DELETE', () => {
  let db: TestDatabase;
  let server: OwnRedisServer;
  let redis: Redis;
  const prefix = testPrefix();
  const keys = streamKeys(prefix);

  beforeAll(async () => {
    db = await createTestDatabase();
    server = new OwnRedisServer(await freePort());
    await server.start();
    redis = createRedis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
    await db?.drop();
  });

  it('republishes nothing: the in-flight hash remembers what reached Redis', async () => {
    const conv = CONVERSATIONS[0];
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'u', '2026-03-15 12:00:00')`, [conv]);
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content)
       SELECT gen_random_uuid(), $1, 'u', '2026-03-15 12:00:00'::timestamp + g * interval '1 second', 'message', jsonb_build_object('message', 'm' || g)
       FROM generate_series(1, 30) g`,
      [conv],
    );
    // The "crash": the relay's DELETE of the published outbox rows fails, as if the process died right after XADD.
    await db.pool.query(`CREATE FUNCTION fail_outbox_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated relay crash'; END $$`);
    await db.pool.query('CREATE TRIGGER fail_outbox_delete BEFORE DELETE ON uis_outbox FOR EACH STATEMENT EXECUTE FUNCTION fail_outbox_delete()');
    const crashed = new OutboxRelay(db.pool, redis, { keyPrefix: prefix });
    await expect(crashed.drainOnce()).rejects.toThrow('simulated relay crash');
    expect((await readStream(redis, keys.stream)).length).toBe(30);
    expect(await redis.hlen(keys.inflight)).toBe(1); // one mark per outbox row: the statement's 30 events

    await db.pool.query('DROP TRIGGER fail_outbox_delete ON uis_outbox');
    const restarted = new OutboxRelay(db.pool, redis, { keyPrefix: prefix });
    expect(await restarted.drainOnce()).toBe(30);
    expect(restarted.publishedCount).toBe(0);
    expect(await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox').then((r) => r.rows[0].n)).toBe(0);
    expect(await redis.hlen(keys.inflight)).toBe(0);
    expectExactlyOnceInOrder(await readStream(redis, keys.stream), await storedOrder(db));
  });

  it('publishes a backlog in pipelined batches, each conversation in outbox order, while more events arrive', async () => {
    const piped = testPrefix();
    const relay = new OutboxRelay(db.pool, redis, { keyPrefix: piped, maxLen: 0, batchSize: 40 });
    const convs = [CONVERSATIONS[1], CONVERSATIONS[2], CONVERSATIONS[3]];
    const batch = (b: number) =>
      Array.from({ length: 30 }, (_, i) => ({
        conversation_id: convs[i % 3],
        user_id: `pipe-${i % 2}`,
        timestamp: new Date(Date.UTC(2026, 3, 2) + b * 100 + i).toISOString(),
        event_type: 'message' as const,
        content: { message: `b${b} e${i}` },
      }));
    // A copy of every outbox row as written (the relay deletes them): the order the stream must follow.
    await db.pool.query('CREATE TABLE outbox_audit AS SELECT seq, event_ids FROM uis_outbox WITH NO DATA');
    await db.pool.query(`CREATE FUNCTION audit_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO outbox_audit SELECT seq, event_ids FROM new_rows; RETURN NULL; END $$`);
    await db.pool.query('CREATE TRIGGER audit_outbox AFTER INSERT ON uis_outbox REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_outbox()');
    await Promise.all([0, 1, 2, 3].map((b) => trackEvents(db.pool, batch(b))));
    // Drain while four more batches commit concurrently.
    let drained = 0;
    await Promise.all([relay.drainOnce().then((n) => (drained += n)), ...[4, 5, 6, 7].map((b) => trackEvents(db.pool, batch(b)))]);
    drained += await relay.drainOnce();
    expect(drained).toBe(240);
    const published = await readStream(redis, streamKeys(piped).stream);
    expect(new Set(published.map((e) => e.id)).size).toBe(240);
    // Per conversation, stream order = outbox order (commit order; within a batch, event time).
    for (const conv of convs) {
      const stored = (
        await db.pool.query(
          `SELECT u.id FROM outbox_audit a CROSS JOIN LATERAL unnest(a.event_ids) WITH ORDINALITY AS u(id, n)
           JOIN conversation_events e ON e.id = u.id WHERE e.conversation_id = $1 ORDER BY a.seq, u.n`,
          [conv],
        )
      ).rows.map((r) => r.id);
      expect(stored.length).toBe(80);
      expect(published.filter((e) => e.conversation_id === conv).map((e) => e.id)).toEqual(stored);
    }
    await redis.del(streamKeys(piped).stream, streamKeys(piped).inflight);
    await db.pool.query('DROP TRIGGER audit_outbox ON uis_outbox');
  });

  it('caps the stream near maxLen (approximate trimming, once per batch)', async () => {
    const capped = testPrefix();
    const relay = new OutboxRelay(db.pool, redis, { keyPrefix: capped, maxLen: 100, batchSize: 50 });
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content)
       SELECT gen_random_uuid(), $1, 'u', '2026-03-16 12:00:00'::timestamp + g * interval '1 second', 'message', '{}'
       FROM generate_series(1, 400) g`,
      [CONVERSATIONS[0]],
    );
    expect(await relay.drainOnce()).toBe(400);
    const length = await redis.xlen(streamKeys(capped).stream);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(400);
    await redis.del(streamKeys(capped).stream, streamKeys(capped).inflight);
  });

  it('the LISTEN connection is re-established after PostgreSQL drops it', async () => {
    // A poll far longer than the test: only a NOTIFY on a re-established LISTEN can deliver the row in time.
    const relay = new OutboxRelay(db.pool, redis, { keyPrefix: prefix, pollMs: 3_600_000 });
    // A listener is a backend whose last statement was exactly the relay's LISTEN and has finished (idle): a LIKE
    // would also match pooled connections that last ran this very query, and a running LISTEN is not yet in effect.
    const listeners = async () =>
      (
        await db.pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN uis_outbox' AND state = 'idle'`,
        )
      ).rows.map((r) => r.pid);
    relay.start();
    try {
      await expect.poll(async () => (await listeners()).length, { timeout: 10_000 }).toBe(1);
      const [first] = await listeners();
      const killed = await db.pool.query('SELECT pg_terminate_backend($1) AS ok', [first]);
      expect(killed.rows[0].ok).toBe(true);
      // Listening again: a new backend runs LISTEN (the killed one is gone).
      await expect.poll(async () => (await listeners()).filter((pid) => pid !== first).length, { timeout: 10_000 }).toBe(1);
      await db.pool.query(
        `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content)
         VALUES (gen_random_uuid(), $1, 'u', '2026-03-15 13:00:00', 'message', '{"message":"after reconnect"}')`,
        [CONVERSATIONS[0]],
      );
      // Delivered by the NOTIFY (the next poll is an hour away): the relay listened again after the drop.
      await expect.poll(async () => (await readStream(redis, keys.stream)).length, { timeout: 10_000 }).toBe(31); // 30 earlier + 1 (the capped test wrote to its own prefix)
    } finally {
      await relay.stop();
    }
  });
});
