/**
 * The product seed's four batch queries, verbatim (issue 2). The engine computes the same numbers on the snapshot
 * (seedFunnel, intentFrequency, failurePoints, creditExhaustion); tests/integration/crosscheck.test.ts proves it and
 * src/main/bench/analytics.ts times these on PostgreSQL beside the engine.
 */
export const ACTIVATION_FUNNEL = `
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

export const INTENT_EXTRACTION = `
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

export const FAILURE_POINTS = `
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

export const CREDIT_EXHAUSTION = `
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

export const SEED_QUERIES = { ACTIVATION_FUNNEL, INTENT_EXTRACTION, FAILURE_POINTS, CREDIT_EXHAUSTION } as const;
