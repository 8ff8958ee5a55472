-- Reader feedback as received, plus the fields the team sets while triaging.
CREATE TABLE feedback (
    id          INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,             -- Unix milliseconds, UTC
    page        TEXT    NOT NULL,             -- as the reader's page sent it
    page_key    TEXT    NOT NULL,             -- normalized: votes for one page group here
    rating      TEXT    NOT NULL CHECK (rating IN ('up', 'down')),
    reason      TEXT,
    comment     TEXT,
    source      TEXT    NOT NULL,
    labels      TEXT,                         -- JSON object of string pairs, or NULL
    email       TEXT,
    user_agent  TEXT,
    origin      TEXT,
    referer     TEXT,
    client_hash TEXT,                         -- keyed hash of address, agent and host; never the address
    status      TEXT    NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'triaged', 'resolved', 'spam')),
    note        TEXT,
    tags        TEXT,
    issue_url   TEXT,
    updated_at  INTEGER
);

CREATE INDEX feedback_page_key ON feedback(page_key, id);
CREATE INDEX feedback_received_at ON feedback(received_at);

-- Labels again as rows, so listings and aggregates can filter on label.KEY=VALUE.
CREATE TABLE feedback_labels (
    feedback_id INTEGER NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    PRIMARY KEY (feedback_id, key)
) WITHOUT ROWID;

CREATE INDEX feedback_labels_key_value ON feedback_labels(key, value, feedback_id);

-- The secret behind client hashes; one per UTC day, older ones deleted so hashes cannot be linked across days.
CREATE TABLE client_hash_keys (
    day    TEXT PRIMARY KEY,                  -- YYYY-MM-DD
    secret BLOB NOT NULL
);
