import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifyUser, trackEvents } from '../../src/main/ingest/capture.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

// The product seed's four batch queries, copied verbatim from issue 2 ("must run unmodified on the migrated schema").
const ACTIVATION_FUNNEL = `
-- 1. Activation Funnel
WITH user_journey AS (
    SELECT
        user_id,
        MIN(started_at) as first_conversation,
        COUNT(DISTINCT DATE(started_at)) as active_days,
        SUM(credits_used) as total_credits,
        MAX(CASE WHEN tools_used ? 'video_gen' THEN 1 ELSE 0 END) as created_video,
        MAX(CASE WHEN completion_status = 'completed' THEN 1 ELSE 0 END) as completed_any
    FROM conversations
    GROUP BY user_id
)
SELECT
    COUNT(*) as total_users,
    SUM(CASE WHEN active_days >= 1 THEN 1 ELSE 0 END) as day_1_active,
    SUM(CASE WHEN created_video = 1 THEN 1 ELSE 0 END) as created_content,
    SUM(CASE WHEN total_credits >= 90 THEN 1 ELSE 0 END) as high_usage,
    SUM(CASE WHEN completed_any = 1 THEN 1 ELSE 0 END) as successful_users
FROM user_journey;
`;

const INTENT_EXTRACTION = `
-- 2. Intent Extraction (What are users trying to do?)
SELECT
    DATE(timestamp) as day,
    content->>'message' as user_message,
    tool_name,
    success,
    COUNT(*) as frequency
FROM conversation_events
WHERE event_type = 'message'
GROUP BY 1, 2, 3, 4
ORDER BY frequency DESC;
`;

const FAILURE_POINTS = `
-- 3. Failure Points (Where do users get stuck?)
SELECT
    tool_name,
    content->>'error' as error_type,
    COUNT(*) as failure_count,
    COUNT(DISTINCT user_id) as affected_users
FROM conversation_events
WHERE success = false
GROUP BY 1, 2
ORDER BY failure_count DESC;
`;

const CREDIT_EXHAUSTION = `
-- 4. Credit Exhaustion (PMF signal - wanting more)
SELECT
    user_id,
    email,
    total_credits_used,
    credit_exhaustion_count,
    last_active_at
FROM user_profiles
WHERE total_credits_used >= 90
ORDER BY credit_exhaustion_count DESC;
`;

const conv = (n: number) => `0193a500-0000-7000-8000-${String(n).padStart(12, '0')}`;
const at = (day: number, second: number) => `2026-03-0${day}T10:00:${String(second).padStart(2, '0')}Z`;
const localDay = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

describe("the seed's batch queries run unmodified on the migrated schema", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    const msg = (c: number, user: string, day: number, s: number, message: string) =>
      ({ conversation_id: conv(c), user_id: user, timestamp: at(day, s), event_type: 'message', content: { role: 'user', message } }) as const;
    const tool = (c: number, user: string, day: number, s: number, tool_name: string, success: boolean, credits: number, error?: string) =>
      ({ conversation_id: conv(c), user_id: user, timestamp: at(day, s), event_type: 'tool_call', tool_name, success, credits_consumed: credits, content: error ? { error } : {} }) as const;
    const done = (c: number, user: string, day: number, s: number, completion_status: 'completed' | 'abandoned' | 'blocked_by_credits') =>
      ({ conversation_id: conv(c), user_id: user, timestamp: at(day, s), event_type: 'completion', completion_status }) as const;
    const outOfCredits = (c: number, user: string, day: number, s: number) =>
      ({ conversation_id: conv(c), user_id: user, timestamp: at(day, s), event_type: 'error', success: false, content: { error: 'out_of_credits' } }) as const;

    await trackEvents(db.pool, [
      // u1: two days, a video, 95 credits, one completed conversation.
      msg(1, 'u1', 1, 0, 'make a video'), tool(1, 'u1', 1, 1, 'video_gen', true, 50), done(1, 'u1', 1, 2, 'completed'),
      msg(2, 'u1', 2, 0, 'make a video'), tool(2, 'u1', 2, 1, 'video_gen', false, 45, 'timeout'), outOfCredits(2, 'u1', 2, 2),
      // u2: one day, a failed image, 5 credits, abandoned.
      msg(3, 'u2', 1, 0, 'write a poem'), tool(3, 'u2', 1, 1, 'image_gen', false, 5, 'content_policy'), msg(3, 'u2', 1, 2, 'write a poem'),
      done(3, 'u2', 1, 3, 'abandoned'),
      // u3: a video for 90 credits, then blocked by credits.
      msg(4, 'u3', 3, 0, 'make a video'), tool(4, 'u3', 3, 1, 'video_gen', true, 90), outOfCredits(4, 'u3', 3, 2), done(4, 'u3', 3, 3, 'blocked_by_credits'),
    ]);
    await identifyUser(db.pool, { user_id: 'u1', email: 'u1@example.com' });
    await identifyUser(db.pool, { user_id: 'u3', email: 'u3@example.com' });
    // credit_exhaustion_count is the profile builder's; set here as it would.
    await db.pool.query(`UPDATE user_profiles SET credit_exhaustion_count = CASE user_id WHEN 'u3' THEN 2 WHEN 'u1' THEN 1 ELSE 0 END`);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('1. Activation Funnel', async () => {
    const { rows } = await db.pool.query(ACTIVATION_FUNNEL);
    expect(rows).toEqual([{ total_users: 3, day_1_active: 3, created_content: 2, high_usage: 2, successful_users: 1 }]);
  });

  it('2. Intent Extraction', async () => {
    const { rows } = await db.pool.query(INTENT_EXTRACTION);
    const result = rows.map((r) => [localDay(r.day), r.user_message, r.tool_name, r.success, r.frequency]);
    expect(result[0]).toEqual(['2026-03-01', 'write a poem', null, null, 2]);
    expect(result.slice(1).sort()).toEqual([
      ['2026-03-01', 'make a video', null, null, 1],
      ['2026-03-02', 'make a video', null, null, 1],
      ['2026-03-03', 'make a video', null, null, 1],
    ]);
  });

  it('3. Failure Points', async () => {
    const { rows } = await db.pool.query(FAILURE_POINTS);
    expect(rows[0]).toEqual({ tool_name: null, error_type: 'out_of_credits', failure_count: 2, affected_users: 2 });
    expect(rows.slice(1).sort((a, b) => a.tool_name.localeCompare(b.tool_name))).toEqual([
      { tool_name: 'image_gen', error_type: 'content_policy', failure_count: 1, affected_users: 1 },
      { tool_name: 'video_gen', error_type: 'timeout', failure_count: 1, affected_users: 1 },
    ]);
  });

  it('4. Credit Exhaustion', async () => {
    const { rows } = await db.pool.query(CREDIT_EXHAUSTION);
    expect(rows).toEqual([
      { user_id: 'u3', email: 'u3@example.com', total_credits_used: 90, credit_exhaustion_count: 2, last_active_at: '2026-03-03T10:00:03.000Z' },
      { user_id: 'u1', email: 'u1@example.com', total_credits_used: 95, credit_exhaustion_count: 1, last_active_at: '2026-03-02T10:00:02.000Z' },
    ]);
  });
});
