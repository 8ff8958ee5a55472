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
