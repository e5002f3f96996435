import { readdirSync } from 'node:fs';
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/main/db/migrate.js';
import { trackEvents } from '../../src/main/ingest/capture.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * Every migration's down step, run: up one at a time (the schema recorded after each), then down one at a time (each
 * down must give back exactly the schema before its up), then up again to the same final schema. The list is the
 * migrations folder itself, so a new migration is covered as soon as it is added. Rows are stored before going down,
 * so the down steps that move data (e.g. the outbox's shape in 005) run on some.
 */
const MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .map((f) => f.replace(/\.sql$/, ''));

/** Tables, columns, constraints, indexes, functions, triggers, views, types, sequences and extensions, as text. */
const SCHEMA = `
  SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable || ' default=' || COALESCE(column_default, '') AS d
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'uis_migrations'
  UNION ALL SELECT 'table ' || c.relname || ' ' || c.relkind::text FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relname NOT LIKE 'uis_migrations%'
  UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'uis_migrations'
  UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'uis_migrations'
  UNION ALL SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || md5(pg_get_functiondef(p.oid)) FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p')
  UNION ALL SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'view ' || viewname || ' ' || md5(definition) FROM pg_views WHERE schemaname = 'public'
  UNION ALL SELECT 'matview ' || matviewname || ' ' || md5(definition) FROM pg_matviews WHERE schemaname = 'public'
  UNION ALL SELECT 'type ' || typname || ' ' || typtype::text FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype IN ('e', 'd')
  UNION ALL SELECT 'extension ' || extname FROM pg_extension
  ORDER BY 1`;

describe('migrations: up → down → up, every step', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  const step = (direction: 'up' | 'down') =>
    runner({
      databaseUrl: db.url,
      dir: MIGRATIONS_DIR,
      direction,
      count: 1,
      migrationsTable: 'uis_migrations',
      singleTransaction: true,
      checkOrder: true,
      verbose: false,
      log: () => {},
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  const schema = async () => (await db.pool.query<{ d: string }>(SCHEMA)).rows.map((r) => r.d);
  const applied = async () => {
    const exists = (await db.pool.query(`SELECT to_regclass('public.uis_migrations') AS t`)).rows[0].t;
    return exists ? (await db.pool.query<{ name: string }>('SELECT name FROM uis_migrations ORDER BY run_on, id')).rows.map((r) => r.name) : [];
  };

  it(`every down step gives back the schema before its up (${MIGRATIONS.length} migrations)`, async () => {
    expect(MIGRATIONS.length).toBeGreaterThan(0);
    const before: string[][] = [await schema()];
    for (const name of MIGRATIONS) {
      const ran = await step('up');
      expect(ran.map((m) => m.name)).toEqual([name]);
      before.push(await schema());
    }
    expect(await applied()).toEqual(MIGRATIONS);

    // Some rows, so the down steps that reshape data have data to reshape.
    const conversation_id = '0193a500-0000-7000-8000-000000000001';
    await trackEvents(db.pool, [
      { id: '0193a500-0000-7000-9000-000000000001', conversation_id, user_id: 'round-trip', timestamp: '2026-05-01T10:00:00.000Z', event_type: 'message', content: { role: 'user', message: 'hello' } },
      { id: '0193a500-0000-7000-9000-000000000002', conversation_id, user_id: 'round-trip', timestamp: '2026-05-01T10:00:01.000Z', event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 10 },
    ]);

    for (let i = MIGRATIONS.length - 1; i >= 0; i--) {
      const ran = await step('down');
      expect(ran.map((m) => m.name), `down of ${MIGRATIONS[i]}`).toEqual([MIGRATIONS[i]]);
      expect(await schema(), `schema after the down of ${MIGRATIONS[i]}`).toEqual(before[i]);
    }
    expect(await applied()).toEqual([]);

    for (const name of MIGRATIONS) expect((await step('up')).map((m) => m.name)).toEqual([name]);
    expect(await schema()).toEqual(before[MIGRATIONS.length]);
  });
});
