-- The forget audit no longer holds the forgotten user's id: a forgotten user must not be findable in any table, the
-- audit included. It keeps user_hash = hex(sha256(key || UTF-8 user id)), with a random key kept in this database
-- (uis_forget_key, one row): whoever is asked "was user X forgotten, when, by whom?" can still answer by hashing X,
-- and a snapshot sync learns which of its users to delete by hashing the ids it holds (src/main/forget/audit-hash.ts).
-- The key only stops a hash from being looked up in a table precomputed for every deployment; anyone who can read
-- this database and guess an id can test the guess, as they could ask the audit before.

-- Up Migration
CREATE TABLE uis_forget_key (
    singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    key BYTEA NOT NULL
);
-- 32 random bytes from gen_random_uuid() (built in, no extension): 2 x 122 random bits.
INSERT INTO uis_forget_key (key) VALUES (uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));

ALTER TABLE uis_forget_audit ADD COLUMN user_hash TEXT;
UPDATE uis_forget_audit a SET user_hash = encode(sha256(k.key || convert_to(a.user_id, 'UTF8')), 'hex') FROM uis_forget_key k;
ALTER TABLE uis_forget_audit ALTER COLUMN user_hash SET NOT NULL, DROP COLUMN user_id;
CREATE INDEX uis_forget_audit_user_hash ON uis_forget_audit (user_hash);

-- Down Migration
-- The ids cannot be recovered: each row keeps its hash in user_id ('sha256:<hex>'), so the column is NOT NULL again as
-- before this migration (tests/integration/migrations-roundtrip.test.ts checks every down step gives that schema back).
DROP INDEX IF EXISTS uis_forget_audit_user_hash;
ALTER TABLE uis_forget_audit ADD COLUMN user_id TEXT;
UPDATE uis_forget_audit SET user_id = 'sha256:' || user_hash;
ALTER TABLE uis_forget_audit ALTER COLUMN user_id SET NOT NULL, DROP COLUMN user_hash;
DROP TABLE IF EXISTS uis_forget_key;
