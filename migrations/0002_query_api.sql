-- API tokens for the team endpoints. Only a SHA-256 of each token is stored.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    scope        TEXT    NOT NULL CHECK (scope IN ('read', 'triage', 'admin')),
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

-- Triage queues (status=new, spam) are listed newest first; other filters walk ids, which stays
-- fast for common values, and each extra index costs every write.
CREATE INDEX feedback_status ON feedback(status, id);

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
-- Spam is left out. Keys are kept coarse so each table stays far smaller than the feedback it sums.

-- Pages get small integer ids so the hottest rollup groups and sorts integers, not URLs.
CREATE TABLE pages (
    id       INTEGER PRIMARY KEY,
    page_key TEXT NOT NULL UNIQUE
);

-- Per page and UTC day, page-major: windowed page rankings, summaries and insights without a source filter.
CREATE TABLE rollup_page_daily (
    page_id       INTEGER NOT NULL REFERENCES pages(id),
    day           INTEGER NOT NULL,           -- days since 1970-01-01, UTC
    up            INTEGER NOT NULL,
    down          INTEGER NOT NULL,
    comments      INTEGER NOT NULL,
    down_comments INTEGER NOT NULL,           -- negative votes that came with a comment
    first_at      INTEGER NOT NULL,           -- Unix milliseconds
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (page_id, day)
) WITHOUT ROWID;

-- Per UTC day, page and source: windowed aggregates filtered or grouped by source.
CREATE TABLE rollup_daily (
    day           INTEGER NOT NULL,           -- days since 1970-01-01, UTC
    page_key      TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    up            INTEGER NOT NULL,
    down          INTEGER NOT NULL,
    comments      INTEGER NOT NULL,
    down_comments INTEGER NOT NULL,           -- negative votes that came with a comment
    first_at      INTEGER NOT NULL,           -- Unix milliseconds
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (day, page_key, source)
) WITHOUT ROWID;

-- Per label, UTC day, page and source: windowed aggregates filtered by one label (day-major, so a
-- window reads only its days).
CREATE TABLE rollup_label_daily (
    key           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    day           INTEGER NOT NULL,
    page_key      TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    up            INTEGER NOT NULL,
    down          INTEGER NOT NULL,
    comments      INTEGER NOT NULL,
    down_comments INTEGER NOT NULL,
    first_at      INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (key, value, day, page_key, source)
) WITHOUT ROWID;

-- Rebuilding a page's all-time totals after a triage change sums its days from here.
CREATE INDEX rollup_daily_page ON rollup_daily(page_key, source);

-- All-time per label, page and source: label-filtered aggregates without a window.
CREATE TABLE rollup_label_total (
    key           TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    page_key      TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    up            INTEGER NOT NULL,
    down          INTEGER NOT NULL,
    comments      INTEGER NOT NULL,
    down_comments INTEGER NOT NULL,
    first_at      INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (key, value, page_key, source)
) WITHOUT ROWID;

CREATE INDEX rollup_label_daily_page ON rollup_label_daily(key, value, page_key, source);

-- All-time per page and source: aggregates without a time window read only this.
CREATE TABLE rollup_page_total (
    page_key      TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    up            INTEGER NOT NULL,
    down          INTEGER NOT NULL,
    comments      INTEGER NOT NULL,
    down_comments INTEGER NOT NULL,
    first_at      INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (page_key, source)
) WITHOUT ROWID;

-- Per UTC day, source and reason ('' when none): reason breakdowns.
CREATE TABLE rollup_reason_daily (
    day      INTEGER NOT NULL,
    source   TEXT    NOT NULL,
    reason   TEXT    NOT NULL,
    up       INTEGER NOT NULL,
    down     INTEGER NOT NULL,
    comments INTEGER NOT NULL,
    PRIMARY KEY (day, source, reason)
) WITHOUT ROWID;

-- Hourly totals across pages, for time series in any bucket and time zone.
CREATE TABLE rollup_hourly (
    hour     INTEGER NOT NULL,                -- hours since 1970-01-01T00:00Z
    source   TEXT    NOT NULL,
    up       INTEGER NOT NULL,
    down     INTEGER NOT NULL,
    comments INTEGER NOT NULL,
    PRIMARY KEY (hour, source)
) WITHOUT ROWID;

-- Rollups and search entries for rows stored before this migration.
INSERT INTO pages(page_key) SELECT DISTINCT page_key FROM feedback ORDER BY page_key;

INSERT INTO rollup_page_daily
SELECT p.id, f.received_at / 86400000, sum(f.rating = 'up'), sum(f.rating = 'down'), sum(f.comment IS NOT NULL),
       sum(f.rating = 'down' AND f.comment IS NOT NULL), min(f.received_at), max(f.received_at)
FROM feedback f JOIN pages p ON p.page_key = f.page_key WHERE f.status <> 'spam' GROUP BY 1, 2;

INSERT INTO rollup_daily
SELECT received_at / 86400000, page_key, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL),
       sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at)
FROM feedback WHERE status <> 'spam' GROUP BY 1, 2, 3;

INSERT INTO rollup_label_daily
SELECT l.key, l.value, f.received_at / 86400000, f.page_key, f.source, sum(f.rating = 'up'), sum(f.rating = 'down'),
       sum(f.comment IS NOT NULL), sum(f.rating = 'down' AND f.comment IS NOT NULL), min(f.received_at), max(f.received_at)
FROM feedback f JOIN feedback_labels l ON l.feedback_id = f.id WHERE f.status <> 'spam' GROUP BY 1, 2, 3, 4, 5;

INSERT INTO rollup_label_total
SELECT l.key, l.value, f.page_key, f.source, sum(f.rating = 'up'), sum(f.rating = 'down'),
       sum(f.comment IS NOT NULL), sum(f.rating = 'down' AND f.comment IS NOT NULL), min(f.received_at), max(f.received_at)
FROM feedback f JOIN feedback_labels l ON l.feedback_id = f.id WHERE f.status <> 'spam' GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_page_total
SELECT page_key, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL),
       sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at)
FROM feedback WHERE status <> 'spam' GROUP BY 1, 2;

INSERT INTO rollup_reason_daily
SELECT received_at / 86400000, source, coalesce(reason, ''), sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL)
FROM feedback WHERE status <> 'spam' GROUP BY 1, 2, 3;

INSERT INTO rollup_hourly
SELECT received_at / 3600000, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL)
FROM feedback WHERE status <> 'spam' GROUP BY 1, 2;

INSERT INTO feedback_fts(rowid, comment) SELECT id, comment FROM feedback WHERE comment IS NOT NULL;
