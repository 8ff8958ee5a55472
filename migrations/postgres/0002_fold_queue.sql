-- Rows the fold has not counted yet. SQLite folds `id > derived_through`; on PostgreSQL that would
-- skip rows, because identity ids become visible out of commit order (a transaction that took id 10
-- may commit after one that took id 11, and a fold in between would move the watermark past 10).
-- Instead every new row enters this queue in its own transaction (the trigger below, so no insert
-- path can forget it), and the fold deletes what it counts in the transaction that changes the
-- rollups: a row is folded once its transaction committed, exactly once, in any order.
CREATE TABLE feedback_unfolded (
    feedback_id BIGINT PRIMARY KEY REFERENCES feedback(id) ON DELETE CASCADE
);

CREATE FUNCTION feedback_queue_fold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feedback_unfolded(feedback_id) SELECT id FROM new_rows;
    RETURN NULL;
END
$$;

-- Once per statement, so a multi-row INSERT queues its rows in one statement too.
CREATE TRIGGER feedback_queue_fold AFTER INSERT ON feedback
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feedback_queue_fold();
