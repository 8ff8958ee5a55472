-- The index of rows by page left the transaction a vote's 201 waits for. `feedback_page_key`
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
