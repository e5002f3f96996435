import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackEvents } from '../../src/main/ingest/capture.js';
import { ProfileBuilder } from '../../src/main/profiles/builder.js';
import { loadPreferenceEvidence, rebuildProfiles } from '../../src/main/profiles/store.js';
import { OutboxRelay } from '../../src/main/stream/relay.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import type { EventInput } from '../../src/shared/event.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

const NOW = new Date('2026-03-10T12:00:00Z');
const hex = (n: number, w = 12) => n.toString(16).padStart(w, '0');
const conv = (u: number, c: number) => `0193b000-0000-7000-8000-${hex(u * 1000 + c)}`;
let seq = 0;
const evId = () => `0193b000-0000-7000-9000-${hex(++seq)}`;

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A realistic conversation: a request, tool calls with params, and a completion. */
function conversation(user: string, u: number, c: number, day: number, opts: { message: string; style: string; status?: 'completed' | 'blocked_by_credits'; credits?: number }): EventInput[] {
  const t = (m: number) => new Date(Date.UTC(2026, 2, day, 10, m)).toISOString();
  const id = conv(u, c);
  return [
    { id: evId(), conversation_id: id, user_id: user, timestamp: t(0), event_type: 'message', content: { role: 'user', message: opts.message } },
    { id: evId(), conversation_id: id, user_id: user, timestamp: t(1), event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: opts.credits ?? 10, content: { params: { prompt: opts.message, style: opts.style, aspect_ratio: '9:16' } } },
    { id: evId(), conversation_id: id, user_id: user, timestamp: t(2), event_type: 'tool_call', tool_name: 'image_gen', success: true, credits_consumed: 2, content: { params: { style: opts.style } } },
    // Running out: the insufficient_credits error and the blocked completion after it are one episode.
    ...(opts.status === 'blocked_by_credits' ? [{ id: evId(), conversation_id: id, user_id: user, timestamp: t(11), event_type: 'error' as const, success: false, content: { error: 'insufficient_credits' } }] : []),
    { id: evId(), conversation_id: id, user_id: user, timestamp: t(12), event_type: 'completion', completion_status: opts.status ?? 'completed' },
  ];
}

