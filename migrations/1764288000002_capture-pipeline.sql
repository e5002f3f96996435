-- What the design adds to the seed's tables, without renaming anything:
--   * change_seq + updated_at on every table, kept by triggers: incremental sync reads "what changed since seq N".
--   * uis_outbox: filled in the same transaction as the events; the relay moves it to Redis (stream + pub/sub).
--   * One statement-level trigger on conversation_events keeps conversations, user_profiles and the outbox current.
--     Every door (library, HTTP, a platform's own INSERT or COPY) goes through it, so there is one code path.
--   * Idempotency: event ids are the primary key; writers use ON CONFLICT (id) DO NOTHING and the trigger
--     only sees rows that were really inserted, so a replayed event changes no aggregate.

-- Up Migration
-- The seed's TIMESTAMP columns default to NOW(); with the database's sessions in UTC, a platform's own INSERT that
-- leaves `timestamp` out stores UTC too (our pools set TimeZone=UTC themselves).
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET TimeZone = ''UTC''', current_database()); END $$;

CREATE SEQUENCE uis_change_seq;

ALTER TABLE conversations
    ADD COLUMN change_seq BIGINT NOT NULL DEFAULT nextval('uis_change_seq'),
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE conversation_events
    ADD COLUMN change_seq BIGINT NOT NULL DEFAULT nextval('uis_change_seq'),
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE user_profiles
    ADD COLUMN change_seq BIGINT NOT NULL DEFAULT nextval('uis_change_seq'),
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();

CREATE INDEX conversations_change_seq ON conversations (change_seq);
CREATE INDEX conversation_events_change_seq ON conversation_events (change_seq);
CREATE INDEX user_profiles_change_seq ON user_profiles (change_seq);
CREATE INDEX conversations_user ON conversations (user_id, started_at);
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, timestamp);

CREATE FUNCTION uis_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := nextval('uis_change_seq');
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER uis_touch BEFORE UPDATE ON conversations FOR EACH ROW EXECUTE FUNCTION uis_touch();
CREATE TRIGGER uis_touch BEFORE UPDATE ON conversation_events FOR EACH ROW EXECUTE FUNCTION uis_touch();
CREATE TRIGGER uis_touch BEFORE UPDATE ON user_profiles FOR EACH ROW EXECUTE FUNCTION uis_touch();

-- {a: 1} + {a: 2, b: 1} = {a: 3, b: 1}
CREATE FUNCTION uis_add_counts(a JSONB, b JSONB) RETURNS JSONB LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(jsonb_object_agg(k, v), '{}'::jsonb)
    FROM (
        SELECT k, SUM(v::int) AS v
        FROM (
            SELECT key AS k, value AS v FROM jsonb_each_text(COALESCE(a, '{}'::jsonb))
            UNION ALL
            SELECT key, value FROM jsonb_each_text(COALESCE(b, '{}'::jsonb))
        ) s
        GROUP BY k
    ) t
$$;

-- Slim on purpose: the relay reads the event itself from conversation_events when it publishes, so an event is
-- written once (not twice), and an event forgotten before publication is never published.
CREATE TABLE uis_outbox (
    seq BIGSERIAL PRIMARY KEY,
    event_id UUID NOT NULL,
    conversation_id UUID,
    user_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A new conversation counts once in its user's profile, whoever inserted it.
CREATE FUNCTION uis_on_conversations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_profiles AS p (user_id, created_at, total_conversations, last_active_at)
    SELECT user_id, MIN(started_at), COUNT(*), MAX(started_at)
    FROM new_rows GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET
        total_conversations = COALESCE(p.total_conversations, 0) + EXCLUDED.total_conversations,
        created_at = LEAST(p.created_at, EXCLUDED.created_at),
        last_active_at = GREATEST(p.last_active_at, EXCLUDED.last_active_at);
    RETURN NULL;
END $$;

CREATE TRIGGER uis_conversations_inserted AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION uis_on_conversations_inserted();

-- The planner cannot know that a batch touches only a few conversations (it guesses 200 groups from the transition
-- table), so it hash-joins against a full scan of conversations: fine at 10k rows, ruinous at millions. Without
-- hash and merge joins each touched conversation is fetched through its primary key, at any table size.
CREATE FUNCTION uis_on_events_inserted() RETURNS trigger LANGUAGE plpgsql
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
        tools_used = CASE WHEN agg.tools IS NULL THEN c.tools_used
                          ELSE uis_add_counts(c.tools_used, agg.tools) END,
        first_intent = COALESCE(c.first_intent, agg.first_intent),
        completion_status = COALESCE(agg.completion_status, c.completion_status)
    FROM (
        SELECT
            e.conversation_id,
            MIN(e.timestamp) AS first_at,
            MAX(e.timestamp) AS last_at,
            COUNT(*) FILTER (WHERE e.event_type = 'message') AS messages,
            COALESCE(SUM(e.credits_consumed), 0) AS credits,
            (SELECT jsonb_object_agg(t.tool_name, t.n) FROM (
                SELECT x.tool_name, COUNT(*) AS n FROM new_rows x
                WHERE x.conversation_id = e.conversation_id AND x.event_type = 'tool_call' AND x.tool_name IS NOT NULL
                GROUP BY x.tool_name) t) AS tools,
            (ARRAY_AGG(e.content->>'message' ORDER BY e.timestamp, e.id)
                FILTER (WHERE e.event_type = 'message' AND COALESCE(e.content->>'role', 'user') = 'user'
                        AND e.content->>'message' IS NOT NULL))[1] AS first_intent,
            (ARRAY_AGG(e.content->>'completion_status' ORDER BY e.timestamp DESC, e.id DESC)
                FILTER (WHERE e.event_type = 'completion' AND e.content->>'completion_status' IS NOT NULL))[1]
                AS completion_status
        FROM new_rows e
        GROUP BY e.conversation_id
    ) agg
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

    -- The seq default is drawn above the sort, so seqs follow event time within the batch.
    INSERT INTO uis_outbox (event_id, conversation_id, user_id)
    SELECT id, conversation_id, user_id FROM new_rows ORDER BY timestamp, id;

    PERFORM pg_notify('uis_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER uis_events_inserted AFTER INSERT ON conversation_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION uis_on_events_inserted();

-- Down Migration
DROP TRIGGER IF EXISTS uis_events_inserted ON conversation_events;
DROP FUNCTION IF EXISTS uis_on_events_inserted();
DROP TRIGGER IF EXISTS uis_conversations_inserted ON conversations;
DROP FUNCTION IF EXISTS uis_on_conversations_inserted();
DROP TABLE IF EXISTS uis_outbox;
DROP FUNCTION IF EXISTS uis_add_counts(JSONB, JSONB);
DROP TRIGGER IF EXISTS uis_touch ON conversations;
DROP TRIGGER IF EXISTS uis_touch ON conversation_events;
DROP TRIGGER IF EXISTS uis_touch ON user_profiles;
DROP FUNCTION IF EXISTS uis_touch();
ALTER TABLE conversations DROP COLUMN change_seq, DROP COLUMN updated_at;
ALTER TABLE conversation_events DROP COLUMN change_seq, DROP COLUMN updated_at;
ALTER TABLE user_profiles DROP COLUMN change_seq, DROP COLUMN updated_at;
DROP SEQUENCE IF EXISTS uis_change_seq;
DROP INDEX IF EXISTS conversations_user;
DROP INDEX IF EXISTS conversation_events_conversation;
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET TimeZone', current_database()); END $$;
