import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '../../src/shared/metrics.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/uis.js', import.meta.url).pathname;

describe('uis demo / sync / analytics', () => {
  let dataDir: string;
  let db: TestDatabase;
  const uis = (args: string[], env: Record<string, string> = {}) =>
    run('node', [BIN, ...args], { env: { ...process.env, UIS_DATA_DIR: dataDir, DATABASE_URL: '', ...env }, timeout: 120_000 });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-cli-analytics-'));
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('with nothing configured, `uis analytics --today` prints the dashboard of the demo workspace', async () => {
    const { stdout } = await uis(['analytics', '--today']);
    const today = new Date().toISOString().slice(0, 10);
    expect(stdout).toContain('workspace demo (demo)');
    expect(stdout).toMatch(new RegExp(`Daily active users \\(${today}\\): \\d+/100 \\(`));
    expect(stdout).toMatch(/Week 1 retention: \d+\/\d+/);
    expect(stdout).toMatch(/Signed Up\s+100\s+100%/);
    for (const label of ['Executive Summary', 'Activation Journey', 'PMF Signals', 'strong signals', 'weak signals', 'pivot signals']) expect(stdout).toContain(label);
  }, 120_000);

  it('`uis demo --to postgres`, `uis sync`, then `uis analytics --json` reads the synced snapshot', async () => {
    const env = { DATABASE_URL: db.url };
    const demo = await uis(['demo', '--to', 'postgres', '--users', '25', '--days', '10', '--seed', '3', '--end-day', '2026-11-20'], env);
    expect(demo.stdout).toMatch(/Demo written to PostgreSQL: 25 users, (\d+) events/);
    const sync = await uis(['sync', '--quiet'], env);
    expect(sync.stdout).toMatch(/First sync done .*25 users/);
    const { stdout } = await uis(['analytics', '--json', '--since', '2026-11-11', '--until', '2026-11-20'], env);
    const d = JSON.parse(stdout) as Dashboard;
    expect(d.snapshot.source).toBe('postgres');
    expect(d.range).toEqual({ since: '2026-11-11', until: '2026-11-20' });
    expect(d.journey.steps[0].count).toBe(25);
    expect(Object.keys(d)).toEqual(expect.arrayContaining(['summary', 'journey', 'retention', 'failurePoints', 'intents', 'userIntents', 'ranOutUsers', 'highUsageUsers', 'usageHealth', 'pmfSignals', 'timeseries']));
    const again = await uis(['sync', '--quiet'], env);
    expect(again.stdout).toMatch(/Incremental sync done .* 0 events/);
  }, 180_000);

  it('rejects bad flags with a message naming the flag', async () => {
    const err = (await uis(['analytics', '--until', '2026-02-30x']).catch((e: { stderr: string }) => e)) as { stderr: string };
    expect(err.stderr).toMatch(/--until: /);
  }, 60_000);
});
