import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { UisClient } from '../../src/main/ingest/client.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { startFakeOpenAi, type ChatRequestBody, type FakeOpenAi, type FakeReply } from '../helpers/fake-openai.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, freePort, testPrefix } from '../helpers/redis.js';

/**
 * `uis forget` reaches every copy (issue 18). A user goes through every kind of processing: ingest over HTTP and the
 * library, the profile builder and the context API, `uis sync`, Intelligence with the local analyzer and with an LLM
 * (analyses written back to PostgreSQL, intent clusters on embeddings, named by the LLM); they share conversations
 * with other users both ways. Then DELETE /v1/users/:id and `uis sync` again, and their id, e-mail and a phrase of
 * theirs are searched for in every PostgreSQL table (every column as text), every Redis key of the deployment (stream
 * entries included), and the raw bytes of every file of the workbench's data folder (the snapshot, its WAL and shm).
 */
const run = promisify(execFile);
const TOKEN = 'forget-everywhere-token';
const VICTIM = 'u-forget-q7xk';
const EMAIL = 'q7xk.walrus@example.org';
const PHRASE = 'marmalade walrus q7xk';
const NEEDLES = [VICTIM, EMAIL, PHRASE];

const conv = (n: number) => `0193f000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
let seq = 0;
const id = () => `0193f000-0000-7000-8000-${(0xf00000 + ++seq).toString(16).padStart(12, '0')}`;
const DAY = '2026-11-20';
const at = (minute: number) => new Date(Date.parse(`${DAY}T09:00:00.000Z`) + minute * 60_000).toISOString();
const message = (conversation: string, user: string, minute: number, text: string, role = 'user') => ({
  id: id(), conversation_id: conversation, user_id: user, timestamp: at(minute), event_type: 'message', content: { role, message: text },
});

describe('forget reaches every copy', () => {
  let db: TestDatabase;
  let redis: Redis;
  let service: RunningService;
  let fake: FakeOpenAi;
  let dataDir: string;
  const prefix = testPrefix();
  let env: NodeJS.ProcessEnv;

  const http = (p: string, init: RequestInit = {}) =>
    fetch(service.url + p, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) } });
  const uis = async (...args: string[]) => run(process.execPath, ['bin/uis.js', ...args], { env, timeout: 120_000 });
  const snapshotFile = () => path.join(dataDir, 'workspaces', 'env', 'snapshot.sqlite');

  /** Where each needle is found: "pg <table>", "redis <key>", "file <name>". */
  async function findEverywhere(): Promise<Record<string, string[]>> {
    const hits: Record<string, string[]> = Object.fromEntries(NEEDLES.map((n) => [n, []]));
    const tables = (await db.pool.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.t);
    for (const t of tables) {
      for (const needle of NEEDLES) {
        const n = (await db.pool.query(`SELECT count(*)::int AS n FROM "${t}" x WHERE strpos(lower(x::text), lower($1)) > 0`, [needle])).rows[0].n;
        if (n > 0) hits[needle].push(`pg ${t}`);
      }
    }
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    for (const key of keys) {
      const type = await redis.type(key);
      let text = '';
      if (type === 'string') text = (await redis.get(key)) ?? '';
      else if (type === 'hash') text = JSON.stringify(await redis.hgetall(key));
      else if (type === 'list') text = JSON.stringify(await redis.lrange(key, 0, -1));
      else if (type === 'set') text = JSON.stringify(await redis.smembers(key));
      else if (type === 'zset') text = JSON.stringify(await redis.zrange(key, 0, -1));
      else if (type === 'stream') text = JSON.stringify(await redis.xrange(key, '-', '+'));
      for (const needle of NEEDLES) if ((key + text).toLowerCase().includes(needle.toLowerCase())) hits[needle].push(`redis ${key}`);
    }
    const files = fs.readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
    for (const file of files) {
      const bytes = fs.readFileSync(file).toString('latin1').toLowerCase();
      for (const needle of NEEDLES) if (bytes.includes(needle.toLowerCase())) hits[needle].push(`file ${path.relative(dataDir, file)}`);
    }
    return hits;
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-forget-'));
    fake = await startFakeOpenAi(
      (body: ChatRequestBody): FakeReply => {
        const text = String(body.messages.at(-1)?.content ?? '');
        if (String(body.messages[0]?.content ?? '').startsWith('Name each cluster')) {
          // An LLM that echoes its examples in the names it gives.
          const names = [...text.matchAll(/cluster (\d+) \(top terms[^\n]*\n\s+- ([^\n]*)/g)].map((m) => ({ id: Number(m[1]), name: m[2].slice(0, 80) }));
          return { content: JSON.stringify({ names }) };
        }
        // An analysis that quotes the conversation's first user message, as real ones do.
        const first = /user: ([^\n]*)/.exec(text)?.[1] ?? 'a request';
        return { content: JSON.stringify({ primary_intent: first.slice(0, 300), blockers: [`stuck on: ${first.slice(0, 100)}`], feature_requests: [], satisfaction_signal: 4, use_case: 'personal_video' }), usage: { prompt_tokens: 100, completion_tokens: 30 } };
      },
      (input) => input.map((t) => [t.includes('birthday') ? 1 : 0, t.includes('logo') ? 1 : 0, 0.1]),
    );
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    service = await startService(readEnv({ DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: TOKEN, UIS_REDIS_PREFIX: prefix }), { port: await freePort() });
    env = {
      PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, REDIS_URL, UIS_REDIS_PREFIX: prefix, UIS_DATA_DIR: dataDir,
      OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-not-real', UIS_MODEL: 'gpt-4o-mini', UIS_EMBEDDINGS_MODEL: 'text-embedding-3-small',
    };
  });
  afterAll(async () => {
    await service?.close();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await fake?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves no trace of the user in PostgreSQL, Redis or the snapshot file after forget and sync', async () => {
    // Over HTTP: the victim's own conversations (bob replies in one), and a conversation of ana's the victim joins.
    const events = [
      message(conv(1), VICTIM, 0, `make a birthday video for my sister, ${PHRASE}`),
      { id: id(), conversation_id: conv(1), user_id: VICTIM, timestamp: at(1), event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 20, content: { params: { style: 'anime', note: PHRASE } } },
      message(conv(1), 'bob', 2, 'bob here: I can help with the birthday video'),
      message(conv(1), VICTIM, 3, `Always use the anime style, write to ${EMAIL}`),
      message(conv(2), 'ana', 10, 'make a birthday video for my team'),
      message(conv(2), VICTIM, 11, `victim chimes in: ${PHRASE}`),
      { id: id(), conversation_id: conv(2), user_id: 'ana', timestamp: at(12), event_type: 'completion', completion_status: 'completed' },
      message(conv(4), 'cai', 30, 'make a birthday video for my dad'),
      message(conv(5), 'dee', 40, 'design a logo for my bakery'),
      message(conv(6), 'eve', 50, 'design a logo for my gym'),
      message(conv(7), 'fay', 60, 'design a logo for my shop'),
    ];
    expect((await http('/v1/events', { method: 'POST', body: JSON.stringify({ events }) })).status).toBe(202);
    expect((await http('/v1/users', { method: 'POST', body: JSON.stringify({ user_id: VICTIM, email: EMAIL, created_at: `${DAY}T08:00:00Z` }) })).status).toBeLessThan(300);
    // Through the library: another conversation of the victim's.
    const client = new UisClient({ databaseUrl: db.url });
    await client.processMessage({ userId: VICTIM, conversationId: conv(3), message: `a birthday video again, ${PHRASE}`, toolCalls: [{ tool: 'video_gen', params: { seconds: 15 }, credits: 10 }], result: 'Here it is', timestamp: at(20) });
    await client.close();
    const stored = (await db.pool.query('SELECT count(*)::int AS n FROM conversation_events')).rows[0].n;

    // The profile builder has applied every event; the context API serves (and caches) the victim's memory.
    await expect.poll(async () => (await db.pool.query('SELECT count(*)::int AS n FROM uis_profile_applied')).rows[0].n, { timeout: 20_000 }).toBe(stored);
    await expect.poll(async () => (await http(`/v1/users/${VICTIM}/context`)).status, { timeout: 10_000 }).toBe(200);

    // uis sync, then Intelligence: the local analyzer, then the LLM (written back to PostgreSQL, clusters on embeddings).
    await uis('sync', '--quiet');
    await uis('intelligence', '--source', 'local');
    await uis('intelligence', '--source', 'llm', '--write-back');
    expect(fake.chatRequests().length).toBeGreaterThan(0);
    expect(fake.requests.some((r) => r.path.endsWith('/embeddings'))).toBe(true);
    await uis('sync', '--quiet');

    // Everything holds the victim now (so the search below can fail).
    const before = await findEverywhere();
    expect(before[VICTIM]).toEqual(expect.arrayContaining(['pg conversation_events', 'pg user_profiles', `redis ${prefix}uis:events`, 'file workspaces/env/snapshot.sqlite']));
    expect(before[PHRASE]).toEqual(expect.arrayContaining(['pg conversations', 'pg conversation_events']));
    expect(before[EMAIL]).toEqual(expect.arrayContaining(['pg user_profiles']));
    const snap = (sql: string) => run('sqlite3', [snapshotFile(), sql]).then((r) => r.stdout.trim(), () => null);
    const aiRows = await snap(`SELECT count(*) FROM ai_sent_log WHERE payload LIKE '%${PHRASE}%'`);
    if (aiRows !== null) expect(Number(aiRows)).toBeGreaterThan(0);

    const res = await http(`/v1/users/${VICTIM}`, { method: 'DELETE', headers: { 'x-requested-by': 'privacy-desk' } });
    expect(res.status).toBe(200);
    const removed = (await res.json()).removed;
    await uis('sync', '--quiet');

    const after = await findEverywhere();
    expect(after).toEqual({ [VICTIM]: [], [EMAIL]: [], [PHRASE]: [] });
    expect(removed).toMatchObject({ conversations: 2, shared_conversations: 1, recomputed_profiles: 2 });

    // The others keep what is theirs: ana's conversation without the victim's message, bob's profile recomputed.
    const ana = (await db.pool.query('SELECT user_id, first_intent, message_count FROM conversations WHERE id = $1', [conv(2)])).rows[0];
    expect(ana).toEqual({ user_id: 'ana', first_intent: 'make a birthday video for my team', message_count: 1 });
    const bob = (await db.pool.query(`SELECT total_messages FROM user_profiles WHERE user_id = 'bob'`)).rows[0];
    expect(bob.total_messages).toBe(0);
    const inSnapshot = await snap(`SELECT (SELECT count(*) FROM conversations WHERE id = '${conv(2)}') || ',' || (SELECT count(*) FROM events WHERE conversation_id = '${conv(2)}') || ',' || (SELECT count(*) FROM events WHERE conversation_id = '${conv(1)}')`);
    if (inSnapshot !== null) expect(inSnapshot).toBe('1,2,0');

    // A second forget finds nothing and is recorded all the same.
    const again = await http(`/v1/users/${VICTIM}`, { method: 'DELETE' });
    expect(again.status).toBe(200);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM uis_forget_audit')).rows[0].n).toBe(2);
  }, 180_000);
});
