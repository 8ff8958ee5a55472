-- API tokens for the team endpoints. Only a SHA-256 of each token is stored.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    scope        TEXT    NOT NULL CHECK (scope IN ('read', 'triage', 'admin')),
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

-- Indexes for the common listing filters; each ends in id for newest-first keyset pagination.
CREATE INDEX feedback_status ON feedback(status, id);
CREATE INDEX feedback_source ON feedback(source, id);
CREATE INDEX feedback_reason ON feedback(reason, id);

-- Full-text search over comments (external content: the text lives only in feedback).
CREATE VIRTUAL TABLE feedback_fts USING fts5(comment, content = 'feedback', content_rowid = 'id');

CREATE TRIGGER feedback_fts_insert AFTER INSERT ON feedback WHEN new.comment IS NOT NULL BEGIN
    INSERT INTO feedback_fts(rowid, comment) VALUES (new.id, new.comment);
END;
CREATE TRIGGER feedback_fts_delete AFTER DELETE ON feedback WHEN old.comment IS NOT NULL BEGIN
    INSERT INTO feedback_fts(feedback_fts, rowid, comment) VALUES ('delete', old.id, old.comment);
END;
CREATE TRIGGER feedback_fts_update AFTER UPDATE OF comment ON feedback BEGIN
    INSERT INTO feedback_fts(feedback_fts, rowid, comment) SELECT 'delete', old.id, old.comment WHERE old.comment IS NOT NULL;
    INSERT INTO feedback_fts(rowid, comment) SELECT new.id, new.comment WHERE new.comment IS NOT NULL;
END;

-- Rollups the aggregates answer from, kept in the same transaction as every write and triage change.
-- Spam is left out. One row per UTC day, page, source and reason ('' when none).
CREATE TABLE rollup_daily (
    day           INTEGER NOT NULL,           -- days since 1970-01-01, UTC
    page_key      TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    up            INTEGER NOT NULL,
    down          INTEGER NOT NULL,
    comments      INTEGER NOT NULL,
    down_comments INTEGER NOT NULL,           -- negative votes that came with a comment
    first_at      INTEGER NOT NULL,           -- Unix milliseconds
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (day, page_key, source, reason)
) WITHOUT ROWID;

CREATE INDEX rollup_daily_page ON rollup_daily(page_key, day);

-- Hourly totals across pages, for time series in any bucket and time zone.
CREATE TABLE rollup_hourly (
    hour     INTEGER NOT NULL,                -- hours since 1970-01-01T00:00Z
    source   TEXT    NOT NULL,
    up       INTEGER NOT NULL,
    down     INTEGER NOT NULL,
    comments INTEGER NOT NULL,
    PRIMARY KEY (hour, source)
) WITHOUT ROWID;

-- Rollups for rows stored before this migration.
INSERT INTO rollup_daily
SELECT received_at / 86400000, page_key, source, coalesce(reason, ''),
       sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL), sum(rating = 'down' AND comment IS NOT NULL),
       min(received_at), max(received_at)
FROM feedback WHERE status <> 'spam'
GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_hourly
SELECT received_at / 3600000, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL)
FROM feedback WHERE status <> 'spam'
GROUP BY 1, 2;

INSERT INTO feedback_fts(rowid, comment) SELECT id, comment FROM feedback WHERE comment IS NOT NULL;
