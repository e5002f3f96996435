import { spawn } from 'node:child_process';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { LiveService } from '../../src/main/live/service.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { createRedis } from '../../src/main/stream/redis.js';
import type { EventInput, StoredEvent } from '../../src/shared/event.js';
import type { LiveBatch } from '../../src/shared/live.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { OwnRedisCluster } from '../helpers/redis-cluster.js';
import { testPrefix } from '../helpers/redis.js';

const TOKEN = 'cluster-test-token';
const hex = (n: number) => n.toString(16).padStart(12, '0');
const conv = (n: number) => `0193e100-0000-7000-8000-${hex(n)}`;
let seq = 0;
const event = (user: string, conversation: number, over: Partial<EventInput> = {}): EventInput => ({
  id: `0193e100-0000-7000-9000-${hex(++seq)}`,
  conversation_id: conv(conversation),
  user_id: user,
  timestamp: new Date(Date.UTC(2026, 2, 1, 10, 0, seq)).toISOString(),
  event_type: 'message',
  content: { role: 'user', message: `cluster message ${seq}` },
  ...over,
});

async function waitFor<T>(what: string, fn: () => Promise<T | null | false> | T | null | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every entry of the stream (on whichever node holds its slot). */
async function streamEvents(redis: Cluster, stream: string): Promise<StoredEvent[]> {
  return (await redis.xrange(stream, '-', '+')).map(([, f]) => JSON.parse(f[f.indexOf('event') + 1]) as StoredEvent);
}

describe('Redis Cluster (UIS_REDIS_CLUSTER=1) on a local cluster of 3 masters', () => {
  const cluster = new OwnRedisCluster({ firstPort: 7300, lastPort: 7349 });
  const prefix = testPrefix();
  const keys = streamKeys(prefix, true);
  let db: TestDatabase;
  let service: RunningService;
  let client: Cluster;
  let subscriber: Cluster;
  const published: string[] = [];
  const announced: string[][] = [];
  let env: NodeJS.ProcessEnv;
  let sentIds: string[] = [];
  const serviceLog: string[] = [];

  const v1 = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${service.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });

  beforeAll(async () => {
    await cluster.start();
    db = await createTestDatabase();
    env = { ...process.env, DATABASE_URL: db.url, REDIS_URL: cluster.url, UIS_REDIS_CLUSTER: '1', UIS_REDIS_PREFIX: prefix, UIS_API_TOKEN: TOKEN };
    client = createRedis(cluster.url, { cluster: true }) as Cluster;
    subscriber = createRedis(cluster.url, { cluster: true }) as Cluster;
    await waitFor('the cluster client', () => client.status === 'ready' && subscriber.status === 'ready');
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === keys.channel) published.push(message);
      if (channel === keys.profileChanged) announced.push((JSON.parse(message) as { users: string[] }).users);
    });
    await subscriber.subscribe(keys.channel, keys.profileChanged);
    service = await startService(readEnv(env), { port: 0, log: (l) => serviceLog.push(l) });
  }, 120_000);
  afterAll(async () => {
    await service?.close();
    client?.disconnect();
    subscriber?.disconnect();
    await db?.drop();
    await cluster.stop();
  });

  it('names every key with one hash tag, so the relay script runs where the seed names would fail with CROSSSLOT', async () => {
    expect(keys).toEqual({
      stream: `${prefix}{uis}:events`,
      channel: `${prefix}{uis}:user_context`,
      inflight: `${prefix}{uis}:outbox:inflight`,
      profileChanged: `${prefix}{uis}:profile-changed`,
    });
    const slots = await Promise.all(Object.values(keys).map((k) => client.cluster('KEYSLOT', k)));
    expect(new Set(slots).size).toBe(1);
    // The single-Redis names are in different slots: one script touching them is refused by the cluster.
    const seed = streamKeys(prefix, false);
    await expect(client.eval("redis.call('HSET', KEYS[3], 'x', '1') return 1", 3, seed.stream, seed.channel, seed.inflight)).rejects.toThrow(/CROSSSLOT|MOVED/);
  });

  it('ingest over HTTP reaches the stream and user_context once each; the Live page and `uis tail` show it', async () => {
    const batches: LiveBatch[] = [];
    const live = new LiveService({ mode: 'redis', redis: createRedis(cluster.url, { cluster: true }), keyPrefix: prefix, backlog: 0 }, (b) => batches.push(b), { batchMs: 20 });
    live.start();
    try {
      await waitFor('the Live page stream', () => live.status().state === 'live');
      // The Live page's pub/sub tail on the channel, named relative to the prefix as the page takes it.
      await live.subscribe('channel', '{uis}:user_context');
      const sent = [event('ana', 1), event('ana', 1, { event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 5, content: { params: { seconds: 5 } } }),
        event('bob', 2), event('ana', 3)];
      sentIds = sent.map((e) => e.id!);
      const res = await v1('/v1/events', { method: 'POST', body: { events: sent } });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ accepted: 4, duplicates: 0 });

      const stored = await waitFor('the stream', async () => {
        const s = await streamEvents(client, keys.stream);
        return s.length >= 4 ? s : null;
      });
      expect(stored.map((e) => e.id)).toEqual(sent.map((e) => e.id));
      await waitFor('user_context', () => published.length >= 4);
      expect(published.map((m) => JSON.parse(m) as { userId: string; data: { message: string | null } }).map((m) => [m.userId, m.data.message])).toEqual([
        ['ana', 'cluster message 1'], ['ana', null], ['bob', 'cluster message 3'], ['ana', 'cluster message 4'],
      ]);
      // Nothing left in flight: the relay's marks are removed once PostgreSQL's outbox rows are.
      await waitFor('the outbox to empty', async () => (await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox')).rows[0].n === 0 && (await client.hlen(keys.inflight)) === 0);

      const items = () => batches.flatMap((b) => b.items);
      await waitFor('the Live page', () => items().filter((i) => i.event).length >= 4 && items().filter((i) => i.source === 'pubsub').length >= 4);
      expect(items().filter((i) => i.event).map((i) => i.event!.id)).toEqual(sent.map((e) => e.id));
      expect(items().filter((i) => i.source === 'pubsub').map((i) => [i.channel, i.userId])).toEqual([
        ['{uis}:user_context', 'ana'], ['{uis}:user_context', 'ana'], ['{uis}:user_context', 'bob'], ['{uis}:user_context', 'ana'],
      ]);
    } finally {
      await live.close();
    }

    // `uis tail` in cluster mode: it says which stream it reads, and prints the events from the start.
    const tail = spawn('node', ['bin/uis.js', 'tail', '--from', '0-0', '--json', '--limit', '4'], { env });
    let stdout = '';
    let stderr = '';
    tail.stdout.on('data', (d) => (stdout += d));
    tail.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => tail.on('exit', resolve));
    expect(stderr).toContain(`Tailing stream ${keys.stream} on 127.0.0.1:${cluster.ports[0]} (after id 0-0)`);
    expect(code).toBe(0);
    expect(stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { event: StoredEvent }).event.id)).toEqual(sentIds);
  });

  it('the Context API is built from the stream and invalidated over the cluster; forget clears the stream', async () => {
    // The profile builder (a consumer group on the hash-tagged stream) builds ana's memory and announces it.
    await waitFor('ana announced', () => announced.some((u) => u.includes('ana')));
    const first = await waitFor('ana context', async () => {
      const r = await v1('/v1/users/ana/context');
      if (r.status !== 200) return null;
      const body = (await r.json()) as { profile: { total_messages: number; total_conversations: number; total_credits_used: number } };
      return body.profile.total_messages === 2 ? body : null;
    });
    expect(first.profile).toMatchObject({ total_conversations: 2, total_credits_used: 5, preferred_tools: [{ tool: 'video_gen', count: 1, share: 1 }] });
    expect((await v1('/v1/users/ana/context')).headers.get('x-uis-cache')).toBe('hit');

    // A new event: the cached context is dropped when the builder's announcement crosses the cluster's pub/sub.
    const before = announced.length;
    expect((await v1('/v1/events', { method: 'POST', body: { events: [event('ana', 4)] } })).status).toBe(202);
    await waitFor('a new announcement for ana', () => announced.slice(before).some((u) => u.includes('ana')));
    await waitFor('the fresh context', async () => {
      const body = (await (await v1('/v1/users/ana/context')).json()) as { profile: { total_messages: number } };
      return body.profile.total_messages === 3;
    }, 10_000); // well within the cache's 30 s TTL: only the announcement can have dropped the entry

    // Forget: ana's entries leave the stream (on the node that holds the slot); bob's stay.
    const res = await v1('/v1/users/ana', { method: 'DELETE' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { removed: { events: number; stream_entries: number }; warnings: string[] };
    expect(body.removed).toMatchObject({ events: 4, stream_entries: 4 });
    expect(body.warnings).toEqual([]);
    expect((await streamEvents(client, keys.stream)).map((e) => e.user_id)).toEqual(['bob']);
    expect((await v1('/v1/users/ana/context')).status).toBe(404);

    // `uis forget` in cluster mode, from the CLI.
    const cli = spawn('node', ['bin/uis.js', 'forget', 'bob', '--json'], { env });
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    expect(await new Promise<number | null>((resolve) => cli.on('exit', resolve))).toBe(0);
    expect((JSON.parse(out) as { removed: { stream_entries: number } }).removed.stream_entries).toBe(1);
    expect(await client.xlen(keys.stream)).toBe(0);

    // Nothing went wrong on the way: no relay or builder error (a CROSSSLOT would be logged here and retried forever).
    expect(serviceLog).toEqual([]);
    // /healthz pings the cluster.
    expect(await (await fetch(`${service.url}/healthz`)).json()).toMatchObject({ status: 'ok', redis: 'up', postgres: 'up' });
  });
});
