import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { forgetHash, loadForgetKey } from '../../src/main/snapshot/audit-hash.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, freePort, testPrefix } from '../helpers/redis.js';

const TOKEN = 'context-test-token';
const hex = (n: number) => n.toString(16).padStart(12, '0');
let seq = 0;
const id = () => `0193c000-0000-7000-9000-${hex(++seq)}`;
const convId = (n: number) => `0193c000-0000-7000-8000-${hex(n)}`;

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('context API and forget over HTTP (uis serve)', () => {
  let db: TestDatabase;
  let redis: Redis;
  let service: RunningService;
  const prefix = testPrefix();
  let base: string;

  const http = (path: string, init: RequestInit & { token?: string | null } = {}) =>
    fetch(base + path, {
      ...init,
      headers: {
        ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? TOKEN}` }),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
  /** Waits until the user's context is cached and no invalidation is still on its way: two hits 150 ms apart. */
  const cachedSettled = (user: string) =>
    waitFor(async () => {
      const first = (await http(`/v1/users/${user}/context`)).headers.get('x-uis-cache');
      await new Promise((r) => setTimeout(r, 150));
      return first === 'hit' && (await http(`/v1/users/${user}/context`)).headers.get('x-uis-cache') === 'hit';
    });
  const post = (events: unknown[]) => http('/v1/events', { method: 'POST', body: JSON.stringify({ events }) });

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    const env = readEnv({ DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: TOKEN, UIS_REDIS_PREFIX: prefix });
    service = await startService(env, { port: await freePort() });
    base = service.url;
  });
  afterAll(async () => {
    await service.close();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db.drop();
  });

  it('serves profile, preferences, prompts, recent conversations, credits and a prompt block; a new event shows in it', async () => {
    const c1 = convId(1);
    const c2 = convId(2);
    const now = Date.now();
    const at = (s: number) => new Date(now - 3600_000 + s * 1000).toISOString();
    const res = await post([
      { id: id(), conversation_id: c1, user_id: 'alice', timestamp: at(0), event_type: 'message', content: { role: 'user', message: 'A teaser for my shoe brand' } },
      { id: id(), conversation_id: c1, user_id: 'alice', timestamp: at(1), event_type: 'message', content: { role: 'user', message: 'Always make it vertical.' } },
      { id: id(), conversation_id: c1, user_id: 'alice', timestamp: at(5), event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 40, content: { params: { style: 'cinematic', duration: 15 } } },
      { id: id(), conversation_id: c1, user_id: 'alice', timestamp: at(60), event_type: 'completion', completion_status: 'completed' },
      { id: id(), conversation_id: c2, user_id: 'alice', timestamp: at(100), event_type: 'message', content: { role: 'user', message: 'a teaser for my shoe brand' } },
      { id: id(), conversation_id: c2, user_id: 'alice', timestamp: at(105), event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 45, content: { params: { style: 'cinematic', duration: 15 } } },
      { id: id(), conversation_id: c2, user_id: 'alice', timestamp: at(110), event_type: 'error', tool_name: 'video_gen', success: false, content: { error: 'insufficient_credits' } },
      { id: id(), conversation_id: c2, user_id: 'alice', timestamp: at(120), event_type: 'completion', completion_status: 'blocked_by_credits' },
    ]);
    expect(res.status).toBe(202);

    const ctx = await waitFor(async () => {
      const r = await http('/v1/users/alice/context');
      const body = r.status === 200 ? await r.json() : null;
      return body?.profile?.credit_exhaustion_count === 1 && body.frequent_prompts.length ? body : null;
    });
    expect(ctx.user_id).toBe('alice');
    expect(ctx.profile).toMatchObject({
      total_conversations: 2,
      total_messages: 3,
      total_credits_used: 85,
      primary_use_case: 'marketing_content',
      preferred_tools: [{ tool: 'video_gen', count: 2, share: 1 }],
      completion_rate: 0.5,
      // Ran out (an insufficient_credits error and the blocked_by_credits completion after it) counts as power_user.
      activation_status: 'power_user',
      retention_cohort: 'day_1',
      // One conversation hit the limit: one episode, however many exhaustion events it holds.
      credit_exhaustion_count: 1,
    });
    expect(ctx.preferences).toEqual([
      { key: 'aspect_ratio', value: '9:16', source: 'stated', confidence: 0.85, count: 1, last_seen: at(1), history: [{ value: '9:16', stated_at: at(1), excerpt: 'Always make it vertical.', superseded_at: null }] },
      { key: 'duration', value: '15', source: 'observed', confidence: 0.67, count: 2, last_seen: at(105), history: [] },
      { key: 'style', value: 'cinematic', source: 'observed', confidence: 0.67, count: 2, last_seen: at(105), history: [] },
    ]);
    expect(ctx.frequent_prompts).toEqual(['a teaser for my shoe brand']);
    expect(ctx.recent_conversations.map((c: { id: string; outcome: string; blocker: string | null; intent: string }) => [c.id, c.outcome, c.blocker, c.intent])).toEqual([
      [c2, 'blocked_by_credits', 'ran out of credits', 'a teaser for my shoe brand'],
      [c1, 'completed', null, 'A teaser for my shoe brand'],
    ]);
    expect(ctx.credits).toEqual({ allowance: 100, used: 85, left: 15 });
    expect(ctx.summary).toContain('Hit the credit limit 1 time; 15 credits left.');
    expect(ctx.prompt).toContain('- Preferences (apply unless the user asks otherwise): aspect ratio = 9:16 (stated by the user, high confidence); duration = 15 (chosen 2 times, medium confidence); style = cinematic (chosen 2 times, medium confidence).');
    expect(ctx.prompt).toContain('- Credits left: 15 of 100.');
    console.log(`context prompt block:\n${ctx.prompt}`);

    // Cached: once the builder's change announcement has come (it follows the commit), reads are hits.
    await cachedSettled('alice');

    // Through the whole service: each POSTed preference shows in the context (the cache is invalidated). How fast is
    // `npm run bench:context`'s freshness figure, not an assert here: a wall-clock bound would test the machine's load.
    for (let i = 0; i < 5; i++) {
      const tone = i % 2 ? 'casual' : 'formal';
      await post([{ id: id(), conversation_id: convId(10 + i), user_id: 'alice', event_type: 'message', content: { role: 'user', message: `I prefer a ${tone} tone` } }]);
      await waitFor(async () => {
        const b = (await (await http('/v1/users/alice/context?fields=preferences')).json()) as { preferences: Array<{ key: string; value: string }> };
        return b.preferences.find((p) => p.key === 'tone')?.value === tone;
      });
    }
  });

  it('?fields= trims the answer and is validated', async () => {
    const r = await http('/v1/users/alice/context?fields=credits,prompt');
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(Object.keys(body).sort()).toEqual(['credits', 'prompt', 'updated_at', 'user_id']);

    const bad = await http('/v1/users/alice/context?fields=credits,secrets');
    expect(bad.status).toBe(400);
    const err = await bad.json();
    expect(err.error).toBe('invalid_request');
    expect(err.message).toContain('fields[1]');
    expect(err.message).toContain('profile, preferences, summary');

    const unknownParam = await http('/v1/users/alice/context?feilds=credits');
    expect(unknownParam.status).toBe(400);
    expect((await unknownParam.json()).message).toContain('feilds');
  });

  it('unknown users, bad ids and bad tokens get clear answers', async () => {
    const missing = await http('/v1/users/nobody/context');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'user_not_found', message: 'No profile for user "nobody": no events or identify call stored for this id' });

    const tooLong = await http(`/v1/users/${'x'.repeat(201)}/context`);
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).message).toBe('id: must be at most 200 characters');

    const badDelete = await http(`/v1/users/${'x'.repeat(201)}`, { method: 'DELETE' });
    expect(badDelete.status).toBe(400);
    expect((await badDelete.json()).message).toBe('id: must be at most 200 characters');
    const badActor = await http('/v1/users/alice', { method: 'DELETE', headers: { 'x-requested-by': 'y'.repeat(201) } });
    expect(badActor.status).toBe(400);
    expect((await badActor.json()).message).toContain('x-requested-by');

    const noToken = await http('/v1/users/alice/context', { token: null });
    expect(noToken.status).toBe(401);
    expect((await noToken.json()).message).toBe('Missing Authorization: Bearer <UIS_API_TOKEN>');
    const wrong = await http('/v1/users/alice/context', { token: 'wrong-token-xyz' });
    expect(wrong.status).toBe(401);
    const wrongBody = await wrong.text();
    expect(wrongBody).not.toContain(TOKEN);
    const del = await http('/v1/users/alice', { method: 'DELETE', token: 'wrong-token-xyz' });
    expect(del.status).toBe(401);
    expect((await http('/v1/users/alice/context')).status).toBe(200);
  });

  it('DELETE /v1/users/:id forgets everything it promises and writes the audit; uis forget does the same', async () => {
    const events = (user: string, conv: number) => [
      { id: id(), conversation_id: convId(conv), user_id: user, event_type: 'message', content: { role: 'user', message: 'always use the anime style' } },
      { id: id(), conversation_id: convId(conv), user_id: user, event_type: 'tool_call', tool_name: 'image_gen', success: true, credits_consumed: 3, content: { params: { style: 'anime' } } },
      { id: id(), conversation_id: convId(conv), user_id: user, event_type: 'completion', completion_status: 'completed' },
    ];
    await post([...events('zoe', 100), ...events('zoe', 101), ...events('yan', 102)]);
    await waitFor(async () => (await http('/v1/users/zoe/context')).status === 200 && (await http('/v1/users/yan/context')).status === 200);
    await waitFor(async () => (await db.pool.query("SELECT count(*)::int AS n FROM uis_profile_applied WHERE user_id IN ('zoe','yan')")).rows[0].n === 9);
    await cachedSettled('zoe');
    const stream = streamKeys(prefix).stream;
    const usersInStream = async () => (await redis.xrange(stream, '-', '+')).map(([, f]) => JSON.parse(f[1]).user_id as string);
    expect((await usersInStream()).filter((u) => u === 'zoe')).toHaveLength(6);

    const res = await http('/v1/users/zoe', { method: 'DELETE', headers: { 'x-requested-by': 'privacy-desk' } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      user_id: 'zoe',
      requested_by: 'api:privacy-desk',
      removed: { events: 6, conversations: 2, profiles: 1, outbox: 0, stream_entries: 6, cached_contexts: 1, shared_conversations: 0, recomputed_profiles: 0 },
      warnings: [],
    });
    // Ledger 6 + observed style 1 + statements 2 (one per conversation) + prompt pattern 1.
    expect(body.removed.memory_rows).toBe(10);

    for (const table of ['conversation_events', 'conversations', 'user_profiles', 'uis_profile_applied', 'uis_preference_evidence', 'uis_preference_statements', 'uis_prompt_patterns']) {
      const n = (await db.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = 'zoe'`)).rows[0].n;
      expect(n, table).toBe(0);
    }
    expect((await usersInStream()).filter((u) => u === 'zoe')).toHaveLength(0);
    expect((await usersInStream()).filter((u) => u === 'yan')).toHaveLength(3);
    expect((await http('/v1/users/zoe/context')).status).toBe(404);
    expect((await http('/v1/users/yan/context')).status).toBe(200);
    // The audit names the user by a keyed hash only (no table holds a forgotten user's id).
    const zoeHash = forgetHash(await loadForgetKey(db.pool), 'zoe');
    const audit = (await db.pool.query('SELECT user_hash, requested_by, removed FROM uis_forget_audit WHERE user_hash = $1', [zoeHash])).rows;
    expect(audit).toEqual([{ user_hash: zoeHash, requested_by: 'api:privacy-desk', removed: body.removed }]);

    // Idempotent: nothing left to remove, the request is recorded all the same.
    const again = await http('/v1/users/zoe', { method: 'DELETE' });
    expect(again.status).toBe(200);
    const againBody = await again.json();
    expect(againBody.removed).toMatchObject({ events: 0, conversations: 0, profiles: 0, outbox: 0, memory_rows: 0, stream_entries: 0 });
    expect(againBody.warnings).toEqual(['Nothing was stored for user "zoe"; the request is recorded in the audit all the same.']);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM uis_forget_audit WHERE user_hash = $1', [zoeHash])).rows[0].n).toBe(2);

    // The CLI door.
    const run = promisify(execFile);
    const env = { ...process.env, DATABASE_URL: db.url, REDIS_URL, UIS_REDIS_PREFIX: prefix };
    const cli = await run('node', ['bin/uis.js', 'forget', 'yan', '--by', 'ops'], { env });
    expect(cli.stdout).toMatch(/^Forgot user yan: 3 events, 1 conversations, 1 profile, 0 unpublished, \d+ memory rows, 3 stream entries, 0 shared conversations and 0 other profiles recomputed \(audit #\d+, by cli:ops\)\.$/m);
    expect((await usersInStream()).filter((u) => u === 'yan')).toHaveLength(0);
    await waitFor(async () => (await http('/v1/users/yan/context')).status === 404, 2000);
    const rerun = await run('node', ['bin/uis.js', 'forget', 'yan'], { env });
    expect(rerun.stdout).toContain('warning: Nothing was stored for user "yan"; the request is recorded in the audit all the same.');
  });
});
