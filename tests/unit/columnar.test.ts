import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { rowsFromDemo } from '../../src/main/demo/sinks.js';
import { SnapshotWriter } from '../../src/main/snapshot/apply.js';
import { ColumnarStore, dataVersion } from '../../src/main/snapshot/columnar.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { addDays, type Filters } from '../../src/shared/metrics.js';

// A segment's dashboard read through the column store (src/main/snapshot/columnar.ts) must equal the one grouped from
// the snapshot (itself checked against the plain tables in rollups.test.ts), after a first load, incremental writes
// and a forget; and a forgotten user's rows must leave the store's file.
const END = '2026-03-31';
const NOW = () => new Date(`${END}T12:00:00Z`);
const rows = rowsFromDemo(generateDemo({ users: 160, days: 40, seed: 23, endDay: END }));
// Some users without a signup time: their signup day and week come from their first conversation (rollups.SIGNUP_WEEK,
// which the store computes with its own date functions).
rows.users = rows.users.map((u, i) => (i % 9 === 4 ? { ...u, created_at: null } : u));
// The same feature request asked by six users with a capital non-ASCII letter and by six with a small one: SQLite's
// lower() folds ASCII only, so they are two requests, in the store too (DuckDB's own lower() would merge them).
const firstMessages = [...new Map(rows.events.filter((e) => e.event_type === 'message').map((e) => [e.user_id, e])).values()].slice(0, 12);
rows.events.push(
  ...firstMessages.map((e, i) => ({
    ...e,
    id: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`,
    content: { role: 'user', message: i < 6 ? 'Can you add ÉXPORT to Figma?' : 'can you add éxport to figma?' },
  })),
);
const cut = `${addDays(END, -3)}T00:00:00.000Z`;
const early = rows.events.filter((e) => new Date(e.timestamp).toISOString() < cut);
const late = rows.events.filter((e) => new Date(e.timestamp).toISOString() >= cut);

function comparable(engine: AnalyticsEngine, filters: Filters) {
  const { computeMs: _c, generatedAt: _g, snapshot: _s, ...rest } = engine.dashboard(filters);
  return rest;
}

describe('column store', () => {
  let dir: string;
  let snapshot: Snapshot;
  let writer: SnapshotWriter;
  let store: ColumnarStore;
  let segments: Filters[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-columnar-'));
    snapshot = openSnapshot(path.join(dir, 'snapshot.db'));
    writer = new SnapshotWriter(snapshot);
    writer.beginBulkLoad();
    writer.apply({ users: rows.users, conversations: rows.conversations, events: early });
    writer.finish();
    store = await ColumnarStore.open(snapshot.file);
    const weeks = snapshot.db.prepare('SELECT DISTINCT signup_week FROM users WHERE signup_week IS NOT NULL ORDER BY 1').pluck().all() as string[];
    const pastMonth = { since: addDays(END, -34), until: addDays(END, -10) };
    segments = [
      { tools: ['video_gen'] },
      { tools: ['search', 'image_gen'] },
      { useCases: ['marketing_content'] },
      { activation: ['power_user'] },
      { activation: ['dormant', 'signed_up', 'first_creation'] },
      { activation: ['dormant'] },
      { signupCohorts: [weeks[1]] },
      { tools: ['video_gen'], activation: ['power_user', 'first_creation'] },
      { useCases: ['marketing_content'], signupCohorts: weeks.slice(1) },
      { ...pastMonth, tools: ['image_gen'] },
      { ...pastMonth, useCases: ['marketing_content'], signupCohorts: weeks.slice(0, 3) },
      { ...pastMonth, activation: ['power_user', 'dormant'] },
      { since: addDays(END, -6), activation: ['power_user'] },
      // Ranges that end on or after the latest data (the loaded conversations run past the loaded events): the
      // segment's per-user reads are the store's too (planner.ts StoreRead).
      { until: END, tools: ['video_gen'] },
      { until: END, useCases: ['marketing_content'], signupCohorts: weeks.slice(1) },
      { until: END, activation: ['dormant', 'signed_up', 'first_creation'] },
      { until: END, since: addDays(END, -6), tools: ['search', 'image_gen'] },
      // A past range without a segment: the store answers the reads the per-user rollups cannot.
      pastMonth,
      { until: addDays(END, -3) },
    ];
  });
  afterAll(async () => {
    await store?.close();
    snapshot?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Every segment: prepared from the store (prepare() says so), the same dashboard and intent lists as from SQLite. */
  async function expectSameAsSnapshot() {
    const columnar = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW, { columnar: store });
    const plain = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
    // The lists the store's reads fill are not all empty (else the comparison would prove nothing for them).
    const seen = { featureRequests: 0, blockers: 0, ranOutUsers: 0, highUsageUsers: 0, failurePoints: 0 };
    for (const f of segments) {
      expect(await columnar.prepare(f), JSON.stringify(f)).toBe(true);
      const read = comparable(columnar, f);
      expect(read, JSON.stringify(f)).toEqual(comparable(plain, f));
      seen.featureRequests += read.featureRequests.length;
      seen.blockers += read.blockers.length;
      seen.ranOutUsers += read.ranOutUsers.rows.length;
      seen.highUsageUsers += read.highUsageUsers.rows.length;
      seen.failurePoints += read.failurePoints.length;
      // The engine's longest list (the report's), and a list longer than the store's part (read from SQLite).
      expect(columnar.intentFrequency(f, 1000)).toEqual(plain.intentFrequency(f, 1000));
      expect(columnar.intentFrequency(f, 5000, { userMessagesOnly: true })).toEqual(plain.intentFrequency(f, 5000, { userMessagesOnly: true }));
    }
    for (const [list, rows] of Object.entries(seen)) expect(rows, list).toBeGreaterThan(0);
  }

  it('is empty until brought up to date, then gives every segment the dashboard the snapshot gives', async () => {
    const engine = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW, { columnar: store });
    // Not built yet: the dashboard reads SQLite (and the store starts catching up in the background).
    expect(await engine.prepare(segments[0])).toBe(false);
    expect(await store.catchUp(snapshot)).toBe(true);
    // Without a segment, up to the latest data, there is nothing to prepare (the rollups answer).
    expect(await engine.prepare({ until: END })).toBe(false);
    await expectSameAsSnapshot();
  });

  it("the dashboard reads the store's rows (a changed row there shows in it), its grouped parts and its per-user reads", async () => {
    const f = { tools: ['video_gen'], until: END };
    const plain = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW);
    const member = plain.listUsers({ filters: f, limit: 1 }).rows[0].userId;
    await store.close();
    const instance = await DuckDBInstance.create(ColumnarStore.fileFor(snapshot.file));
    const conn = await instance.connect();
    await conn.run('DELETE FROM conversations WHERE user_id = $u', { u: member });
    // The segment's cube is one of the per-user reads the store answers (planner.ts StoreRead).
    await conn.run('DELETE FROM user_cube WHERE user_id = $u', { u: member });
    conn.closeSync();
    instance.closeSync();
    store = await ColumnarStore.open(snapshot.file);
    const engine = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW, { columnar: store });
    expect(await engine.prepare(f)).toBe(true);
    const expected = plain.dashboard(f);
    const theirs = snapshot.db.prepare('SELECT COUNT(*) FROM conversations WHERE user_id = ? AND start_day <= ?').pluck().get(member, expected.range.until) as number;
    expect(theirs).toBeGreaterThan(0);
    const read = engine.dashboard(f);
    expect(read.summary.totals.conversations).toBe(expected.summary.totals.conversations - theirs);
    expect(read.summary.totals.users).toBe(expected.summary.totals.users - 1);
  });

  it("a segment of dormant users takes its latest conversations from the store; a large active segment's are walked in SQLite", async () => {
    // Every event loaded: a quarter of the users are dormant, as many as SQLite's walk wants for a large segment.
    const whole = openSnapshot(path.join(dir, 'whole.db'));
    const w = new SnapshotWriter(whole);
    w.beginBulkLoad();
    w.apply({ users: rows.users, conversations: rows.conversations, events: rows.events });
    w.finish();
    let own = await ColumnarStore.open(whole.file);
    try {
      expect(await own.catchUp(whole)).toBe(true);
      const dormant: Filters = { activation: ['dormant'] };
      const active: Filters = { tools: ['video_gen'] };
      const plain = new AnalyticsEngine(whole, { minSample: 1 }, NOW);
      const everyone = whole.db.prepare('SELECT COUNT(*) FROM users').pluck().get() as number;
      for (const f of [dormant, active]) expect(plain.dashboard(f).summary.totals.users * 4, JSON.stringify(f)).toBeGreaterThanOrEqual(everyone);
      const shortOnes = (d: ReturnType<AnalyticsEngine['dashboard']>) => d.pmfSignals.find((s) => s.id === 'short_conversations')!.evidence.ids;
      const [sleepers, busy] = [shortOnes(plain.dashboard(dormant))[0], shortOnes(plain.dashboard(active))[0]];
      // Gone from the store's file only: a list read there lacks it, a list walked in SQLite has it.
      await own.close();
      const instance = await DuckDBInstance.create(ColumnarStore.fileFor(whole.file));
      const conn = await instance.connect();
      await conn.run('DELETE FROM conversations WHERE id IN ($a, $b)', { a: sleepers, b: busy });
      conn.closeSync();
      instance.closeSync();
      own = await ColumnarStore.open(whole.file);
      const engine = new AnalyticsEngine(whole, { minSample: 1 }, NOW, { columnar: own });
      expect(await engine.prepare(dormant)).toBe(true);
      expect(shortOnes(engine.dashboard(dormant))).not.toContain(sleepers);
      expect(await engine.prepare(active)).toBe(true);
      expect(shortOnes(engine.dashboard(active))).toContain(busy);
    } finally {
      await own.close();
      whole.close();
    }
  });

  it('after incremental writes, the changed users are copied again (the store is not rebuilt) and every segment agrees again', async () => {
    // Put the store back as the snapshot has it (a rewrite of everything rebuilds it).
    const full = Number(snapshot.getMeta('data_seq'));
    snapshot.setMeta('columnar_full_seq', String(full + 1));
    snapshot.setMeta('data_seq', String(full + 1));
    expect(await store.catchUp(snapshot)).toBe(true);
    const fileBefore = fs.statSync(ColumnarStore.fileFor(snapshot.file)).ino;

    // A few users' last days (past a fifth of the users, the writer rewrites everything and the store is rebuilt),
    // and a user the store has never seen, who used video_gen (segments[0]): the store numbers them at the update.
    const few = new Set(late.map((e) => e.user_id).slice(0, 12));
    const model = late.find((e) => e.tool_name === 'video_gen')!.user_id;
    const newcomer = `${model}-new`;
    const renamed = (id: string) => `${id.slice(0, -4)}ffff`;
    const theirConversations = rows.conversations.filter((c) => c.user_id === model);
    writer.apply({
      users: [{ ...rows.users.find((u) => u.user_id === model)!, user_id: newcomer, email: null }],
      conversations: theirConversations.map((c) => ({ ...c, id: renamed(c.id), user_id: newcomer })),
      events: [
        ...late.filter((e) => few.has(e.user_id)),
        ...rows.events.filter((e) => e.user_id === model).map((e) => ({ ...e, id: renamed(e.id), conversation_id: renamed(e.conversation_id), user_id: newcomer })),
      ],
    });
    const engine = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW, { columnar: store });
    // Mid-write (rollups stale): nothing prepared; the dashboard reads SQLite.
    expect(await engine.prepare(segments[0])).toBe(false);
    writer.finish();
    const changed = snapshot.db.prepare('SELECT COUNT(*) FROM columnar_changes WHERE seq = ?').pluck().get(Number(snapshot.getMeta('data_seq'))) as number;
    expect(changed).toBeGreaterThan(0);
    expect(await store.catchUp(snapshot)).toBe(true);
    expect(fs.statSync(ColumnarStore.fileFor(snapshot.file)).ino).toBe(fileBefore);
    expect(new AnalyticsEngine(snapshot, { minSample: 1 }, NOW).listUsers({ filters: segments[0], limit: 1000 }).rows.map((r) => r.userId)).toContain(newcomer);
    await expectSameAsSnapshot();
    // Every user has one number of their own, and every row carries its user's (segments are matched by number).
    await store.close();
    const instance = await DuckDBInstance.create(ColumnarStore.fileFor(snapshot.file));
    const conn = await instance.connect();
    const one = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRowsJS()[0][0]);
    expect(await one('SELECT COUNT(DISTINCT uid) FROM uids')).toBe(await one('SELECT COUNT(*) FROM uids'));
    expect(await one('SELECT COUNT(DISTINCT user_id) FROM uids')).toBe(await one('SELECT COUNT(*) FROM uids'));
    expect(await one(`SELECT uid FROM uids WHERE user_id = '${newcomer}'`)).toBe(await one('SELECT MAX(uid) FROM uids'));
    for (const table of ['agg_user_day', 'agg_tool_day', 'conversations', 'events', 'users', 'user_totals', 'user_cube']) {
      expect(await one(`SELECT COUNT(*) FROM ${table} WHERE user_id = '${newcomer}'`), table).toBeGreaterThan(0);
      expect(await one(`SELECT COUNT(*) FROM ${table} t LEFT JOIN uids n USING (user_id) WHERE n.uid IS DISTINCT FROM t.uid`), table).toBe(0);
    }
    conn.closeSync();
    instance.closeSync();
    store = await ColumnarStore.open(snapshot.file);
  });

  it('parts read before a write are not used after it', async () => {
    const f = segments[3];
    const engine = new AnalyticsEngine(snapshot, { minSample: 1 }, NOW, { columnar: store });
    expect(await engine.prepare(f)).toBe(true);
    const victim = engine.listUsers({ filters: f, limit: 1 }).rows[0].userId;
    writer.forgetUsers([victim]);
    writer.finish();
    // The store no longer holds the data: the engine groups the snapshot's rows, and agrees with a fresh engine.
    expect(comparable(engine, f)).toEqual(comparable(new AnalyticsEngine(snapshot, { minSample: 1 }, NOW), f));
  });

  it('a store file of an older layout is not read: it is rebuilt at the next catch-up', async () => {
    const version = dataVersion(snapshot)!;
    await store.close();
    // A file as an earlier layout left it: stamped with the current data version, but without the layout's format
    // and without the tables the runners' reads name.
    ColumnarStore.remove(snapshot.file);
    const instance = await DuckDBInstance.create(ColumnarStore.fileFor(snapshot.file));
    const conn = await instance.connect();
    await conn.run('CREATE TABLE stamp (id VARCHAR, seq BIGINT)');
    await conn.run('INSERT INTO stamp VALUES ($id, $seq)', { id: version.id, seq: version.seq });
    await conn.run('CREATE TABLE agg_user_day (user_id VARCHAR, day VARCHAR, events INTEGER, messages INTEGER, credits BIGINT)');
    conn.closeSync();
    instance.closeSync();
    store = await ColumnarStore.open(snapshot.file);
    expect(store.holds(version)).toBe(false);
    expect(await store.catchUp(snapshot)).toBe(true);
    await expectSameAsSnapshot();
  });

  it("a forget rebuilds the store's file: none of the forgotten user's rows or messages stay in it", async () => {
    const victim = rows.users.find((u) => snapshot.db.prepare(`SELECT COUNT(*) FROM events WHERE user_id = ? AND event_type = 'message'`).pluck().get(u.user_id))!.user_id;
    const messages = snapshot.db.prepare(`SELECT DISTINCT message FROM events WHERE user_id = ? AND event_type = 'message' AND message IS NOT NULL`).pluck().all(victim) as string[];
    // Their own words: messages nobody else sent (the demo's texts repeat across users).
    const own = messages.filter((m) => (snapshot.db.prepare('SELECT COUNT(DISTINCT user_id) FROM events WHERE message = ?').pluck().get(m) as number) === 1);
    expect(await store.catchUp(snapshot)).toBe(true);
    const file = ColumnarStore.fileFor(snapshot.file);
    expect(fs.readFileSync(file).includes(Buffer.from(victim))).toBe(true);
    const inode = fs.statSync(file).ino;

    writer.forgetUsers([victim]);
    writer.finish();
    expect(snapshot.db.prepare('SELECT COUNT(*) FROM columnar_changes WHERE user_id = ?').pluck().get(victim)).toBe(0);
    // Any dashboard's prepare (no segment here) finds the store behind and starts its rebuild in the background.
    expect(await new AnalyticsEngine(snapshot, {}, NOW, { columnar: store }).prepare({})).toBe(false);
    await vi.waitFor(() => expect(store.holds(dataVersion(snapshot))).toBe(true), { timeout: 10_000, interval: 20 });
    expect(fs.statSync(file).ino).not.toBe(inode);
    const bytes = Buffer.concat([fs.readFileSync(file), fs.existsSync(`${file}.wal`) ? fs.readFileSync(`${file}.wal`) : Buffer.alloc(0)]);
    expect(bytes.includes(Buffer.from(victim))).toBe(false);
    for (const m of own) expect(bytes.includes(Buffer.from(m)), m).toBe(false);
    await expectSameAsSnapshot();
  });
});
