import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { loadUserContext } from '../../src/main/context/load.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToSnapshot } from '../../src/main/demo/sinks.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import type { UserContext } from '../../src/shared/context.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const run = promisify(execFile);
const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;

/**
 * The demo workspace's memory (built in process by the profile builder's functions) against the real thing: the same
 * demo written to PostgreSQL through the capture path by `uis demo --to postgres`, profiles built by
 * `uis profiles rebuild`, read back by `uis profiles show --json`. The drill-down (engine.userDetail, what /rpc
 * analytics.user answers) and the CLI must say the same for every user.
 */
describe('demo memory: drill-down and `uis profiles show` agree', () => {
  // "Today" is the demo's last day on both sides (the rebuild labels users against the real date).
  const endDay = new Date().toISOString().slice(0, 10);
  const opts = { users: 40, days: 30, seed: 7, endDay };
  let db: TestDatabase;
  let home: string;
  let snapshot: Snapshot;
  let engine: AnalyticsEngine;
  const uis = async (args: string[]) =>
    (await run(process.execPath, [UIS, ...args], { env: { PATH: process.env.PATH, HOME: home, DATABASE_URL: db.url }, timeout: 120_000 })).stdout;

  beforeAll(async () => {
    db = await createTestDatabase();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-demo-memory-'));
    await uis(['demo', '--to', 'postgres', '--users', String(opts.users), '--days', String(opts.days), '--seed', String(opts.seed), '--end-day', endDay]);
    await uis(['profiles', 'rebuild']);
    snapshot = openSnapshot(':memory:');
    writeDemoToSnapshot(snapshot, generateDemo(opts));
    engine = new AnalyticsEngine(snapshot);
  }, 300_000);
  afterAll(async () => {
    snapshot?.close();
    await db?.drop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  const compare = (ctx: UserContext, userId: string) => {
    const d = engine.userDetail(userId)!;
    expect(d.memory.contextSummary, userId).toBe(ctx.summary);
    expect(d.memory.frequentlyUsedPrompts, userId).toEqual(ctx.frequent_prompts);
    expect(d.memory.preferenceDetails, userId).toEqual(ctx.preferences);
    expect(d.memory.preferences, userId).toEqual(Object.fromEntries(ctx.preferences!.map((p) => [p.key, p.value])));
    expect(d.memory.preferredTools, userId).toEqual(Object.fromEntries(ctx.profile!.preferred_tools.map((t) => [t.tool, t.count])));
    const row = snapshot.db.prepare('SELECT primary_use_case, activation_status, retention_cohort, completion_rate, average_session_length FROM users WHERE user_id = ?').get(userId);
    const p = ctx.profile!;
    expect(row, userId).toEqual({
      primary_use_case: p.primary_use_case,
      activation_status: p.activation_status,
      retention_cohort: p.retention_cohort,
      completion_rate: p.completion_rate,
      average_session_length: p.average_session_length,
    });
  };

  it('`uis profiles show --json` prints what the drill-down shows, for a sample of users (power users among them)', async () => {
    const power = engine.listUsers({ filters: { activation: ['power_user'] }, sort: { field: 'creditsUsed', dir: 'desc' }, limit: 100 }).rows.map((r) => r.userId);
    const others = engine.listUsers({ filters: { activation: ['first_creation'] }, limit: 100 }).rows.map((r) => r.userId);
    expect(power.length).toBeGreaterThan(2);
    const sample = [...power.slice(0, 3), ...others.slice(0, 1)];
    for (const userId of sample) {
      const ctx = JSON.parse(await uis(['profiles', 'show', userId, '--json'])) as UserContext;
      expect(ctx.summary, userId).toBeTruthy();
      compare(ctx, userId);
    }
    for (const userId of power.slice(0, 3)) {
      const d = engine.userDetail(userId)!;
      expect(d.memory.contextSummary, userId).toMatch(/^Mainly uses the product for /);
      expect(d.memory.preferenceDetails.length, userId).toBeGreaterThan(0);
    }
  }, 120_000);

  it('every user with events has the same memory both ways (the context API read in process)', async () => {
    const ids = (snapshot.db.prepare('SELECT DISTINCT user_id FROM events ORDER BY user_id').pluck().all() as string[]);
    expect(ids.length).toBeGreaterThan(20);
    let changedMind = 0;
    for (const userId of ids) {
      const ctx = (await loadUserContext(db.pool, userId))!;
      compare(ctx, userId);
      if (ctx.preferences!.some((p) => p.history.some((h) => h.superseded_at))) changedMind++;
    }
    expect(changedMind).toBeGreaterThan(0);
  }, 120_000);
});
