-- User memory kept by the profile builder (src/main/profiles) and the forget audit (src/main/forget).
--   * uis_profile_applied: the processed-event ledger. The stream is at-least-once; an event id already here is
--     skipped, so a redelivered event (worker crash before XACK, relay retry) changes no count.
--   * uis_preference_evidence: tool parameters the user chose (observed), one row per (user, key, value) with a count.
--   * uis_preference_statements: preferences the user stated in a message; the full history is kept, the newest
--     statement per key is the current one (older contradicting ones are superseded, not deleted).
--   * uis_prompt_patterns: normalized user requests with a count: the source of frequently_used_prompts.
--   * uis_profile_watermark: how far (conversation_events.change_seq) the reconciler has checked that every stored
--     event reached the ledger; it applies what the stream lost (trimmed by MAXLEN, Redis restarted empty).
--   * uis_forget_audit: who forgot which user, when, and how much was removed. change_seq lets the snapshot sync
--     ask "forgets after seq N" and delete the user's snapshot rows.

-- Up Migration
CREATE TABLE uis_profile_applied (
    event_id UUID PRIMARY KEY,
    user_id TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX uis_profile_applied_user ON uis_profile_applied (user_id);

CREATE TABLE uis_preference_evidence (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    count INT NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key, value)
);

CREATE TABLE uis_preference_statements (
    event_id UUID NOT NULL,
    key TEXT NOT NULL,
    user_id TEXT NOT NULL,
    value TEXT NOT NULL,
    stated_at TIMESTAMP NOT NULL,
    excerpt TEXT NOT NULL,
    PRIMARY KEY (event_id, key)
);
CREATE INDEX uis_preference_statements_user ON uis_preference_statements (user_id, key, stated_at);

CREATE TABLE uis_prompt_patterns (
    user_id TEXT NOT NULL,
    pattern TEXT NOT NULL,
    count INT NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    example TEXT NOT NULL,
    PRIMARY KEY (user_id, pattern)
);

CREATE TABLE uis_profile_watermark (
    name TEXT PRIMARY KEY,
    change_seq BIGINT NOT NULL
);

CREATE TABLE uis_forget_audit (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    removed JSONB NOT NULL,
    change_seq BIGINT NOT NULL DEFAULT nextval('uis_change_seq')
);
CREATE INDEX uis_forget_audit_change_seq ON uis_forget_audit (change_seq);

-- Down Migration
DROP TABLE IF EXISTS uis_forget_audit;
DROP TABLE IF EXISTS uis_profile_watermark;
DROP TABLE IF EXISTS uis_prompt_patterns;
DROP TABLE IF EXISTS uis_preference_statements;
DROP TABLE IF EXISTS uis_preference_evidence;
DROP TABLE IF EXISTS uis_profile_applied;
