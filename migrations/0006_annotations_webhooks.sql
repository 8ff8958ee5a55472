-- Annotations and fix verification; webhooks with an outbox; alert episodes and digest runs.

-- Events on the docs (a deploy, a rewrite, a fixed example) on one page or every page under a prefix.
CREATE TABLE annotations (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,             -- Unix milliseconds: when the change went live
    page_key    TEXT,                         -- normalized page, or
    page_prefix TEXT,                         -- every page starting with this
    note        TEXT    NOT NULL,
    url         TEXT,
    created_at  INTEGER NOT NULL,
    created_by  TEXT,                         -- token name, or 'cli'
    CHECK ((page_key IS NULL) <> (page_prefix IS NULL))
);

CREATE INDEX annotations_at ON annotations(at, id);

-- When a feedback record was marked resolved: it counts as an annotation of its page at that time.
-- Kept by triggers so no write path has to know; a record leaving `resolved` or erased leaves here.
CREATE TABLE feedback_resolutions (
    feedback_id INTEGER PRIMARY KEY,
    page_key    TEXT    NOT NULL,
    resolved_at INTEGER NOT NULL
);

CREATE INDEX feedback_resolutions_at ON feedback_resolutions(resolved_at);

CREATE TRIGGER feedback_resolved AFTER UPDATE OF status ON feedback
WHEN new.status = 'resolved' AND old.status <> 'resolved' BEGIN
    INSERT OR REPLACE INTO feedback_resolutions(feedback_id, page_key, resolved_at)
    VALUES (new.id, new.page_key, coalesce(new.updated_at, new.received_at));
END;

CREATE TRIGGER feedback_unresolved AFTER UPDATE OF status ON feedback
WHEN old.status = 'resolved' AND new.status <> 'resolved' BEGIN
    DELETE FROM feedback_resolutions WHERE feedback_id = old.id;
END;

CREATE TRIGGER feedback_resolution_erased AFTER DELETE ON feedback WHEN old.status = 'resolved' BEGIN
    DELETE FROM feedback_resolutions WHERE feedback_id = old.id;
END;

INSERT INTO feedback_resolutions(feedback_id, page_key, resolved_at)
SELECT id, page_key, coalesce(updated_at, received_at) FROM feedback WHERE status = 'resolved';

-- Where alerts go. The signing secret is kept as written (whsec_…): signing needs the key itself,
-- so unlike API tokens it cannot be stored as a hash. Protect the database file accordingly.
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    url             TEXT    NOT NULL,
    format          TEXT    NOT NULL CHECK (format IN ('json', 'slack')),
    events          TEXT    NOT NULL,         -- comma-separated: finding, fix, digest
    secret          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    disabled_at     INTEGER,                  -- set when the receiver answered 410 Gone
    disabled_reason TEXT
);

-- One message for one webhook, written in the transaction that records its event. The body is
-- rendered once, so every retry sends the same bytes under the same message id.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    message_id      TEXT    NOT NULL UNIQUE,  -- the webhook-id header, the same across retries
    event           TEXT    NOT NULL,         -- finding, fix, digest, test
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    finished_at     INTEGER
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);

-- Every attempt of a delivery: when, the status code or the error, how long it took.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);

-- A page's finding from the evaluation that first saw it until one that no longer does (or sees
-- another kind): announced once, at its start.
CREATE TABLE alert_episodes (
    id           INTEGER PRIMARY KEY,
    page_key     TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    summary      TEXT    NOT NULL,
    onset        TEXT,
    q            REAL    NOT NULL,
    opened_at    INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    closed_at    INTEGER
);

CREATE UNIQUE INDEX alert_episodes_open ON alert_episodes(page_key) WHERE closed_at IS NULL;
CREATE INDEX alert_episodes_opened ON alert_episodes(opened_at);

-- Fix verdicts already announced, by change key ('a:ID' for annotations, 'r:PAGE:DAY' for resolutions).
CREATE TABLE fix_reports (
    change_key  TEXT    PRIMARY KEY,
    verdict     TEXT    NOT NULL,
    reported_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Weekly digests already sent, by the scheduled instant they stand for.
CREATE TABLE digest_runs (
    scheduled_at INTEGER PRIMARY KEY,
    sent_at      INTEGER NOT NULL
);
