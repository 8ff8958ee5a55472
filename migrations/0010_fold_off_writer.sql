-- The writer reads and groups each fold on a snapshot of its own, off the writer's queue, and takes
-- the write lock only to apply it (Feedback/FoldPlan.swift). A row above the watermark that is
-- changed or erased in between must not be folded as the snapshot saw it: these triggers count such
-- changes, and a plan whose count is no longer the one its snapshot read is dropped and the fold is
-- read again inside the write transaction. Rows at or below the watermark are kept exact by the
-- change itself (Feedback/Rollups.swift) and are not counted. Inserts do not fire them: a new row
-- has an id past every snapshot's last one.
INSERT OR IGNORE INTO server_state(name, value) VALUES ('unfolded_changes', 0);

CREATE TRIGGER feedback_unfolded_update AFTER UPDATE ON feedback
WHEN old.id > (SELECT value FROM server_state WHERE name = 'derived_through') BEGIN
    UPDATE server_state SET value = value + 1 WHERE name = 'unfolded_changes';
END;

CREATE TRIGGER feedback_unfolded_delete AFTER DELETE ON feedback
WHEN old.id > (SELECT value FROM server_state WHERE name = 'derived_through') BEGIN
    UPDATE server_state SET value = value + 1 WHERE name = 'unfolded_changes';
END;

-- The status index leaves the transaction a vote's 201 waits for. Every new row has status 'new',
-- so `feedback_status` (status, id) took an entry per row, and its 'new' range sits between the
-- other statuses' ranges: a group commit of 18 rows rewrote about two of its pages, 490 B of WAL a
-- row of the row transaction's 2.1 KB (docs/benchmarks.md). What it is needed for is finding the
-- few rows with another status (spam, triaged, resolved) among many; rows still 'new' are most rows
-- and the newest, found soonest by id. A partial index holds only those, so a new row adds nothing
-- to it and triage adds or moves one entry. A query reaches it only with the term `status <> 'new'`
-- written out (Feedback/FeedbackFilter.swift adds it).
DROP INDEX feedback_status;
CREATE INDEX feedback_status_triaged ON feedback(status, id) WHERE status <> 'new';
