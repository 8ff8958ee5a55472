-- Hourly votes per page, folded like every rollup (spam left out): time series of one page or prefix
-- and fix verification's windows read it on both backends (migrations/0011_page_hourly.sql).
CREATE TABLE rollup_page_hourly (
    page_id  BIGINT NOT NULL REFERENCES pages(id),
    hour     BIGINT NOT NULL,                 -- hours since 1970-01-01T00:00Z
    up       BIGINT NOT NULL,
    down     BIGINT NOT NULL,
    comments BIGINT NOT NULL,
    PRIMARY KEY (page_id, hour)
);

-- The rows already folded: those no longer in the fold queue.
INSERT INTO rollup_page_hourly(page_id, hour, up, down, comments)
SELECT p.id, f.received_at / 3600000, count(*) FILTER (WHERE f.rating = 'up'), count(*) FILTER (WHERE f.rating = 'down'),
       count(*) FILTER (WHERE f.comment IS NOT NULL)
FROM feedback f JOIN pages p ON p.page_key = f.page_key
WHERE f.status <> 'spam' AND NOT EXISTS (SELECT 1 FROM feedback_unfolded u WHERE u.feedback_id = f.id)
GROUP BY 1, 2 ORDER BY 1, 2;
