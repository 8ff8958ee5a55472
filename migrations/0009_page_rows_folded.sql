-- The indexes by page leave the transaction a vote's 201 waits for. `feedback_page_key`
-- (page_key, id) was updated by every insert, and its entries cluster by page: a group commit of
-- votes for N pages dirtied N of its leaf pages, most of the WAL a row cost (7.3 KB a row with it,
-- 2.0 KB without, docs/benchmarks.md). The fold fills this table instead (Feedback/DerivedData.swift),
-- many rows per page at once, in the same transaction that moves the watermark: it holds exactly the
-- rows at or below `derived_through`. Reads fold the pending rows first, so listings by page, which
-- read it, see every acknowledged vote. Integer page ids keep it a fifth of the index's size.
CREATE TABLE feedback_page_rows (
    page_id     INTEGER NOT NULL REFERENCES pages(id),
    feedback_id INTEGER NOT NULL,
    PRIMARY KEY (page_id, feedback_id)
) WITHOUT ROWID;

-- Spam rows have no rollup and so maybe no page yet; listings of a page show them too.
INSERT OR IGNORE INTO pages(page_key)
SELECT DISTINCT page_key FROM feedback WHERE id <= (SELECT value FROM server_state WHERE name = 'derived_through');
INSERT INTO feedback_page_rows(page_id, feedback_id)
SELECT p.id, f.id FROM feedback f JOIN pages p ON p.page_key = f.page_key
WHERE f.id <= (SELECT value FROM server_state WHERE name = 'derived_through')
ORDER BY 1, 2;

DROP INDEX feedback_page_key;

-- An erased row leaves the table with it (a row above the watermark is not in it: nothing to delete).
-- A row's page never changes.
CREATE TRIGGER feedback_page_rows_delete AFTER DELETE ON feedback BEGIN
    DELETE FROM feedback_page_rows WHERE page_id = (SELECT id FROM pages WHERE page_key = old.page_key) AND feedback_id = old.id;
END;

-- The same for the partial index of negative votes with a reason by page and time (0008), which
-- insights read: half of all votes in a typical load, clustered by page, it cost about 3.2 KB of WAL
-- a row (docs/benchmarks.md). The fold adds each non-spam negative vote with a reason; marking spam,
-- leaving spam and a follow-up's new reason change a folded row's entry (Feedback/Rollups.swift), as
-- they change its rollups; erasing a row removes it (trigger below). Covering: insights read only this.
CREATE TABLE feedback_down_reasons (
    page_id     INTEGER NOT NULL REFERENCES pages(id),
    received_at INTEGER NOT NULL,
    feedback_id INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    PRIMARY KEY (page_id, received_at, feedback_id)
) WITHOUT ROWID;

INSERT INTO feedback_down_reasons(page_id, received_at, feedback_id, reason, source)
SELECT p.id, f.received_at, f.id, f.reason, f.source FROM feedback f JOIN pages p ON p.page_key = f.page_key
WHERE f.id <= (SELECT value FROM server_state WHERE name = 'derived_through')
  AND f.rating = 'down' AND f.reason IS NOT NULL AND f.status <> 'spam'
ORDER BY 1, 2, 3;

DROP INDEX feedback_page_down_reason;

CREATE TRIGGER feedback_down_reasons_delete AFTER DELETE ON feedback WHEN old.rating = 'down' AND old.reason IS NOT NULL BEGIN
    DELETE FROM feedback_down_reasons
    WHERE page_id = (SELECT id FROM pages WHERE page_key = old.page_key) AND received_at = old.received_at AND feedback_id = old.id;
END;
