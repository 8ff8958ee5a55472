-- Docs embedding: follow-ups, personal-data flags, idempotent retries, drop counters, retention; imports.

-- 1 when the comment looks like it holds personal data (an email address, phone or card number):
-- listings and exports mask such comments unless an admin asks for them.
ALTER TABLE feedback ADD COLUMN pii INTEGER NOT NULL DEFAULT 0;
-- When the reader used the record's one-time follow-up token (reason and comment after the vote).
ALTER TABLE feedback ADD COLUMN followed_up_at INTEGER;

-- Small named values the server keeps for itself: the follow-up token secret, the retention watermark.
CREATE TABLE server_state (
    name  TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;

-- Idempotency-Key of POST /v1/feedback (SHA-256 of the key, never the key): a retry within a day
-- gets the first answer and stores nothing new.
CREATE TABLE idempotency_keys (
    key_hash    BLOB    PRIMARY KEY,
    feedback_id INTEGER NOT NULL,
    status      INTEGER NOT NULL,             -- the HTTP status of the first answer
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created_at ON idempotency_keys(created_at);

-- Submissions the filters dropped, by UTC day and reason (rate_limit, honeypot, duplicate, crawler, origin).
CREATE TABLE dropped_daily (
    day    INTEGER NOT NULL,                  -- days since 1970-01-01
    reason TEXT    NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (day, reason)
) WITHOUT ROWID;

-- Lines brought in by `hearken import` (SHA-256 of the line), so importing a file again adds nothing.
CREATE TABLE imported_lines (
    line_hash   BLOB    PRIMARY KEY,
    feedback_id INTEGER NOT NULL
) WITHOUT ROWID;
