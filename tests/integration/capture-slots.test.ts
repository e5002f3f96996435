import { Redis } from 'ioredis';
import pg from 'pg';
import type { LimitFunction } from 'p-limit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { UisClient } from '../../src/main/ingest/client.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import type { EventInput } from '../../src/shared/event.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

const TOKEN = 'test-token-0123456789';

// Every p-limit limiter the code under test creates (captureSlots() is one), so the test can wait until every batch it
// sent is inside the limiter (running or queued) instead of sleeping for a while and hoping.
const limiters = vi.hoisted(() => [] as LimitFunction[]);
vi.mock('p-limit', async (importOriginal) => {
  const real = (await importOriginal<typeof import('p-limit')>()).default;
  return { default: (...args: Parameters<typeof real>) => { const l = real(...args); limiters.push(l); return l; } };
});

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Capture statements in flight at once are limited (captureSlots(): concurrent batches of time-ordered events only
// wait on each other's index pages). Seen from PostgreSQL: with the outbox locked, the capture statements that reached
// the server wait on the lock; the others wait in the process for a slot. Released, every batch is stored.
describe('capture slots: at most N capture statements at once per uis serve / per library client', () => {
  let db: TestDatabase;
  let redis: Redis;
  let service: RunningService;
  const prefix = testPrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    service = await startService(readEnv({ DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: TOKEN, UIS_REDIS_PREFIX: prefix, UIS_CAPTURE_CONCURRENCY: '2' }), { port: 0 });
  });
  afterAll(async () => {
    await service.close();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db.drop();
  });

  const batch = (tag: number): EventInput[] => {
    const conversation_id = `0193a300-0000-7000-8000-${tag.toString(16).padStart(12, '0')}`;
    return [0, 1].map((i) => ({ conversation_id, user_id: `slots-${tag}`, timestamp: `2026-05-01T10:00:0${i}.000Z`, event_type: 'message' as const, content: { role: 'user', message: `m${i}` } }));
  };
  const waitingCaptures = async () =>
    (
      await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%jsonb_to_recordset%'`,
      )
    ).rows[0].n;

  /**
   * Holds the outbox locked while `send` runs; returns how many capture statements were waiting in PostgreSQL once every
   * batch sent is inside a capture limiter (running or queued for a slot) and every running one has reached the lock.
   */
  async function inFlightWhileBlocked<T>(concurrency: number, send: () => Promise<T>[]): Promise<{ inFlight: number; results: T[] }> {
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE uis_outbox IN EXCLUSIVE MODE');
      const pending = send();
      let slots: LimitFunction | undefined;
      // The capture limiter is the latest one of that concurrency (the profile builder's own limiters have another).
      await until(() => {
        slots = limiters.findLast((l) => l.concurrency === concurrency);
        return slots !== undefined && slots.activeCount + slots.pendingCount === pending.length;
      }, `all ${pending.length} batches are in the capture limiter`);
      await until(async () => (await waitingCaptures()) === slots!.activeCount, 'every running capture waits on the lock');
      const inFlight = await waitingCaptures();
      expect(slots!.pendingCount).toBe(pending.length - inFlight); // the rest wait in the process, not in PostgreSQL
      await blocker.query('COMMIT');
      return { inFlight, results: await Promise.all(pending) };
    } finally {
      await blocker.end();
    }
  }

  it('HTTP: UIS_CAPTURE_CONCURRENCY=2 lets 2 of 5 concurrent batches into PostgreSQL; all 5 are stored', async () => {
    const { inFlight, results } = await inFlightWhileBlocked(2, () =>
      [1, 2, 3, 4, 5].map(async (tag) => {
        const res = await fetch(`${service.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({ events: batch(tag) }),
        });
        return { status: res.status, body: await res.json() };
      }),
    );
    expect(inFlight).toBe(2);
    expect(results).toEqual(Array(5).fill({ status: 202, body: { accepted: 2, duplicates: 0 } }));
    const stored = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM conversation_events WHERE user_id = ANY($1)', [[1, 2, 3, 4, 5].map((t) => `slots-${t}`)]);
    expect(stored.rows[0].n).toBe(10);
  });

  it('library: captureConcurrency 1 stores 3 concurrent batches one at a time', async () => {
    const client = new UisClient({ pool: db.pool, captureConcurrency: 1 });
    const { inFlight, results } = await inFlightWhileBlocked(1, () => [11, 12, 13].map((tag) => client.track(batch(tag))));
    expect(inFlight).toBe(1);
    expect(results.map((r) => r.accepted)).toEqual([2, 2, 2]);
  });

  it('refuses a capture concurrency that is not a positive whole number, naming the variable or option', () => {
    expect(() => new UisClient({ pool: db.pool, captureConcurrency: 0 })).toThrow('captureConcurrency must be a whole number of at least 1 (got 0)');
    expect(() => new UisClient({ pool: db.pool, captureConcurrency: 1.5 })).toThrow('captureConcurrency');
    expect(() => readEnv({ UIS_CAPTURE_CONCURRENCY: '0' })).toThrow('UIS_CAPTURE_CONCURRENCY');
    expect(() => readEnv({ UIS_CAPTURE_CONCURRENCY: 'many' })).toThrow('UIS_CAPTURE_CONCURRENCY');
  });

  it('refuses an aggregates mode it does not know, naming the option', () => {
    expect(() => new UisClient({ pool: db.pool, aggregates: 'aplier' as never })).toThrow(`aggregates must be 'after-commit' or 'applier' (got "aplier")`);
  });
});
