import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/main/db/migrate.js';
import { createPool } from '../../src/main/db/pg.js';

/** Server to create test databases on; CI and the machine here use trust auth on 127.0.0.1. */
export const ADMIN_URL = process.env.UIS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, migrated database for one test file; drop() removes it. */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `uis_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(ADMIN_URL, name);
  if (opts.migrate !== false) await migrate(url);
  const pool = createPool(url, { max: 10 });
  return {
    url,
    name,
    pool,
    async drop() {
      await pool.end();
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/**
 * Waits until every committed event's aggregates are applied (migrations/1764288000010): the aggregate queue is
 * empty. With `apply`, applies them here (no `uis serve` applier running); otherwise an applier must be running.
 */
export async function aggregatesApplied(pool: pg.Pool, opts: { apply?: boolean } = {}): Promise<void> {
  if (opts.apply) {
    await pool.query('SELECT uis_apply_aggregates(1000, true)');
  }
  const deadline = Date.now() + 10_000;
  while ((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM uis_aggregate_queue')).rows[0].n > 0) {
    if (Date.now() > deadline) throw new Error('aggregates not applied within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}
