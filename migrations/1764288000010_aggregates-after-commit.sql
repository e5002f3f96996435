-- Conversation and profile aggregates applied after the capture transaction, not inside it (issue 21; docs/capture.md,
-- "Aggregates after the commit"). The capture trigger computed every aggregate inside the statement that stores the
-- events: a batch spread over 500 conversations (live chat) wrote 500 conversation row versions per batch. Now:
--   * The trigger (every door: library, HTTP, a platform's own INSERT or COPY) stores the batch's event ids twice in
--     the events' transaction: its outbox row (relay -> Redis, as before) and a row of uis_aggregate_queue. An event is
--     accepted once its row, its outbox entry and its queue entry are committed; it still locks the touched
--     conversations, so per conversation the outbox order stays the commit order.
--   * uis_apply_aggregates() applies waiting queue rows: 1764288000008's statements, unchanged, over all the events of
--     the rows it takes, so N batches of one conversation become one UPDATE of it. The rows it takes are deleted in the
--     same transaction as the aggregate updates: an abort or a crash before the commit leaves them waiting and changes
--     nothing; after the commit they are gone. Every event is applied exactly once.
--   * One applier at a time: a transaction-scoped advisory lock. Another caller skips (wait => false) or waits and
--     then finds the rows gone. `uis serve` runs an applier woken by NOTIFY uis_aggregates (src/main/ingest/
--     aggregates.ts); the library applies what waits right after its own commit.
--   * Not yet applied = still listed in the queue. The owner rule and first_intent read every stored event and
--     converge in any order; the credit-exhaustion episode step counts applied events and the batch's own only, so an
--     episode whose events are in a batch not yet applied is counted once, when that batch is.

-- Up Migration
CREATE TABLE uis_aggregate_queue (
    seq BIGSERIAL PRIMARY KEY,
    event_ids UUID[] NOT NULL
);

-- The events of the pass running now (uis_apply_aggregates(); empty between passes). Unlogged: a crash empties it,
-- and nothing in it outlives its transaction. LIKE conversation_events: a column added there must be added here too.
CREATE UNLOGGED TABLE uis_aggregate_batch (LIKE conversation_events);

-- The taken rows' events are read through the primary key into uis_aggregate_batch, and the statements below are
-- 1764288000008's trigger's own over it (new_rows there). `applied`: the events applied, 0 when nothing waited, -1 when
-- another applier holds the lock (wait => false); `users`: whose profile or conversations changed (the events' users
-- and the touched conversations' owners), for the Context API's cache.
CREATE FUNCTION uis_apply_aggregates(max_rows INT DEFAULT 50, wait BOOLEAN DEFAULT false, OUT applied INT, OUT users TEXT[])
LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
    ids UUID[];
BEGIN
    applied := 0;
    IF wait THEN
        PERFORM pg_advisory_xact_lock(hashtext('uis_aggregates'));
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('uis_aggregates')) THEN
        applied := -1;
        RETURN;
    END IF;

    -- Taken and deleted at once, oldest first: the deletion commits with the aggregate updates below, or neither does.
    WITH taken AS (
        DELETE FROM uis_aggregate_queue
        WHERE seq IN (SELECT seq FROM uis_aggregate_queue ORDER BY seq LIMIT max_rows)
        RETURNING event_ids
    )
    SELECT array_agg(u.id) INTO ids FROM taken CROSS JOIN LATERAL unnest(taken.event_ids) AS u(id);
    IF ids IS NULL THEN
        RETURN;
    END IF;

    -- The pass's events in uis_aggregate_batch, which only the lock holder uses and leaves empty (TRUNCATE below: a
    -- DELETE left dead rows that every pass scanned again until a vacuum). Not a temporary table: one per pooled
    -- session slowed that session's exit (its temporary objects dropped) enough for the relay to miss its leadership
    -- retry, and a transaction-mode pooler does not keep them. Events forgotten meanwhile are simply not found.
    INSERT INTO uis_aggregate_batch SELECT e.* FROM unnest(ids) AS u(id) JOIN conversation_events e ON e.id = u.id;
    GET DIAGNOSTICS applied = ROW_COUNT;
    IF applied = 0 THEN
        RETURN;
    END IF;
    -- Before the owner rule may move a conversation away from its owner (who then loses it from their profile).
    SELECT array_agg(DISTINCT u) INTO users FROM (
        SELECT user_id AS u FROM uis_aggregate_batch
        UNION SELECT c.user_id FROM conversations c WHERE c.id IN (SELECT DISTINCT conversation_id FROM uis_aggregate_batch)
    ) x;

    -- The touched conversations locked in id order (a forget or a conversation's insert trigger may hold one).
    PERFORM 1 FROM conversations c
    WHERE c.id IN (SELECT DISTINCT conversation_id FROM uis_aggregate_batch)
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
        FROM uis_aggregate_batch ORDER BY conversation_id, timestamp, id
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
    ), shift AS (
        -- Each user's net change: a user can lose one conversation and gain another in the same pass (two owners
        -- swapped), and one statement must touch each profile row once: two updates of the same row in one
        -- statement keep only one of them (the count came out one too high for both users).
        SELECT user_id, SUM(d) AS n, MIN(started_at) AS first_at, MAX(started_at) AS last_at
        FROM (SELECT old_owner AS user_id, -1 AS d, NULL::timestamptz AS started_at FROM moved
              UNION ALL SELECT new_owner, 1, started_at FROM moved) x
        GROUP BY user_id
    ), lost AS (
        UPDATE user_profiles p SET total_conversations = GREATEST(COALESCE(p.total_conversations, 0) + s.n, 0),
            created_at = LEAST(p.created_at, s.first_at), last_active_at = GREATEST(p.last_active_at, s.last_at)
        FROM shift s WHERE s.n < 0 AND p.user_id = s.user_id
    )
    INSERT INTO user_profiles AS p (user_id, created_at, total_conversations, last_active_at)
    SELECT user_id, first_at, n, last_at FROM shift WHERE n >= 0 ORDER BY user_id
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
        FROM uis_aggregate_batch e
        GROUP BY e.conversation_id
    ) agg
    -- Tool counts of each conversation in the batch, grouped once (not a subquery over the batch per conversation).
    LEFT JOIN (
        SELECT t.conversation_id, jsonb_object_agg(t.tool_name, t.n) AS tools
        FROM (SELECT conversation_id, tool_name, COUNT(*) AS n FROM uis_aggregate_batch
              WHERE event_type = 'tool_call' AND tool_name IS NOT NULL GROUP BY conversation_id, tool_name) t
        GROUP BY t.conversation_id
    ) tc ON tc.conversation_id = agg.conversation_id
    WHERE c.id = agg.conversation_id;

    INSERT INTO user_profiles AS p (user_id, created_at, total_messages, total_credits_used, last_active_at)
    SELECT user_id, MIN(timestamp), COUNT(*) FILTER (WHERE event_type = 'message'),
           COALESCE(SUM(credits_consumed), 0), MAX(timestamp)
    FROM uis_aggregate_batch GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET
        total_messages = COALESCE(p.total_messages, 0) + EXCLUDED.total_messages,
        total_credits_used = COALESCE(p.total_credits_used, 0) + EXCLUDED.total_credits_used,
        last_active_at = GREATEST(p.last_active_at, EXCLUDED.last_active_at),
        created_at = COALESCE(p.created_at, EXCLUDED.created_at),
        credit_exhaustion_count = COALESCE(p.credit_exhaustion_count, 0);

    -- Credit-exhaustion episodes (src/shared/metric-definitions.ts, creditExhaustionEventSql): a conversation in which
    -- the user hit the credit limit, an insufficient_credits error or a blocked_by_credits completion, however many of
    -- them it holds. A (user, conversation) adds one when every such event of it that is applied or being applied
    -- is in this batch: events still waiting in the queue (committed after this batch was taken) are not counted yet,
    -- they are counted when their turn comes; one the user had hit the limit in already adds nothing. A batch without
    -- such an event reads nothing beyond uis_aggregate_batch.
    UPDATE user_profiles p SET credit_exhaustion_count = COALESCE(p.credit_exhaustion_count, 0) + x.n
    FROM (
        SELECT b.user_id, COUNT(*) AS n
        FROM (SELECT user_id, conversation_id, COUNT(*) AS in_batch FROM uis_aggregate_batch
              WHERE conversation_id IS NOT NULL AND ((event_type = 'completion' AND content->>'completion_status' = 'blocked_by_credits') OR content->>'error' IN ('insufficient_credits'))
              GROUP BY user_id, conversation_id) b
        WHERE (SELECT COUNT(*) FROM conversation_events e
               WHERE e.conversation_id = b.conversation_id AND e.user_id = b.user_id AND ((e.event_type = 'completion' AND e.content->>'completion_status' = 'blocked_by_credits') OR e.content->>'error' IN ('insufficient_credits'))
                 AND NOT EXISTS (SELECT 1 FROM uis_aggregate_queue q WHERE e.id = ANY (q.event_ids))) = b.in_batch
        GROUP BY b.user_id
    ) x
    WHERE p.user_id = x.user_id;

    TRUNCATE uis_aggregate_batch;
