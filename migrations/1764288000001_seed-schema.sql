-- The seed's three tables, column for column (names and types as in the product spec).
-- The seed declares its indexes MySQL-style inside CREATE TABLE; here they are PostgreSQL indexes with the same names.

-- Up Migration
CREATE TABLE conversations (
    id UUID PRIMARY KEY,
    user_id TEXT NOT NULL,
    started_at TIMESTAMP DEFAULT NOW(),
    last_message_at TIMESTAMP,
    message_count INT DEFAULT 0,
    credits_used INT DEFAULT 0,

    -- Metadata
    first_intent TEXT,
    tools_used JSONB,
    completion_status TEXT,

    -- Computed fields (updated by pipeline)
    user_satisfaction_signal INT,
    extracted_use_case TEXT,
    blocker_reason TEXT
);

CREATE TABLE conversation_events (
    id UUID PRIMARY KEY,
    conversation_id UUID REFERENCES conversations(id),
    user_id TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT NOW(),
    event_type TEXT,

    content JSONB,

    tool_name TEXT,
    success BOOLEAN,
    credits_consumed INT
);
CREATE INDEX idx_user_events ON conversation_events (user_id, timestamp);
CREATE INDEX idx_tool_usage ON conversation_events (tool_name, timestamp);

CREATE TABLE user_profiles (
    user_id TEXT PRIMARY KEY,
    email TEXT,
    created_at TIMESTAMP,

    total_conversations INT DEFAULT 0,
    total_messages INT DEFAULT 0,
    total_credits_used INT DEFAULT 0,
    last_active_at TIMESTAMP,

    primary_use_case TEXT,
    preferred_tools JSONB,
    average_session_length INT,
    completion_rate FLOAT,

    retention_cohort TEXT,
    activation_status TEXT,
    credit_exhaustion_count INT,

    preferences JSONB,
    context_summary TEXT,
    frequently_used_prompts TEXT[]
);

-- Down Migration
DROP TABLE IF EXISTS conversation_events;
DROP TABLE IF EXISTS conversations;
DROP TABLE IF EXISTS user_profiles;
