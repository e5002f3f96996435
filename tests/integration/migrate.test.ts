import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const run = promisify(execFile);
const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;

async function uis(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [UIS, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('uis migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('applies every migration and prints each; a second run applies nothing', async () => {
    const first = await uis(['migrate'], { DATABASE_URL: db.url });
    expect(first.code).toBe(0);
    // Every file in migrations/ (other capabilities add theirs), in order.
    const all = readdirSync(new URL('../../migrations', import.meta.url)).filter((f) => f.endsWith('.sql')).sort().map((f) => f.replace(/\.sql$/, ''));
    expect(all.slice(0, 2)).toEqual(['1764288000001_seed-schema', '1764288000002_capture-pipeline']);
    expect(first.stdout.trim().split('\n')).toEqual(all.map((m) => `applied ${m}`));

    const tables = (await db.pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).rows.map((r) => r.table_name);
    expect(tables).toEqual(expect.arrayContaining(['conversation_events', 'conversations', 'uis_migrations', 'uis_outbox', 'user_profiles']));
    const indexes = (await db.pool.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'conversation_events' AND indexname LIKE 'idx_%' ORDER BY 1`)).rows;
    expect(indexes.map((r) => [r.indexname, r.indexdef.replace(/.*USING btree /, '')])).toEqual([
      ['idx_tool_usage', '(tool_name, "timestamp")'],
      ['idx_user_events', '(user_id, "timestamp")'],
    ]);

    const second = await uis(['migrate'], { DATABASE_URL: db.url });
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe('Database is up to date: no migration applied.');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM uis_migrations')).rows[0].n).toBe(all.length);
  });

  it('without DATABASE_URL says what to set; a bad server never prints the password', async () => {
    const missing = await uis(['migrate'], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('DATABASE_URL is not set');

    const bad = await uis(['migrate'], { DATABASE_URL: 'postgres://admin:s3cret-pass@127.0.0.1:1/uis' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toContain('s3cret-pass');
    expect(bad.stderr.length).toBeGreaterThan(0);
  });
});