END $$;

-- Enqueue only (the lock keeps the relay's per-conversation order, as before).
CREATE OR REPLACE FUNCTION uis_on_events_inserted() RETURNS trigger LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
    -- Lock the touched conversations in id order so outbox order equals commit order within a conversation.
    -- NO KEY UPDATE, not UPDATE: the foreign-key check already holds KEY SHARE on these rows, and two batches
    -- upgrading KEY SHARE to UPDATE on the same conversation would deadlock each other.
    PERFORM 1 FROM conversations c
    WHERE c.id IN (SELECT DISTINCT conversation_id FROM new_rows)
    ORDER BY c.id FOR NO KEY UPDATE;

    -- Ids in event-time order, one outbox row per statement (rows of 1,000 for a larger statement, e.g. a platform's
    -- COPY); the aggregate queue gets the same arrays.
    IF (SELECT count(*) FROM new_rows) <= 1000 THEN
        WITH o AS (
            INSERT INTO uis_outbox (event_ids) SELECT array_agg(id ORDER BY timestamp, id) FROM new_rows HAVING count(*) > 0
            RETURNING event_ids
        )
        INSERT INTO uis_aggregate_queue (event_ids) SELECT event_ids FROM o;
    ELSE
        WITH o AS (
            INSERT INTO uis_outbox (event_ids)
            SELECT array_agg(id ORDER BY n) FROM (
                SELECT id, row_number() OVER (ORDER BY timestamp, id) - 1 AS n FROM new_rows
            ) r
            GROUP BY n / 1000 ORDER BY n / 1000
            RETURNING seq, event_ids
        )
        INSERT INTO uis_aggregate_queue (event_ids) SELECT event_ids FROM o ORDER BY seq;
    END IF;

    PERFORM pg_notify('uis_outbox', '');
    PERFORM pg_notify('uis_aggregates', '');
    RETURN NULL;
END $$;

-- Down Migration
-- Everything waiting is applied first, then 1764288000008's function is back.
SELECT * FROM uis_apply_aggregates(2147483647, true);

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

DROP FUNCTION IF EXISTS uis_apply_aggregates(INT, BOOLEAN, OUT INT, OUT TEXT[]);
DROP TABLE IF EXISTS uis_aggregate_queue;
DROP TABLE IF EXISTS uis_aggregate_batch;