describe('profile builder (consumer group on the stream)', () => {
  let db: TestDatabase;
  let redis: Redis;
  const prefix = testPrefix();
  let relay: OutboxRelay;

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    relay = new OutboxRelay(db.pool, redis, { keyPrefix: prefix, pollMs: 50 });
  });
  afterAll(async () => {
    await relay.stop();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db.drop();
  });

  it('keeps every derived field current as events arrive (how fast: bench:context, freshness)', async () => {
    const builder = new ProfileBuilder(db.pool, redis, { keyPrefix: prefix, now: () => NOW, blockMs: 500 });
    builder.start();
    relay.start();
    try {
      await trackEvents(db.pool, [
        ...conversation('alice', 1, 1, 1, { message: 'Make an ad for my shoe brand', style: 'cinematic' }),
        ...conversation('alice', 1, 2, 3, { message: 'make an ad for my shoe brand', style: 'cinematic' }),
        ...conversation('alice', 1, 3, 9, { message: 'Always make it vertical. Product launch teaser', style: 'anime', status: 'blocked_by_credits', credits: 80 }),
      ]);
      const p = await waitFor(async () => {
        const r = (await db.pool.query('SELECT * FROM user_profiles WHERE user_id = $1', ['alice'])).rows[0];
        return r?.context_summary && r.credit_exhaustion_count === 1 ? r : null;
      });
      expect(p).toMatchObject({
        total_conversations: 3,
        total_messages: 3,
        total_credits_used: 106,
        primary_use_case: 'marketing_content',
        preferred_tools: { video_gen: 3, image_gen: 3 },
        average_session_length: 12,
        retention_cohort: 'week_2',
        activation_status: 'power_user',
        credit_exhaustion_count: 1,
        preferences: { aspect_ratio: '9:16', style: 'cinematic' },
        frequently_used_prompts: ['make an ad for my shoe brand'],
      });
      expect(p.completion_rate).toBeCloseTo(2 / 3, 5);
      expect(p.context_summary).toContain('Mainly uses the product for marketing content (3 conversations, 3 messages since 2026-03-01)');
      expect(p.context_summary).toContain('aspect ratio 9:16 (stated, high confidence)');

      // Each newly stated preference reaches the profile (the latest one wins). How fast is `npm run bench:context`'s
      // freshness figure, not an assert here: a wall-clock bound would test the machine's load.
      for (let i = 0; i < 5; i++) {
        await trackEvents(db.pool, [{ id: evId(), conversation_id: conv(1, 10 + i), user_id: 'alice', timestamp: new Date(Date.UTC(2026, 2, 9, 11, i)).toISOString(), event_type: 'message', content: { role: 'user', message: `I prefer a ${i % 2 ? 'casual' : 'professional'} tone` } }]);
        const want = i % 2 ? 'casual' : 'professional';
        await waitFor(async () => (await db.pool.query("SELECT preferences->>'tone' AS t FROM user_profiles WHERE user_id = 'alice'")).rows[0]?.t === want);
      }
    } finally {
      await relay.stop();
      await builder.stop();
    }
  });

  it('a worker killed mid-batch: another claims its pending entries and every event is applied exactly once', async () => {
    const users = ['bob', 'carol', 'dave', 'erin', 'ivan', 'judy', 'kim', 'leo'];
    const events = users.flatMap((u, i) => [
      ...conversation(u, 10 + i, 1, 2, { message: `make a product video number ${i}`, style: 'noir' }),
      ...conversation(u, 10 + i, 2, 4, { message: `make a product video number ${i + 1}`, style: 'noir' }),
    ]);
    await trackEvents(db.pool, events);
    await relay.drainOnce();

    const group = 'crash-test';
    let committed = 0;
    const doomed = new ProfileBuilder(db.pool, redis, {
      keyPrefix: prefix,
      group,
      consumer: 'doomed',
      batchSize: 1000,
      now: () => NOW,
      afterUserCommit: () => {
        // Dies after two users of the batch are committed, before the batch is acknowledged.
        if (++committed === 2) doomed.kill();
      },
    });
    // The group starts at the events of this test only.
    const before = (await redis.xrevrange(streamKeys(prefix).stream, '+', '-', 'COUNT', events.length + 1)).at(-1)![0];
    await redis.xgroup('CREATE', streamKeys(prefix).stream, group, before);
    doomed.start();
    await waitFor(async () => committed >= 2);
    await doomed.stop();
    const pending = (await redis.xpending(streamKeys(prefix).stream, group)) as [number, ...unknown[]];
    expect(pending[0]).toBe(events.length);

    // Users in flight when it died (4 at a time) may have committed too: count what the ledger holds.
    const ledgerCount = async () => (await db.pool.query('SELECT COUNT(*)::int AS n FROM uis_profile_applied WHERE user_id = ANY($1)', [users])).rows[0].n as number;
    const appliedBeforeCrash = await ledgerCount();
    expect(appliedBeforeCrash).toBeGreaterThanOrEqual(16);
    expect(appliedBeforeCrash).toBeLessThan(events.length);

    const survivor = new ProfileBuilder(db.pool, redis, { keyPrefix: prefix, group, consumer: 'survivor', claimIdleMs: 100, now: () => NOW });
    await new Promise((r) => setTimeout(r, 150));
    survivor.start();
    await waitFor(async () => ((await redis.xpending(streamKeys(prefix).stream, group)) as [number])[0] === 0);
    await survivor.stop();
    // What was committed before the crash was skipped by the ledger; the rest applied now.
    expect(survivor.appliedCount).toBe(events.length - appliedBeforeCrash);
    expect(await ledgerCount()).toBe(events.length);

    for (const u of users) {
      const { observed } = await loadPreferenceEvidence(db.pool, u);
      // 2 conversations × (video_gen + image_gen) chose style noir: exactly 4, not 8.
      expect(observed.find((o) => o.key === 'style')).toMatchObject({ value: 'noir', count: 4 });
      expect(observed.find((o) => o.key === 'aspect_ratio')).toMatchObject({ value: '9:16', count: 2 });
      const ledger = await db.pool.query('SELECT COUNT(*)::int AS n FROM uis_profile_applied WHERE user_id = $1', [u]);
      expect(ledger.rows[0].n).toBe(8);
      const prompts = await db.pool.query('SELECT pattern, count FROM uis_prompt_patterns WHERE user_id = $1', [u]);
      expect(prompts.rows).toEqual([{ pattern: 'make a product video number #', count: 2 }]);
    }

    // Reprocessing everything changes nothing: a rebuild from PostgreSQL gives the same profiles.
    const snapshot = async () => (await db.pool.query('SELECT user_id, preferences, preferred_tools, frequently_used_prompts, context_summary, credit_exhaustion_count, activation_status FROM user_profiles WHERE user_id = ANY($1) ORDER BY user_id', [users])).rows;
    const live = await snapshot();
    await rebuildProfiles(db.pool, { users, now: () => NOW });
    expect(await snapshot()).toEqual(live);
    expect(live[0].frequently_used_prompts).toEqual(['make a product video number #']);
  });

  it('several workers share the stream through the consumer group; each event is applied once', async () => {
    const users = Array.from({ length: 6 }, (_, i) => `shared${i}`);
    const events = users.flatMap((u, i) => conversation(u, 30 + i, 1, 3, { message: 'a birthday video for my mom', style: 'retro' }));
    const group = 'share-test';
    const stream = streamKeys(prefix).stream;
    const last = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    await redis.xgroup('CREATE', stream, group, last);
    const workers = ['w1', 'w2'].map((consumer) => new ProfileBuilder(db.pool, redis, { keyPrefix: prefix, group, consumer, batchSize: 3, blockMs: 300, now: () => NOW }));
    for (const w of workers) w.start();
    await new Promise((r) => setTimeout(r, 300));
    await trackEvents(db.pool, events);
    await relay.drainOnce();
    await waitFor(async () => workers.reduce((n, w) => n + w.appliedCount, 0) === events.length);
    await new Promise((r) => setTimeout(r, 300));
    for (const w of workers) await w.stop();
    console.log(`two workers applied ${workers.map((w) => w.appliedCount).join(' + ')} of ${events.length} events`);
    expect(workers.reduce((n, w) => n + w.appliedCount, 0)).toBe(events.length);
    const rows = (await db.pool.query('SELECT user_id, primary_use_case, preferences FROM user_profiles WHERE user_id = ANY($1) ORDER BY user_id', [users])).rows;
    // One conversation: style chosen twice (video + image) counts, aspect ratio chosen once does not yet.
    expect(rows).toEqual(users.map((u) => ({ user_id: u, primary_use_case: 'personal_video', preferences: { style: 'retro' } })));
  });

  it('a newer stated preference supersedes an older contradicting one; history is kept', async () => {
    await trackEvents(db.pool, [
      { id: evId(), conversation_id: conv(50, 1), user_id: 'frank', timestamp: '2026-03-01T09:00:00Z', event_type: 'message', content: { role: 'user', message: 'Always make it vertical, it is for reels' } },
      { id: evId(), conversation_id: conv(50, 2), user_id: 'frank', timestamp: '2026-03-05T09:00:00Z', event_type: 'message', content: { role: 'user', message: 'From now on I want everything horizontal for YouTube' } },
      // An assistant echo is not the user's preference.
      { id: evId(), conversation_id: conv(50, 2), user_id: 'frank', timestamp: '2026-03-05T09:00:01Z', event_type: 'message', content: { role: 'assistant', message: 'Sure, I will always use square videos' } },
    ]);
    await rebuildProfiles(db.pool, { users: ['frank'], now: () => NOW });
    const p = (await db.pool.query('SELECT preferences FROM user_profiles WHERE user_id = $1', ['frank'])).rows[0];
    expect(p.preferences).toEqual({ aspect_ratio: '16:9' });
    const history = await db.pool.query('SELECT value, stated_at FROM uis_preference_statements WHERE user_id = $1 ORDER BY stated_at', ['frank']);
    expect(history.rows).toEqual([
      { value: '9:16', stated_at: '2026-03-01T09:00:00.000Z' },
      { value: '16:9', stated_at: '2026-03-05T09:00:00.000Z' },
    ]);
  });

  it('events the stream lost (Redis restarted empty) still reach the profile through the reconciler', async () => {
    await trackEvents(db.pool, conversation('gina', 60, 1, 8, { message: 'a wedding video for my family', style: 'vintage' }));
    await relay.drainOnce();
    // Redis loses everything before any builder read it: the stream and its groups are gone.
    await redis.del(streamKeys(prefix).stream);
    const builder = new ProfileBuilder(db.pool, redis, { keyPrefix: prefix, consumer: 'after-restart', reconcileMs: 100, reconcileGraceMs: 0, now: () => NOW });
    builder.start();
    try {
      const p = await waitFor(async () => (await db.pool.query("SELECT preferences, primary_use_case FROM user_profiles WHERE user_id = 'gina' AND context_summary IS NOT NULL")).rows[0]);
      expect(p).toEqual({ preferences: { style: 'vintage' }, primary_use_case: 'personal_video' });
      expect((await db.pool.query("SELECT count(*)::int AS n FROM uis_profile_applied WHERE user_id = 'gina'")).rows[0].n).toBe(4);
    } finally {
      await builder.stop();
    }
  });
});
