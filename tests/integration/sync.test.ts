import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackEvents } from '../../src/main/ingest/capture.js';
import { flattenEvent } from '../../src/main/snapshot/apply.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { SyncCancelledError, syncFromPostgres } from '../../src/main/snapshot/sync.js';
import type { SyncProgress } from '../../src/shared/metrics-workspace.js';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const conv = (n: number) => `0193a600-0000-7000-8000-${String(n).padStart(12, '0')}`;
const evt = (n: number) => `0193a600-0000-7000-9000-${String(n).padStart(12, '0')}`;
const message = (n: number, user: string, c: number, text = `hello ${n}`) => ({
  id: evt(n),
  conversation_id: conv(c),
  user_id: user,
  timestamp: `2026-05-0${1 + (n % 5)}T12:00:00Z`,
  event_type: 'message' as const,
  content: { role: 'user' as const, message: text },
});

describe('uis sync: incremental, read-only, never misses a late commit', () => {
  let db: TestDatabase;
  let dir: string;
  let snapshot: Snapshot;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-sync-'));
    snapshot = openSnapshot(path.join(dir, 'snapshot.sqlite'));
  });
  afterAll(async () => {
    snapshot?.close();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('first sync pulls everything with progress; the next one pulls only what changed', async () => {
    await trackEvents(db.pool, Array.from({ length: 30 }, (_, i) => message(i, `u${i % 3}`, i % 6)));
    const progress: SyncProgress[] = [];
    const first = await syncFromPostgres(snapshot, db.url, { onProgress: (p) => progress.push(p), pageSize: 7 });
    expect(first).toMatchObject({ full: true, users: 3, conversations: 6, events: 30, forgotten: 0 });
    expect(progress.filter((p) => p.phase === 'events').map((p) => p.rows)).toEqual([0, 7, 14, 21, 28, 30]);
    expect(progress.find((p) => p.phase === 'events')!.totalRows).toBe(30);
    expect(progress.at(-1)!.phase).toBe('done');
    // A first sync returns once its data is in the snapshot's file: its last checkpoint has copied the whole WAL.
    expect(progress.slice(-3).map((p) => p.phase)).toEqual(['derive', 'write', 'done']);
    const firstCheckpoint = await Promise.race([snapshot.checkpointing, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
    expect(firstCheckpoint).not.toBe('pending');
    expect(firstCheckpoint).toMatchObject({ busy: 0 });
    expect((firstCheckpoint as { checkpointed: number; log: number }).checkpointed).toBe((firstCheckpoint as { log: number }).log);

    await trackEvents(db.pool, [message(100, 'u0', 0), message(101, 'u9', 50)]);
    const secondProgress: SyncProgress[] = [];
    const second = await syncFromPostgres(snapshot, db.url, { onProgress: (p) => secondProgress.push(p) });
    expect(secondProgress.some((p) => p.phase === 'write')).toBe(false); // an incremental sync checkpoints in the background
    // Two new events; their conversations and profiles changed (trigger updates) and are pulled again too.
    expect(second).toMatchObject({ full: false, events: 2, conversations: 2, users: 2 });
    expect(snapshot.info().counts).toEqual({ users: 4, conversations: 7, events: 32 });
    expect(new AnalyticsEngine(snapshot).seedFunnel().total_users).toBe(4);
    // The incremental sync checkpointed on a worker thread afterwards and gave SQLite its own checkpoints back.
    expect(snapshot.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const checkpoint = await snapshot.checkpointing;
    expect(checkpoint).not.toBeNull();
    expect(checkpoint!.checkpointed).toBe(checkpoint!.log);
  });

  it('a transaction that commits after the sync read past its change_seq is still pulled next time', async () => {
    const slow = await db.pool.connect();
    try {
      await slow.query('BEGIN');
      // Takes change_seq values now, commits later (after a faster writer and a sync).
      await slow.query(
        `INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'late', '2026-05-02 08:00:00')`,
        [conv(70)],
      );
      await slow.query(
        `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content) VALUES ($1, $2, 'late', '2026-05-02 08:00:00', 'message', '{"role":"user","message":"late"}')`,
        [evt(700), conv(70)],
      );
      await trackEvents(db.pool, [message(200, 'u1', 1)]);
      const during = await syncFromPostgres(snapshot, db.url, { inFlightWaitMs: 100 });
      expect(during.events).toBeGreaterThanOrEqual(1);
      expect(snapshot.db.prepare("SELECT COUNT(*) AS n FROM events WHERE user_id = 'late'").get()).toEqual({ n: 0 });
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    await syncFromPostgres(snapshot, db.url);
    expect(snapshot.db.prepare("SELECT message FROM events WHERE user_id = 'late'").all()).toEqual([{ message: 'late' }]);
  });

  it("a transaction open in another database of the server does not hold the sync's watermark back; one in this database does", async () => {
    const other = await createTestDatabase({ migrate: false });
    const elsewhere = await other.pool.connect();
    const here = await db.pool.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()'); // holds a transaction id until it ends
      const watermark = () => Number(snapshot.getMeta('safe_seq'));
      await trackEvents(db.pool, [message(300, 'u2', 2)]);
      const before = watermark();
      await syncFromPostgres(snapshot, db.url, { inFlightWaitMs: 100 });
      // The next sync starts after what this one read: the other database's transaction was not waited for.
      expect(watermark()).toBeGreaterThan(before);

      await here.query('BEGIN');
      await here.query('SELECT pg_current_xact_id()'); // may still take change_seq values
      await trackEvents(db.pool, [message(301, 'u2', 2)]);
      const held = watermark();
      const during = await syncFromPostgres(snapshot, db.url, { inFlightWaitMs: 100 });
      expect(during.events).toBe(1);
      expect(watermark()).toBe(held);
    } finally {
      await here.query('ROLLBACK').catch(() => undefined);
      here.release();
      await elsewhere.query('ROLLBACK').catch(() => undefined);
      elsewhere.release();
      await other.drop();
    }
  });

  it('content fields extracted by PostgreSQL land as the library flattens the same event', async () => {
    const stored = [
      {
        id: evt(800), conversation_id: conv(90), user_id: 'shape', timestamp: '2026-05-03T23:59:59.123Z', event_type: 'tool_call' as const,
        tool_name: 'image_gen', success: false, credits_consumed: 3,
        content: { tool: 'image_gen', params: { style: 'anime', n: 2, nested: { ok: true } }, result: null, error: 'timeout' },
      },
      {
        id: evt(801), conversation_id: conv(90), user_id: 'shape', timestamp: '2026-05-04T00:00:00.000Z', event_type: 'completion' as const,
        tool_name: null, success: null, credits_consumed: 0, content: { completion_status: 'abandoned' },
      },
      {
        id: evt(802), conversation_id: conv(90), user_id: 'shape', timestamp: '2026-05-04T00:00:01.000Z', event_type: 'message' as const,
        tool_name: null, success: null, credits_consumed: 0, content: { role: 'user', message: 'I love this, can you add music?' },
      },
    ];
    await trackEvents(db.pool, stored);
    await syncFromPostgres(snapshot, db.url);
    const rows = snapshot.db.prepare("SELECT * FROM events WHERE user_id = 'shape' ORDER BY ts").all() as Array<Record<string, unknown>>;
    const expected = stored.map((e) => ({ ...flattenEvent(e) }) as Record<string, unknown>);
    const comparable = (r: Record<string, unknown>) => ({ ...r, change_seq: null, params: r.params === null ? null : JSON.parse(r.params as string) });
    expect(rows.map(comparable)).toEqual(expected.map(comparable));
    expect(rows[0]).toMatchObject({ error_type: 'timeout', success: 0, result: null, day: '2026-05-03' });
    expect(rows[1]).toMatchObject({ completion_status: 'abandoned', role: null, flags: 0 });
    expect(rows[2].flags).not.toBe(0);
  });

  it('reads PostgreSQL in read-only sessions', async () => {
    // The sync's own pool options: a write through the same settings is refused.
    const { createPool } = await import('../../src/main/db/pg.js');
    const ro = createPool(db.url, { readOnly: true, statementTimeoutMs: 1000, max: 1 });
    try {
      await expect(ro.query(`DELETE FROM conversation_events`)).rejects.toThrow(/read-only/);
    } finally {
      await ro.end();
    }
  });

  it('can be cancelled; the snapshot stays usable and the next sync completes', async () => {
    await trackEvents(db.pool, Array.from({ length: 40 }, (_, i) => message(300 + i, `c${i % 4}`, 80 + (i % 4))));
    const abort = new AbortController();
    await expect(
      syncFromPostgres(snapshot, db.url, {
        pageSize: 5,
        signal: abort.signal,
        onProgress: (p) => {
          if (p.phase === 'events' && p.rows >= 10) abort.abort();
        },
      }),
    ).rejects.toBeInstanceOf(SyncCancelledError);
    const partial = snapshot.info().counts.events;
    expect(partial).toBeLessThan(76);
    await syncFromPostgres(snapshot, db.url);
    expect(snapshot.info().counts.events).toBe(77);
  });

  it('with PostgreSQL unreachable it fails without leaking the password, and the last snapshot still answers', async () => {
    const bad = 'postgres://uis:s3cret-pass@127.0.0.1:1/uis';
    const err = await syncFromPostgres(snapshot, bad).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/unreachable/);
    expect((err as Error).message).not.toContain('s3cret-pass');
    const info = snapshot.info(new Date(Date.now() + 60_000));
    expect(info.source).toBe('postgres');
    expect(info.ageSeconds).toBeGreaterThanOrEqual(59);
    expect(new AnalyticsEngine(snapshot).executiveSummary().totals.events).toBe(77);
  });
});
