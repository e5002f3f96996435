import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { SEED_QUERIES } from '../../src/main/analytics/seed-queries.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToPostgres, writeDemoToSnapshot } from '../../src/main/demo/sinks.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { syncFromPostgres } from '../../src/main/snapshot/sync.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

// DATE columns as plain YYYY-MM-DD (the seed's DATE(timestamp)), whatever the machine's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (s: string) => s);

const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const byKey = <T>(rows: T[]) => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe('cross-check: the engine on the synced snapshot equals the seed SQL on PostgreSQL', () => {
  let db: TestDatabase;
  let dir: string;
  let synced: Snapshot;
  const demo = generateDemo({ users: 60, days: 21, seed: 7, endDay: '2026-11-20' });

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-crosscheck-'));
    await writeDemoToPostgres(db.pool, demo);
    synced = openSnapshot(path.join(dir, 'synced.sqlite'));
    await syncFromPostgres(synced, db.url);
  }, 120_000);

  afterAll(async () => {
    synced?.close();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function expectSeedQueriesMatch(snapshot: Snapshot) {
    const engine = new AnalyticsEngine(snapshot);

    const funnel = (await db.pool.query(SEED_QUERIES.ACTIVATION_FUNNEL)).rows[0];
    const mine = engine.seedFunnel();
    expect(mine).toEqual({
      total_users: n(funnel.total_users),
      day_1_active: n(funnel.day_1_active),
      created_content: n(funnel.created_content),
      high_usage: n(funnel.high_usage),
      successful_users: n(funnel.successful_users),
    });
    expect(mine.total_users).toBeGreaterThan(20);

    const intents = (await db.pool.query(SEED_QUERIES.INTENT_EXTRACTION)).rows.map((r) => [r.day, r.user_message, r.tool_name, r.success, n(r.frequency)]);
    const engineIntents = engine.intentFrequency({}, 1_000_000).map((r) => [r.day, r.userMessage, r.toolName, r.success, r.frequency]);
    expect(engineIntents.length).toBe(intents.length);
    expect(byKey(engineIntents)).toEqual(byKey(intents));
    // Same order of frequencies (ties may be listed in any order by the seed's SQL).
    expect(engineIntents.map((r) => r[4])).toEqual(intents.map((r) => r[4]));

    const failures = (await db.pool.query(SEED_QUERIES.FAILURE_POINTS)).rows.map((r) => [r.tool_name, r.error_type, n(r.failure_count), n(r.affected_users)]);
    const engineFailures = engine.failurePoints().map((r) => [r.tool, r.errorType, r.failures, r.affectedUsers]);
    expect(failures.length).toBeGreaterThan(3);
    expect(byKey(engineFailures)).toEqual(byKey(failures));

    const credits = (await db.pool.query(SEED_QUERIES.CREDIT_EXHAUSTION)).rows.map((r) => [r.user_id, r.email, n(r.total_credits_used), r.credit_exhaustion_count, r.last_active_at]);
    const engineCredits = engine.creditExhaustion().map((r) => [r.userId, r.email, r.totalCreditsUsed, r.creditExhaustionCount, r.lastActiveAt]);
    expect(credits.length).toBeGreaterThan(0);
    expect(byKey(engineCredits)).toEqual(byKey(credits));
  }

  it('funnel, intent frequencies, failure points and credit exhaustion are equal', async () => {
    await expectSeedQueriesMatch(synced);
  });

  it('the demo written straight to SQLite gives the same dashboard as the demo captured in PostgreSQL and synced', () => {
    const direct = openSnapshot(path.join(dir, 'direct.sqlite'));
    try {
      writeDemoToSnapshot(direct, demo);
      const now = () => new Date('2026-11-21T00:00:00Z');
      const strip = (d: ReturnType<AnalyticsEngine['dashboard']>) => ({ ...d, computeMs: 0, generatedAt: '', snapshot: null });
      const a = strip(new AnalyticsEngine(direct, {}, now).dashboard({}));
      const b = strip(new AnalyticsEngine(synced, {}, now).dashboard({}));
      // Same rows through two paths (capture triggers + sync, or the demo sink): every number identical.
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    } finally {
      direct.close();
    }
  });

  it('stays equal after an incremental sync of new events, and a forgotten user disappears from the snapshot', async () => {
    const more = generateDemo({ users: 20, days: 3, seed: 99, endDay: '2026-11-22' });
    // Different user ids than the first batch: prefix them.
    const users = more.users.map((u) => ({ ...u, user_id: `late_${u.user_id}` }));
    const events = more.events.map((e) => ({ ...e, user_id: `late_${e.user_id}` }));
    await writeDemoToPostgres(db.pool, { ...more, users, events });
    const victim = demo.users.find((u) => demo.events.some((e) => e.user_id === u.user_id))!.user_id;
    const { forgetUser } = await import('../../src/main/forget/forget.js');
    await forgetUser(db.pool, victim, { requestedBy: 'crosscheck-test' });

    const result = await syncFromPostgres(synced, db.url);
    expect(result.full).toBe(false);
    expect(result.events).toBeGreaterThanOrEqual(events.length);
    expect(result.events).toBeLessThan(events.length + 200);
    expect(result.forgotten).toBe(1);
    const left = synced.db.prepare('SELECT (SELECT COUNT(*) FROM events WHERE user_id = @u) + (SELECT COUNT(*) FROM users WHERE user_id = @u) + (SELECT COUNT(*) FROM agg_user_day WHERE user_id = @u) AS n').get({ u: victim }) as { n: number };
    expect(left.n).toBe(0);
    await expectSeedQueriesMatch(synced);
  }, 120_000);
});
