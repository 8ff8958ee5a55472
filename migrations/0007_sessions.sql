-- Dashboard sign-in sessions. The browser holds 32 random bytes in the `hearken_session` cookie;
-- only their SHA-256 is stored. A session belongs to the token that opened it and has its scope:
-- revoking (deleting) the token deletes its sessions in the same statement.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,              -- hex SHA-256 of the cookie's secret
    token_id     INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,                 -- Unix ms; sessions end 7 days after this at the latest
    last_seen_at INTEGER NOT NULL                  -- Unix ms; sessions idle for 12 hours end
) WITHOUT ROWID;
CREATE INDEX sessions_token_id ON sessions(token_id);
