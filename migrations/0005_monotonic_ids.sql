-- Feedback ids are never given out twice. Without AUTOINCREMENT, SQLite gives a new row the largest
-- id in the table plus one, so erasing the newest record let the next vote take its id, and a
-- follow-up token issued for the erased record (valid for an hour) would have written into another
-- reader's record. SQLite cannot add AUTOINCREMENT to a table, so the table is rebuilt with its ids.

CREATE TABLE feedback_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at    INTEGER NOT NULL,          -- Unix milliseconds, UTC
    page           TEXT    NOT NULL,          -- as the reader's page sent it
    page_key       TEXT    NOT NULL,          -- normalized: votes for one page group here
    rating         TEXT    NOT NULL CHECK (rating IN ('up', 'down')),
    reason         TEXT,
    comment        TEXT,
    source         TEXT    NOT NULL,
    labels         TEXT,                      -- JSON object of string pairs, or NULL
    email          TEXT,
    user_agent     TEXT,
    origin         TEXT,
    referer        TEXT,
    client_hash    TEXT,                      -- keyed hash of address, agent and host; never the address
    status         TEXT    NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'triaged', 'resolved', 'spam')),
    note           TEXT,
    tags           TEXT,
    issue_url      TEXT,
    updated_at     INTEGER,
    pii            INTEGER NOT NULL DEFAULT 0,
    followed_up_at INTEGER
);
INSERT INTO feedback_new SELECT id, received_at, page, page_key, rating, reason, comment, source, labels, email, user_agent, origin,
    referer, client_hash, status, note, tags, issue_url, updated_at, pii, followed_up_at FROM feedback;

-- Ids handed out before this migration and since erased cannot be known, except those still named by
-- an idempotency key or an import: start past them too.
INSERT INTO sqlite_sequence(name, seq)
SELECT 'feedback_new', max(coalesce((SELECT max(feedback_id) FROM idempotency_keys), 0), coalesce((SELECT max(feedback_id) FROM imported_lines), 0))
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'feedback_new');
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(feedback_id) FROM idempotency_keys), 0),
                                     coalesce((SELECT max(feedback_id) FROM imported_lines), 0))
WHERE name = 'feedback_new';

-- Foreign keys are on, so dropping `feedback` deletes its labels (ON DELETE CASCADE): keep them aside.
CREATE TEMP TABLE labels_kept AS SELECT feedback_id, key, value FROM feedback_labels;
DROP TABLE feedback;
ALTER TABLE feedback_new RENAME TO feedback;
INSERT INTO feedback_labels(feedback_id, key, value) SELECT feedback_id, key, value FROM labels_kept;
DROP TABLE temp.labels_kept;

-- What DROP TABLE took with it: the indexes (as in 0001 and 0002), and the search-index triggers (below).
CREATE INDEX feedback_page_key ON feedback(page_key, id);
CREATE INDEX feedback_received_at ON feedback(received_at);
CREATE INDEX feedback_status ON feedback(status, id);

-- Rollups and the search index are folded in behind the rows (Feedback/DerivedData.swift): the
-- transaction a vote's 201 waits for holds only its row, and one fold adds thousands of rows to each
-- rollup group and index segment at once. `derived_through` in server_state is the last folded id,
-- moved in the same transaction as each fold. Every row up to here is in the rollups already (the
-- old writer kept them in the same transaction); what 0004 left queued for search is indexed now.
INSERT INTO feedback_fts(rowid, comment)
SELECT f.id, f.comment FROM feedback_fts_pending p CROSS JOIN feedback f ON f.id = p.id WHERE f.comment IS NOT NULL;
DROP TABLE feedback_fts_pending;
INSERT OR REPLACE INTO server_state(name, value) VALUES ('derived_through', (SELECT coalesce(max(id), 0) FROM feedback));

-- A row above the watermark is not in the search index yet: the fold indexes its comment as it is
-- then, so changing or erasing it needs nothing here (a 'delete' of terms never indexed would
-- corrupt FTS5). A folded row's change goes through the index.
CREATE TRIGGER feedback_fts_delete AFTER DELETE ON feedback
WHEN old.comment IS NOT NULL AND old.id <= (SELECT value FROM server_state WHERE name = 'derived_through') BEGIN
    INSERT INTO feedback_fts(feedback_fts, rowid, comment) VALUES ('delete', old.id, old.comment);
END;
CREATE TRIGGER feedback_fts_update AFTER UPDATE OF comment ON feedback
WHEN old.id <= (SELECT value FROM server_state WHERE name = 'derived_through') BEGIN
    INSERT INTO feedback_fts(feedback_fts, rowid, comment) SELECT 'delete', old.id, old.comment WHERE old.comment IS NOT NULL;
    INSERT INTO feedback_fts(rowid, comment) SELECT new.id, new.comment WHERE new.comment IS NOT NULL;
END;
