import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackEvents } from '../../src/main/ingest/capture.js';
import { LiveService } from '../../src/main/live/service.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { createRedis } from '../../src/main/stream/redis.js';
import { OutboxRelay } from '../../src/main/stream/relay.js';
import type { EventInput } from '../../src/shared/event.js';
import type { LiveBatch, LiveItem } from '../../src/shared/live.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { OwnRedisServer, freePort, testPrefix } from '../helpers/redis.js';

const hex = (n: number) => n.toString(16).padStart(12, '0');
let seq = 0;
const conv = '0193d000-0000-7000-8000-000000000001';
const events = (n: number, label: string): EventInput[] =>
  Array.from({ length: n }, () => ({ id: `0193d000-0000-7000-9000-${hex(++seq)}`, conversation_id: conv, user_id: `u${seq % 3}`, event_type: 'message' as const, content: { role: 'user' as const, message: `${label} ${seq}` } }));

async function waitFor(fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('live feed on a real Redis', () => {
  let db: TestDatabase;
  let server: OwnRedisServer;
  let relayRedis: Redis;
  let relay: OutboxRelay;
  const prefix = testPrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
    server = new OwnRedisServer(await freePort());
    await server.start();
    relayRedis = createRedis(server.url);
    relay = new OutboxRelay(db.pool, relayRedis, { keyPrefix: prefix, pollMs: 50 });
  });
  afterAll(async () => {
    await relay.stop();
    relayRedis.disconnect();
    await server.stop();
    await db.drop();
  });

  it('resumes after a Redis restart with no gap and no duplicate, and shows the batches within the window', async () => {
    const batches: LiveBatch[] = [];
    const live = new LiveService({ mode: 'redis', redis: createRedis(server.url), keyPrefix: prefix, backlog: 0 }, (b) => batches.push(b), { batchMs: 50 });
    const received = () => batches.flatMap((b) => b.items).filter((i) => i.event);
    live.start();
    relay.start();
    try {
      await waitFor(() => live.status().state === 'live');
      const a = events(20, 'before');
      await trackEvents(db.pool, a);
      await waitFor(() => received().length === 20);

      await server.stop();
      await waitFor(() => live.status().state === 'reconnecting');
      const b = events(20, 'during');
      await trackEvents(db.pool, b); // waits in the outbox while Redis is down
      await server.start(); // a fresh Redis: no data survived
      const c = events(20, 'after');
      await trackEvents(db.pool, c);
      await waitFor(() => received().length >= 60);
      await new Promise((r) => setTimeout(r, 300));

      const ids = received().map((i) => i.event!.id);
      expect(ids).toEqual([...a, ...b, ...c].map((e) => e.id));
      expect(new Set(ids).size).toBe(60);

      // A re-published copy of an event already shown (a relay retry) is not shown twice.
      const again = received()[59].event!;
      const extra = createRedis(server.url);
      await waitFor(() => extra.status === 'ready');
      await extra.xadd(streamKeys(prefix).stream, '*', 'event', JSON.stringify(again));
      await extra.xadd(streamKeys(prefix).stream, '*', 'event', JSON.stringify({ ...again, id: '0193d000-0000-7000-9000-ffffffffffff' }));
      await waitFor(() => received().length === 61);
      expect(received()[60].event!.id).toBe('0193d000-0000-7000-9000-ffffffffffff');

      // Pub/sub: any channel or pattern the founder types, under the deployment's prefix.
      await live.subscribe('pattern', 'chat:*');
      await live.subscribe('channel', 'user_context');
      await extra.publish(`${prefix}chat:room1`, 'hello from a room');
      await extra.publish(`${prefix}user_context`, JSON.stringify({ userId: 'u1', event: 'new_interaction', data: { message: 'hi', toolCalls: [] } }));
      let raw: LiveItem[] = [];
      await waitFor(() => (raw = batches.flatMap((x) => x.items).filter((i) => i.source === 'pubsub')).length === 2);
      expect(raw.map((i) => [i.channel, i.userId, i.raw?.slice(0, 17)])).toEqual([
        ['chat:room1', null, 'hello from a room'],
        ['user_context', 'u1', '{"userId":"u1","e'],
      ]);
      expect(live.status().subscriptions).toEqual([
        { kind: 'pattern', name: 'chat:*' },
        { kind: 'channel', name: 'user_context' },
      ]);
      extra.disconnect();

      // Batched: far fewer messages than items, and the tiles counted everything.
      const last = batches.at(-1)!;
      expect(last.stats.total).toBe(63);
      expect(last.stats.eventsPerMin).toBe(63);
      expect(last.stats.activeUsers).toBe(3);
      expect(batches.filter((x) => x.items.length > 0).length).toBeLessThan(40);
      // Numbered without a hole, so a page can tell it missed one.
      expect(batches.map((x) => x.seq)).toEqual(batches.map((_x, i) => i + 1));
    } finally {
      await relay.stop();
      await live.close();
    }
  });
});
