-- Reason shifts compare, per page, the reasons given with negative votes day by day. No rollup keeps
-- reasons per page (rollup_reason_daily is per source), and reading the feedback rows of a busy page
-- for eight weeks visits every row of it. This partial index holds only negative votes with a reason
-- (a fifth of the rows) in page and time order, and covers the query, so insights read a page's
-- reasons without touching the table (rating is a column too: SQLite does not count the partial
-- index's own condition as covered).
CREATE INDEX feedback_page_down_reason ON feedback(page_key, received_at, reason, status, rating)
    WHERE rating = 'down' AND reason IS NOT NULL;
