-- Hourly votes per page, kept by the fold like every rollup (spam left out). Time series of one page
-- or prefix, and the windows of fix verification, were counted from the rows: `feedback` has no index
-- by page and time (0009 folded it out of the row transaction), so each read walked every row of the
-- page, 80–300 ms for a busy page or a section on a million rows (docs/benchmarks.md). Page-major, so
-- one page's hours are one range; a fold touches one leaf per page it folds, not one per row.
CREATE TABLE rollup_page_hourly (
    page_id  INTEGER NOT NULL REFERENCES pages(id),
    hour     INTEGER NOT NULL,                -- hours since 1970-01-01T00:00Z
    up       INTEGER NOT NULL,
    down     INTEGER NOT NULL,
    comments INTEGER NOT NULL,
    PRIMARY KEY (page_id, hour)
) WITHOUT ROWID;

INSERT INTO rollup_page_hourly(page_id, hour, up, down, comments)
SELECT p.id, f.received_at / 3600000, sum(f.rating = 'up'), sum(f.rating = 'down'), sum(f.comment IS NOT NULL)
FROM feedback f JOIN pages p ON p.page_key = f.page_key
WHERE f.id <= (SELECT value FROM server_state WHERE name = 'derived_through') AND f.status <> 'spam'
GROUP BY 1, 2 ORDER BY 1, 2;
