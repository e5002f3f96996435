import { readdirSync } from 'node:fs';
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackEvents } from '../../src/main/ingest/capture.js';
import { MIGRATIONS_DIR, migrate } from '../../src/main/db/migrate.js';
import { aggregatesApplied, createTestDatabase, type TestDatabase } from '../helpers/pg.js';

// A conversation belongs to the user of its earliest event, (timestamp, id) order, whatever the door; first_intent is
// the owner's first user message (docs/schema.md, "Who owns a conversation"). 'zoe' sorts after 'adam' on purpose:
// the old rule (MIN(user_id) of the first batch) gave every conversation below to adam.

const conv = (n: number) => `0193a700-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
const ev = (n: number) => `0193a700-0000-7000-8000-${(0xe0000 + n).toString(16).padStart(12, '0')}`;
const msg = (id: string, conversation: string, user: string, at: string, message: string, role = 'user') => ({
  id, conversation_id: conversation, user_id: user, timestamp: at, event_type: 'message', content: { role, message },
});

async function migrateTo(url: string, direction: 'up' | 'down', count: number) {
  await runner({ databaseUrl: url, dir: MIGRATIONS_DIR, direction, count, migrationsTable: 'uis_migrations', singleTransaction: true, checkOrder: true, log: () => {} });
}

describe('conversation owner: the user who started it', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });
  const conversation = async (id: string) =>
    (await db.pool.query('SELECT user_id, first_intent, message_count FROM conversations WHERE id = $1', [id])).rows[0];
  const conversations = async (user: string) =>
    (await db.pool.query('SELECT total_conversations AS n FROM user_profiles WHERE user_id = $1', [user])).rows[0]?.n ?? null;

  it('library/HTTP: the larger user id starts, the smaller replies in the same batch: the starter owns it and names its intent', async () => {
    // adam's message comes first in the batch's array, but zoe's event is earlier.
    await trackEvents(db.pool, [
      msg(ev(2), conv(1), 'adam', '2026-03-01T10:00:05.000Z', 'adam joins in'),
      msg(ev(1), conv(1), 'zoe', '2026-03-01T10:00:00.000Z', 'zoe wants a logo'),
      msg(ev(3), conv(1), 'zoe', '2026-03-01T10:00:09.000Z', 'zoe again'),
    ]);
    expect(await conversation(conv(1))).toEqual({ user_id: 'zoe', first_intent: 'zoe wants a logo', message_count: 3 });
    expect(await conversations('zoe')).toBe(1);
    expect(await conversations('adam')).toBe(0);
  });

  it("a participant's message before the owner's first one never becomes the first_intent", async () => {
    await trackEvents(db.pool, [
      { id: ev(10), conversation_id: conv(2), user_id: 'zoe', timestamp: '2026-03-01T11:00:00.000Z', event_type: 'tool_call', tool_name: 'image_gen', credits_consumed: 1 },
      msg(ev(11), conv(2), 'adam', '2026-03-01T11:00:01.000Z', 'adam speaks first'),
    ]);
    expect(await conversation(conv(2))).toMatchObject({ user_id: 'zoe', first_intent: null });
    await trackEvents(db.pool, [msg(ev(12), conv(2), 'zoe', '2026-03-01T11:00:05.000Z', 'zoe finally asks')]);
    expect(await conversation(conv(2))).toMatchObject({ user_id: 'zoe', first_intent: 'zoe finally asks' });
  });

  it('an earlier event of another user arriving in a later batch moves the conversation, its count and its intent', async () => {
    await trackEvents(db.pool, [msg(ev(21), conv(3), 'adam', '2026-03-02T10:00:10.000Z', 'adam replies')]);
    expect(await conversation(conv(3))).toMatchObject({ user_id: 'adam', first_intent: 'adam replies' });
    const before = { zoe: await conversations('zoe'), adam: await conversations('adam') };
    await trackEvents(db.pool, [
      { id: ev(19), conversation_id: conv(3), user_id: 'zoe', timestamp: '2026-03-02T10:00:00.000Z', event_type: 'tool_call', tool_name: 'search' },
      msg(ev(20), conv(3), 'zoe', '2026-03-02T10:00:12.000Z', 'zoe started this'),
    ]);
    expect(await conversation(conv(3))).toEqual({ user_id: 'zoe', first_intent: 'zoe started this', message_count: 2 });
    expect(await conversations('zoe')).toBe(before.zoe + 1);
    expect(await conversations('adam')).toBe(before.adam - 1);
    // A later event of adam changes nothing.
    await trackEvents(db.pool, [msg(ev(22), conv(3), 'adam', '2026-03-02T10:00:20.000Z', 'adam again')]);
    expect(await conversation(conv(3))).toMatchObject({ user_id: 'zoe', first_intent: 'zoe started this' });
  });

  it("an owner's message arriving late with an earlier time becomes the first_intent", async () => {
    await trackEvents(db.pool, [msg(ev(31), conv(4), 'zoe', '2026-03-03T10:00:00.000Z', 'zoe opens')]);
    await trackEvents(db.pool, [msg(ev(33), conv(4), 'zoe', '2026-03-03T10:00:30.000Z', 'zoe later')]);
    await trackEvents(db.pool, [msg(ev(32), conv(4), 'zoe', '2026-03-03T09:59:59.000Z', 'zoe earliest, sent late')]);
    expect(await conversation(conv(4))).toMatchObject({ user_id: 'zoe', first_intent: 'zoe earliest, sent late' });
  });

  it('direct SQL: a conversation row written for another user is given to the user of its earliest event; ties go by event id', async () => {
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'adam', '2026-03-04 09:00:00')`, [conv(5)]);
    expect(await conversations('adam')).toBeGreaterThan(0);
    const adamBefore = await conversations('adam');
    const zoeBefore = await conversations('zoe');
    // Same timestamp: zoe's event has the smaller id, so zoe started it.
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content) VALUES
        ($2, $1, 'adam', '2026-03-04 09:00:00', 'message', '{"role":"user","message":"adam at the same second"}'),
        ($3, $1, 'zoe', '2026-03-04 09:00:00', 'message', '{"role":"user","message":"zoe by id order"}')`,
      [conv(5), ev(51), ev(50)],
    );
    await aggregatesApplied(db.pool, { apply: true }); // direct SQL: the aggregates are applied after the commit
    expect(await conversation(conv(5))).toMatchObject({ user_id: 'zoe', first_intent: 'zoe by id order' });
    expect(await conversations('adam')).toBe(adamBefore - 1);
    expect(await conversations('zoe')).toBe(zoeBefore + 1);

    // A platform COPY-like multi-statement: conversation for zoe, adam's earlier event in a second INSERT.
    await db.pool.query(`INSERT INTO conversations (id, user_id) VALUES ($1, 'zoe')`, [conv(6)]);
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content) VALUES
        ($2, $1, 'zoe', '2026-03-05 09:00:05', 'message', '{"message":"zoe second"}')`,
      [conv(6), ev(61)],
    );
    await aggregatesApplied(db.pool, { apply: true }); // direct SQL: the aggregates are applied after the commit
    expect(await conversation(conv(6))).toMatchObject({ user_id: 'zoe', first_intent: 'zoe second' });
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content) VALUES
        ($2, $1, 'adam', '2026-03-05 09:00:00', 'message', '{"message":"adam first"}')`,
      [conv(6), ev(60)],
    );
    await aggregatesApplied(db.pool, { apply: true }); // direct SQL: the aggregates are applied after the commit
    expect(await conversation(conv(6))).toMatchObject({ user_id: 'adam', first_intent: 'adam first' });
  });

  it('one batch that swaps the owners of two conversations moves each count once', async () => {
    // carl owns conv 7 and dora conv 8; the next batch brings an earlier event of dora into 7 and of carl into 8.
    await trackEvents(db.pool, [msg(ev(70), conv(7), 'carl', '2026-03-04T10:00:04.000Z', 'carl first in 7')]);
    await trackEvents(db.pool, [msg(ev(80), conv(8), 'dora', '2026-03-04T10:00:03.000Z', 'dora first in 8')]);
    await trackEvents(db.pool, [
      msg(ev(71), conv(7), 'dora', '2026-03-04T10:00:02.000Z', 'dora earlier in 7'),
      msg(ev(81), conv(8), 'carl', '2026-03-04T10:00:01.000Z', 'carl earlier in 8'),
    ]);
    await aggregatesApplied(db.pool);
    expect(await conversation(conv(7))).toMatchObject({ user_id: 'dora' });
    expect(await conversation(conv(8))).toMatchObject({ user_id: 'carl' });
    expect(await conversations('carl')).toBe(1);
    expect(await conversations('dora')).toBe(1);
  });

  it('the profile counters agree with the conversations each user owns', async () => {
    const { rows } = await db.pool.query(
      `SELECT p.user_id, p.total_conversations AS counted, (SELECT count(*)::int FROM conversations c WHERE c.user_id = p.user_id) AS owned
       FROM user_profiles p ORDER BY 1`,
    );
    expect(rows.length).toBe(4);
    for (const r of rows) expect(r.counted).toBe(r.owned);
  });
});

describe('migration 1764288000007 on a database written under the old rule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    // Every migration before this one (the numbers have gaps).
    const before = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql') && f < '1764288000007').length;
    await migrateTo(db.url, 'up', before);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('gives existing conversations to their starters, moves the counts, takes first_intent from the owner; down restores the old trigger', async () => {
    // The row the old library wrote (MIN(user_id) of the batch: adam); the old trigger: anyone's first message.
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'adam', '2026-03-06 10:00:00')`, [conv(7)]);
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content) VALUES
        ($2, $1, 'zoe', '2026-03-06 10:00:00', 'message', '{"message":"zoe opens seven"}'),
        ($3, $1, 'adam', '2026-03-06 10:00:01', 'message', '{"message":"adam in seven"}')`,
      [conv(7), ev(71), ev(72)],
    );
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'zoe', '2026-03-06 11:00:00')`, [conv(8)]);
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content) VALUES
        ($2, $1, 'zoe', '2026-03-06 11:00:00', 'tool_call', '{}'),
        ($3, $1, 'adam', '2026-03-06 11:00:01', 'message', '{"message":"adam in eight"}')`,
      [conv(8), ev(81), ev(82)],
    );
    const rows = async () =>
      (await db.pool.query('SELECT id, user_id, first_intent FROM conversations ORDER BY id')).rows.map((r) => [r.user_id, r.first_intent]);
    const counts = async () =>
      Object.fromEntries((await db.pool.query('SELECT user_id, total_conversations FROM user_profiles ORDER BY 1')).rows.map((r) => [r.user_id, r.total_conversations]));
    expect(await rows()).toEqual([['adam', 'zoe opens seven'], ['zoe', 'adam in eight']]);
    expect(await counts()).toEqual({ adam: 1, zoe: 1 });

    await migrate(db.url);
    expect(await rows()).toEqual([['zoe', 'zoe opens seven'], ['zoe', null]]);
    expect(await counts()).toEqual({ adam: 0, zoe: 2 });

    // Down to 006 (this migration and any after it).
    await migrateTo(db.url, 'down', readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql') && f >= '1764288000007').length);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'uis_owner_first_intent'`)).rows[0].n).toBe(0);
    // 006's trigger again: anyone's first message.
    await trackEvents(db.pool, [
      { id: ev(91), conversation_id: conv(9), user_id: 'zoe', timestamp: '2026-03-07T10:00:00.000Z', event_type: 'tool_call' },
      msg(ev(92), conv(9), 'adam', '2026-03-07T10:00:01.000Z', 'adam nine'),
    ]);
    const nine = async () => (await db.pool.query('SELECT user_id, first_intent FROM conversations WHERE id = $1', [conv(9)])).rows[0];
    expect(await nine()).toEqual({ user_id: 'zoe', first_intent: 'adam nine' });
    await migrate(db.url);
    expect(await nine()).toEqual({ user_id: 'zoe', first_intent: null });
  });
});
