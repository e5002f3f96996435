-- user_profiles.credit_exhaustion_count kept by the capture path, like the other aggregates: the user's credit-exhaustion
-- EPISODES (docs/metrics.md; src/shared/metric-definitions.ts): conversations in which the user hit the credit limit (an
-- insufficient_credits error or a blocked_by_credits completion, however many). Before, the column (the seed's, read by
-- its query 4 and the Credits page's "Times hit limit") stayed NULL until `uis profiles rebuild`, and that rebuild
-- counted errors only.
--   * The capture trigger (1764288000007's function, restated with one step added after the profile upsert) adds a
--     user's new episodes; a profile the trigger creates or touches without one holds 0, not NULL.
--   * New profiles start at 0 (the column's default); existing ones are backfilled from their stored events.
--   * The profile builder's recompute (src/main/profiles/store.ts) writes the same count.

-- Up Migration
ALTER TABLE user_profiles ALTER COLUMN credit_exhaustion_count SET DEFAULT 0;

-- 1764288000007's function with the episode step (and the upsert's 0 for a NULL count) added.
CREATE OR REPLACE FUNCTION uis_on_events_inserted() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
    -- Lock the touched conversations in id order so outbox order equals commit order within a conversation.
    -- NO KEY UPDATE, not UPDATE: the foreign-key check already holds KEY SHARE on these rows, and two batches
    -- upgrading KEY SHARE to UPDATE on the same conversation would deadlock each other.
    PERFORM 1 FROM conversations c
    WHERE c.id IN (SELECT DISTINCT conversation_id FROM new_rows)
    ORDER BY c.id FOR NO KEY UPDATE;

    -- The owner (docs/schema.md, "Who owns a conversation"): the user of its earliest event, (timestamp, id) order.
    -- The conversation row's user_id is whoever created it (capture.ts: the batch's earliest event; a platform's own
    -- INSERT: whatever it wrote), so it changes here when this batch holds an event earlier than every stored one
    -- and that event's user is another: a direct-SQL row written for the wrong user, or an earlier event arriving
    -- late. Usually the batch's earliest event is the owner's and nothing is probed. Read after the lock above, so a
    -- batch of the same conversation committed meanwhile is seen. The conversation moves between the two users'
    -- total_conversations, and its first_intent is taken again from the new owner's messages.
    -- The row's user first, the stored events only for a row of another user (MATERIALIZED keeps that order: left
    -- to itself the planner probed the events of every conversation of the batch first).
    WITH firsts AS (
        SELECT DISTINCT ON (conversation_id) conversation_id, user_id, timestamp, id
        FROM new_rows ORDER BY conversation_id, timestamp, id
    ), others AS MATERIALIZED (
        SELECT c.id, c.user_id AS old_owner, f.user_id AS new_owner, f.timestamp AS started_at, f.id AS event_id
        FROM firsts f JOIN conversations c ON c.id = f.conversation_id
        WHERE c.user_id IS DISTINCT FROM f.user_id
    ), moved AS MATERIALIZED (
        SELECT o.id, o.old_owner, o.new_owner, o.started_at FROM others o
        WHERE NOT EXISTS (SELECT 1 FROM conversation_events e
                          WHERE e.conversation_id = o.id AND e.timestamp <= o.started_at
                            AND (e.timestamp < o.started_at OR e.id < o.event_id))
    ), owned AS (
        UPDATE conversations c SET user_id = m.new_owner, first_intent = uis_owner_first_intent(m.id, m.new_owner)
        FROM moved m WHERE c.id = m.id
    ), lost AS (
        UPDATE user_profiles p SET total_conversations = GREATEST(COALESCE(p.total_conversations, 0) - l.n, 0)
        FROM (SELECT old_owner, COUNT(*) AS n FROM moved GROUP BY old_owner) l WHERE p.user_id = l.old_owner
    )
    INSERT INTO user_profiles AS p (user_id, created_at, total_conversations, last_active_at)
    SELECT new_owner, MIN(started_at), COUNT(*), MAX(started_at) FROM moved GROUP BY new_owner ORDER BY new_owner
    ON CONFLICT (user_id) DO UPDATE SET
        total_conversations = COALESCE(p.total_conversations, 0) + EXCLUDED.total_conversations,
        created_at = LEAST(p.created_at, EXCLUDED.created_at),
        last_active_at = GREATEST(p.last_active_at, EXCLUDED.last_active_at);

    UPDATE conversations c SET
        last_message_at = GREATEST(c.last_message_at, agg.last_at),
        started_at = LEAST(c.started_at, agg.first_at),
        message_count = COALESCE(c.message_count, 0) + agg.messages,
        credits_used = COALESCE(c.credits_used, 0) + agg.credits,
        -- The batch's counts added to the stored ones: `||` keeps the tools the batch did not use.
        tools_used = CASE WHEN tc.tools IS NULL THEN c.tools_used
                          WHEN c.tools_used IS NULL THEN tc.tools
                          ELSE c.tools_used || (SELECT jsonb_object_agg(t.key, t.value::int + COALESCE((c.tools_used->>t.key)::int, 0))
                                                FROM jsonb_each_text(tc.tools) t) END,
        -- The owner's first user message. Usually every user message of the batch is one user's (no sort needed to
        -- know: their smallest and largest user ids are equal): the owner's, whose first of the batch is the
        -- conversation's first while it has none, or another participant's, which changes nothing. Taken again from
        -- every stored event when users mix in the batch, or when the owner's first message of the batch is not
        -- later than the last stored event (it arrived late, and may be the earlier one). Another user's message
        -- never becomes the first_intent.
        first_intent = CASE
            WHEN agg.intent_user_min IS NULL THEN c.first_intent
            WHEN agg.intent_user_min <> agg.intent_user_max THEN uis_owner_first_intent(c.id, c.user_id)
            WHEN agg.intent_user_min <> c.user_id THEN c.first_intent
            WHEN c.first_intent IS NULL THEN agg.first_intent
            WHEN agg.first_intent_at <= c.last_message_at THEN uis_owner_first_intent(c.id, c.user_id)
            ELSE c.first_intent END,
        completion_status = COALESCE(agg.completion_status, c.completion_status)
    FROM (
        SELECT
            e.conversation_id,
            MIN(e.timestamp) AS first_at,
            MAX(e.timestamp) AS last_at,
            COUNT(*) FILTER (WHERE e.event_type = 'message') AS messages,
            COALESCE(SUM(e.credits_consumed), 0) AS credits,
            (ARRAY_AGG(e.content->>'message' ORDER BY e.timestamp, e.id)
                FILTER (WHERE e.event_type = 'message' AND COALESCE(e.content->>'role', 'user') = 'user'
                        AND e.content->>'message' IS NOT NULL))[1] AS first_intent,
            -- Whose the batch's user messages are, and when the first was: plain aggregates (an ordered aggregate
            -- sorts once per conversation, which a batch spread over 500 conversations pays 500 times).
            MIN(e.user_id) FILTER (WHERE e.event_type = 'message' AND COALESCE(e.content->>'role', 'user') = 'user'
                                   AND e.content->>'message' IS NOT NULL) AS intent_user_min,
            MAX(e.user_id) FILTER (WHERE e.event_type = 'message' AND COALESCE(e.content->>'role', 'user') = 'user'
                                   AND e.content->>'message' IS NOT NULL) AS intent_user_max,
            MIN(e.timestamp) FILTER (WHERE e.event_type = 'message' AND COALESCE(e.content->>'role', 'user') = 'user'
                                     AND e.content->>'message' IS NOT NULL) AS first_intent_at,
            (ARRAY_AGG(e.content->>'completion_status' ORDER BY e.timestamp DESC, e.id DESC)
                FILTER (WHERE e.event_type = 'completion' AND e.content->>'completion_status' IS NOT NULL))[1]
                AS completion_status
        FROM new_rows e
        GROUP BY e.conversation_id
    ) agg
    -- Tool counts of each conversation in the batch, grouped once (not a subquery over the batch per conversation).
    LEFT JOIN (
        SELECT t.conversation_id, jsonb_object_agg(t.tool_name, t.n) AS tools
        FROM (SELECT conversation_id, tool_name, COUNT(*) AS n FROM new_rows
              WHERE event_type = 'tool_call' AND tool_name IS NOT NULL GROUP BY conversation_id, tool_name) t
        GROUP BY t.conversation_id
    ) tc ON tc.conversation_id = agg.conversation_id
    WHERE c.id = agg.conversation_id;

    INSERT INTO user_profiles AS p (user_id, created_at, total_messages, total_credits_used, last_active_at)
    SELECT user_id, MIN(timestamp), COUNT(*) FILTER (WHERE event_type = 'message'),
           COALESCE(SUM(credits_consumed), 0), MAX(timestamp)
    FROM new_rows GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET
        total_messages = COALESCE(p.total_messages, 0) + EXCLUDED.total_messages,
        total_credits_used = COALESCE(p.total_credits_used, 0) + EXCLUDED.total_credits_used,
        last_active_at = GREATEST(p.last_active_at, EXCLUDED.last_active_at),
        created_at = COALESCE(p.created_at, EXCLUDED.created_at),
        credit_exhaustion_count = COALESCE(p.credit_exhaustion_count, 0);

    -- Credit-exhaustion episodes (src/shared/metric-definitions.ts, creditExhaustionEventSql): a conversation in which
    -- the user hit the credit limit, an insufficient_credits error or a blocked_by_credits completion, however many of
    -- them it holds. A (user, conversation) adds one when every such event of it is in this batch (the conversation
    -- is locked above, so a batch of it committed meanwhile is counted); one the user had hit the limit in already adds
    -- nothing. A batch without such an event reads nothing beyond new_rows.
    UPDATE user_profiles p SET credit_exhaustion_count = COALESCE(p.credit_exhaustion_count, 0) + x.n
    FROM (
        SELECT b.user_id, COUNT(*) AS n
        FROM (SELECT user_id, conversation_id, COUNT(*) AS in_batch FROM new_rows
              WHERE conversation_id IS NOT NULL AND ((event_type = 'completion' AND content->>'completion_status' = 'blocked_by_credits') OR content->>'error' IN ('insufficient_credits'))
              GROUP BY user_id, conversation_id) b
        WHERE (SELECT COUNT(*) FROM conversation_events e
               WHERE e.conversation_id = b.conversation_id AND e.user_id = b.user_id AND ((e.event_type = 'completion' AND e.content->>'completion_status' = 'blocked_by_credits') OR e.content->>'error' IN ('insufficient_credits'))) = b.in_batch
        GROUP BY b.user_id
    ) x
    WHERE p.user_id = x.user_id;

    -- Ids in event-time order, one outbox row per statement. A batch of up to 1,000 (every batch of the HTTP API and
    -- the library) is one array_agg over one sort; a larger statement (a platform's COPY of a million rows) is cut
    -- into rows of 1,000, the seq default drawn after the ORDER BY so seqs follow that order too.
    IF (SELECT count(*) FROM new_rows) <= 1000 THEN
        INSERT INTO uis_outbox (event_ids) SELECT array_agg(id ORDER BY timestamp, id) FROM new_rows HAVING count(*) > 0;
    ELSE
        INSERT INTO uis_outbox (event_ids)
        SELECT array_agg(id ORDER BY n) FROM (
            SELECT id, row_number() OVER (ORDER BY timestamp, id) - 1 AS n FROM new_rows
        ) r
        GROUP BY n / 1000 ORDER BY n / 1000;
    END IF;

    PERFORM pg_notify('uis_outbox', '');
    RETURN NULL;
END $$;

-- Existing profiles: their episodes from the stored events (0 without one).
UPDATE user_profiles p SET credit_exhaustion_count = COALESCE(x.n, 0)
FROM user_profiles q
LEFT JOIN (SELECT user_id, COUNT(DISTINCT conversation_id) AS n FROM conversation_events
           WHERE conversation_id IS NOT NULL AND ((event_type = 'completion' AND content->>'completion_status' = 'blocked_by_credits') OR content->>'error' IN ('insufficient_credits'))
           GROUP BY user_id) x ON x.user_id = q.user_id
WHERE p.user_id = q.user_id AND p.credit_exhaustion_count IS DISTINCT FROM COALESCE(x.n, 0);

-- Down Migration
-- 1764288000007's function, as it was (the counts stay as they are).
ALTER TABLE user_profiles ALTER COLUMN credit_exhaustion_count DROP DEFAULT;

CREATE OR REPLACE FUNCTION uis_on_events_inserted() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
    -- Lock the touched conversations in id order so outbox order equals commit order within a conversation.
    -- NO KEY UPDATE, not UPDATE: the foreign-key check already holds KEY SHARE on these rows, and two batches
    -- upgrading KEY SHARE to UPDATE on the same conversation would deadlock each other.
    PERFORM 1 FROM conversations c
    WHERE c.id IN (SELECT DISTINCT conversation_id FROM new_rows)
    ORDER BY c.id FOR NO KEY UPDATE;

    -- The owner (docs/schema.md, "Who owns a conversation"): the user of its earliest event, (timestamp, id) order.
    -- The conversation row's user_id is whoever created it (capture.ts: the batch's earliest event; a platform's own
    -- INSERT: whatever it wrote), so it changes here when this batch holds an event earlier than every stored one
    -- and that event's user is another: a direct-SQL row written for the wrong user, or an earlier event arriving
    -- late. Usually the batch's earliest event is the owner's and nothing is probed. Read after the lock above, so a
    -- batch of the same conversation committed meanwhile is seen. The conversation moves between the two users'
    -- total_conversations, and its first_intent is taken again from the new owner's messages.
    -- The row's user first, the stored events only for a row of another user (MATERIALIZED keeps that order: left
    -- to itself the planner probed the events of every conversation of the batch first).
    WITH firsts AS (
        SELECT DISTINCT ON (conversation_id) conversation_id, user_id, timestamp, id
        FROM new_rows ORDER BY conversation_id, timestamp, id
    ), others AS MATERIALIZED (
        SELECT c.id, c.user_id AS old_owner, f.user_id AS new_owner, f.timestamp AS started_at, f.id AS event_id
        FROM firsts f JOIN conversations c ON c.id = f.conversation_id
        WHERE c.user_id IS DISTINCT FROM f.user_id
    ), moved AS MATERIALIZED (
        SELECT o.id, o.old_owner, o.new_owner, o.started_at FROM others o
        WHERE NOT EXISTS (SELECT 1 FROM conversation_events e
                          WHERE e.conversation_id = o.id AND e.timestamp <= o.started_at
                            AND (e.timestamp < o.started_at OR e.id < o.event_id))
    ), owned AS (
        UPDATE conversations c SET user_id = m.new_owner, first_intent = uis_owner_first_intent(m.id, m.new_owner)
        FROM moved m WHERE c.id = m.id
    ), lost AS (
        UPDATE user_profiles p SET total_conversations = GREATEST(COALESCE(p.total_conversations, 0) - l.n, 0)
        FROM (SELECT old_owner, COUNT(*) AS n FROM moved GROUP BY old_owner) l WHERE p.user_id = l.old_owner
    )
    INSERT INTO user_profiles AS p (user_id, created_at, total_conversations, last_active_at)
    SELECT new_owner, MIN(started_at), COUNT(*), MAX(started_at) FROM moved GROUP BY new_owner ORDER BY new_owner
    ON CONFLICT (user_id) DO UPDATE SET
        total_conversations = COALESCE(p.total_conversations, 0) + EXCLUDED.total_conversations,
        created_at = LEAST(p.created_at, EXCLUDED.created_at),
        last_active_at = GREATEST(p.last_active_at, EXCLUDED.last_active_at);

    UPDATE conversations c SET
        last_message_at = GREATEST(c.last_message_at, agg.last_at),
        started_at = LEAST(c.started_at, agg.first_at),
        message_count = COALESCE(c.message_count, 0) + agg.messages,
        credits_used = COALESCE(c.credits_used, 0) + agg.credits,
        -- The batch's counts added to the stored ones: `||` keeps the tools the batch did not use.
        tools_used = CASE WHEN tc.tools IS NULL THEN c.tools_used
                          WHEN c.tools_used IS NULL THEN tc.tools
                          ELSE c.tools_used || (SELECT jsonb_object_agg(t.key, t.value::int + COALESCE((c.tools_used->>t.key)::int, 0))
                                                FROM jsonb_each_text(tc.tools) t) END,
        -- The owner's first user message. Usually every user message of the batch is one user's (no sort needed to
        -- know: their smallest and largest user ids are equal): the owner's, whose first of the batch is the
        -- conversation's first while it has none, or another participant's, which changes nothing. Taken again from
        -- every stored event when users mix in the batch, or when the owner's first message of the batch is not
        -- later than the last stored event (it arrived late, and may be the earlier one). Another user's message
        -- never becomes the first_intent.
        first_intent = CASE
            WHEN agg.intent_user_min IS NULL THEN c.first_intent
            WHEN agg.intent_user_min <> agg.intent_user_max THEN uis_owner_first_intent(c.id, c.user_id)
            WHEN agg.intent_user_min <> c.user_id THEN c.first_intent
            WHEN c.first_intent IS NULL THEN agg.first_intent
            WHEN agg.first_intent_at <= c.last_message_at THEN uis_owner_first_intent(c.id, c.user_id)
            ELSE c.first_intent END,
        completion_status = COALESCE(agg.completion_status, c.completion_status)
    FROM (
        SELECT
            e.conversation_id,
            MIN(e.timestamp) AS first_at,
            MAX(e.timestamp) AS last_at,
            COUNT(*) FILTER (WHERE e.event_type = 'message') AS messages,
            COALESCE(SUM(e.credits_consumed), 0) AS credits,
            (ARRAY_AGG(e.content->>'message' ORDER BY e.timestamp, e.id)
                FILTER (WHERE e.event_type = 'message' AND COALESCE(e.content->>'role', 'user') = 'user'
                        AND e.content->>'message' IS NOT NULL))[1] AS first_intent,
            -- Whose the batch's user messages are, and when the first was: plain aggregates (an ordered aggregate
            -- sorts once per conversation, which a batch spread over 500 conversations pays 500 times).
            MIN(e.user_id) FILTER (WHERE e.event_type = 'message' AND COALESCE(e.content->>'role', 'user') = 'user'
                                   AND e.content->>'message' IS NOT NULL) AS intent_user_min,
            MAX(e.user_id) FILTER (WHERE e.event_type = 'message' AND COALESCE(e.content->>'role', 'user') = 'user'
                                   AND e.content->>'message' IS NOT NULL) AS intent_user_max,
            MIN(e.timestamp) FILTER (WHERE e.event_type = 'message' AND COALESCE(e.content->>'role', 'user') = 'user'
                                     AND e.content->>'message' IS NOT NULL) AS first_intent_at,
            (ARRAY_AGG(e.content->>'completion_status' ORDER BY e.timestamp DESC, e.id DESC)
                FILTER (WHERE e.event_type = 'completion' AND e.content->>'completion_status' IS NOT NULL))[1]
                AS completion_status
        FROM new_rows e
        GROUP BY e.conversation_id
    ) agg
    -- Tool counts of each conversation in the batch, grouped once (not a subquery over the batch per conversation).
    LEFT JOIN (
        SELECT t.conversation_id, jsonb_object_agg(t.tool_name, t.n) AS tools
        FROM (SELECT conversation_id, tool_name, COUNT(*) AS n FROM new_rows
              WHERE event_type = 'tool_call' AND tool_name IS NOT NULL GROUP BY conversation_id, tool_name) t
        GROUP BY t.conversation_id
    ) tc ON tc.conversation_id = agg.conversation_id
    WHERE c.id = agg.conversation_id;

    INSERT INTO user_profiles AS p (user_id, created_at, total_messages, total_credits_used, last_active_at)
    SELECT user_id, MIN(timestamp), COUNT(*) FILTER (WHERE event_type = 'message'),
           COALESCE(SUM(credits_consumed), 0), MAX(timestamp)
    FROM new_rows GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET
        total_messages = COALESCE(p.total_messages, 0) + EXCLUDED.total_messages,
        total_credits_used = COALESCE(p.total_credits_used, 0) + EXCLUDED.total_credits_used,
        last_active_at = GREATEST(p.last_active_at, EXCLUDED.last_active_at),
        created_at = COALESCE(p.created_at, EXCLUDED.created_at);

    -- Ids in event-time order, one outbox row per statement. A batch of up to 1,000 (every batch of the HTTP API and
    -- the library) is one array_agg over one sort; a larger statement (a platform's COPY of a million rows) is cut
    -- into rows of 1,000, the seq default drawn after the ORDER BY so seqs follow that order too.
    IF (SELECT count(*) FROM new_rows) <= 1000 THEN
        INSERT INTO uis_outbox (event_ids) SELECT array_agg(id ORDER BY timestamp, id) FROM new_rows HAVING count(*) > 0;
    ELSE
        INSERT INTO uis_outbox (event_ids)
        SELECT array_agg(id ORDER BY n) FROM (
            SELECT id, row_number() OVER (ORDER BY timestamp, id) - 1 AS n FROM new_rows
        ) r
        GROUP BY n / 1000 ORDER BY n / 1000;
    END IF;

    PERFORM pg_notify('uis_outbox', '');
    RETURN NULL;
END $$;
