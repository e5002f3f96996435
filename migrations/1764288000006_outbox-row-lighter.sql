-- The outbox row of a capture statement, written for less (auto_explain, 500-event batches: 0.55-0.88 -> 0.17-0.23 ms):
--   * a statement of up to 1,000 events sorts its ids once inside array_agg (no window function, no second sort);
--   * event_ids is stored without compression: a row of 500 ids (8 kB) is moved out of line anyway, and random
--     UUID bytes do not compress, so every attempt was wasted work.

-- Up Migration
ALTER TABLE uis_outbox ALTER COLUMN event_ids SET STORAGE EXTERNAL;

-- 1764288000005's function with only the outbox part changed (why hash and merge joins are off: see there).
CREATE OR REPLACE FUNCTION uis_on_events_inserted() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
    -- Lock the touched conversations in id order so outbox order equals commit order within a conversation.
    -- NO KEY UPDATE, not UPDATE: the foreign-key check already holds KEY SHARE on these rows, and two batches
    -- upgrading KEY SHARE to UPDATE on the same conversation would deadlock each other.
    PERFORM 1 FROM conversations c
    WHERE c.id IN (SELECT DISTINCT conversation_id FROM new_rows)
    ORDER BY c.id FOR NO KEY UPDATE;

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
        first_intent = COALESCE(c.first_intent, agg.first_intent),
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

-- Down Migration
ALTER TABLE uis_outbox ALTER COLUMN event_ids SET STORAGE EXTENDED;

-- 1764288000005's function, as it was.
CREATE OR REPLACE FUNCTION uis_on_events_inserted() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
    -- Lock the touched conversations in id order so outbox order equals commit order within a conversation.
    -- NO KEY UPDATE, not UPDATE: the foreign-key check already holds KEY SHARE on these rows, and two batches
    -- upgrading KEY SHARE to UPDATE on the same conversation would deadlock each other.
    PERFORM 1 FROM conversations c
    WHERE c.id IN (SELECT DISTINCT conversation_id FROM new_rows)
    ORDER BY c.id FOR NO KEY UPDATE;

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
        first_intent = COALESCE(c.first_intent, agg.first_intent),
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

    -- Ids in event-time order, cut into rows of at most 1,000 (a platform's COPY of a million rows is one statement);
    -- the seq default is drawn after the ORDER BY, so seqs follow that order too.
    INSERT INTO uis_outbox (event_ids)
    SELECT array_agg(id ORDER BY n) FROM (
        SELECT id, row_number() OVER (ORDER BY timestamp, id) - 1 AS n FROM new_rows
    ) r
    GROUP BY n / 1000 ORDER BY n / 1000;

    PERFORM pg_notify('uis_outbox', '');
    RETURN NULL;
END $$;
