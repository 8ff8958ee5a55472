-- The whole schema of SQLite's migrations 0001–0008 as PostgreSQL has it, in one file: a PostgreSQL
-- database starts empty, so nothing here carries old rows forward. Tables and columns keep SQLite's
-- names so that most domain SQL reads the same on both. Differences, and why:
-- - ids are identities (BIGINT, never handed out twice, even after the newest row is erased);
-- - integers are BIGINT, blobs BYTEA, REAL is DOUBLE PRECISION;
-- - flags stay INTEGER 0/1 (pii) so the same SQL and bindings work on both backends;
-- - search is a generated tsvector column with a GIN index instead of an FTS5 table: it is kept in
--   step with the comment by the row's own write, so nothing waits for the fold to make it searchable;
-- - server_state holds numbers only; the follow-up token secret, a BYTEA, lives in server_secrets.

-- Reader feedback as received, plus the fields the team sets while triaging.
CREATE TABLE feedback (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at    BIGINT  NOT NULL,          -- Unix milliseconds, UTC
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
    updated_at     BIGINT,
    -- 1 when the comment looks like it holds personal data: listings and exports mask it.
    pii            INTEGER NOT NULL DEFAULT 0 CHECK (pii IN (0, 1)),
    followed_up_at BIGINT,                    -- when the reader used the one-time follow-up token
    -- 'simple' lowercases and splits words without stemming, as FTS5's default tokenizer does.
    comment_search TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', coalesce(comment, ''))) STORED
);

CREATE INDEX feedback_page_key ON feedback(page_key, id);
CREATE INDEX feedback_received_at ON feedback(received_at);
CREATE INDEX feedback_status ON feedback(status, id);
CREATE INDEX feedback_comment_search ON feedback USING GIN (comment_search);
-- The duplicate window, shared by every instance: has this client voted this way on this page
-- lately? (SQLite keeps it in the one process's memory.)
CREATE INDEX feedback_duplicate ON feedback(client_hash, page_key, rating, received_at) WHERE client_hash IS NOT NULL;
-- Reason shifts read a page's negative votes with a reason in time order from this index alone.
CREATE INDEX feedback_page_down_reason ON feedback(page_key, received_at) INCLUDE (reason, status, rating)
    WHERE rating = 'down' AND reason IS NOT NULL;

-- Labels again as rows, so listings and aggregates can filter on label.KEY=VALUE.
CREATE TABLE feedback_labels (
    feedback_id BIGINT NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
    key         TEXT   NOT NULL,
    value       TEXT   NOT NULL,
    PRIMARY KEY (feedback_id, key)
);

CREATE INDEX feedback_labels_key_value ON feedback_labels(key, value, feedback_id);

-- The secret behind client hashes; one per UTC day, older ones deleted so hashes cannot be linked
-- across days. Shared by every instance, so one reader hashes the same on each.
CREATE TABLE client_hash_keys (
    day    TEXT  PRIMARY KEY,                 -- YYYY-MM-DD
    secret BYTEA NOT NULL
);

-- API tokens for the team endpoints. Only a SHA-256 of each token is stored.
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT   NOT NULL UNIQUE,
    scope        TEXT   NOT NULL CHECK (scope IN ('read', 'triage', 'admin')),
    token_hash   TEXT   NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);

-- Rollups the aggregates answer from, folded in behind the rows. Spam is left out.

-- Pages get small integer ids so the hottest rollup groups and sorts integers, not URLs.
CREATE TABLE pages (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_key TEXT   NOT NULL UNIQUE
);

-- Per page and UTC day, page-major: windowed page rankings, summaries and insights without a source filter.
CREATE TABLE rollup_page_daily (
    page_id       BIGINT NOT NULL REFERENCES pages(id),
    day           BIGINT NOT NULL,            -- days since 1970-01-01, UTC
    up            BIGINT NOT NULL,
    down          BIGINT NOT NULL,
    comments      BIGINT NOT NULL,
    down_comments BIGINT NOT NULL,            -- negative votes that came with a comment
    first_at      BIGINT NOT NULL,            -- Unix milliseconds
    last_at       BIGINT NOT NULL,
    PRIMARY KEY (page_id, day)
);

-- Per UTC day, page and source: windowed aggregates filtered or grouped by source.
CREATE TABLE rollup_daily (
    day           BIGINT NOT NULL,
    page_key      TEXT   NOT NULL,
    source        TEXT   NOT NULL,
    up            BIGINT NOT NULL,
    down          BIGINT NOT NULL,
    comments      BIGINT NOT NULL,
    down_comments BIGINT NOT NULL,
    first_at      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    PRIMARY KEY (day, page_key, source)
);

-- Rebuilding a page's all-time totals after a triage change sums its days from here.
CREATE INDEX rollup_daily_page ON rollup_daily(page_key, source);

-- Per label, UTC day, page and source (day-major, so a window reads only its days).
CREATE TABLE rollup_label_daily (
    key           TEXT   NOT NULL,
    value         TEXT   NOT NULL,
    day           BIGINT NOT NULL,
    page_key      TEXT   NOT NULL,
    source        TEXT   NOT NULL,
    up            BIGINT NOT NULL,
    down          BIGINT NOT NULL,
    comments      BIGINT NOT NULL,
    down_comments BIGINT NOT NULL,
    first_at      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    PRIMARY KEY (key, value, day, page_key, source)
);

CREATE INDEX rollup_label_daily_page ON rollup_label_daily(key, value, page_key, source);

-- All-time per label, page and source: label-filtered aggregates without a window.
CREATE TABLE rollup_label_total (
    key           TEXT   NOT NULL,
    value         TEXT   NOT NULL,
    page_key      TEXT   NOT NULL,
    source        TEXT   NOT NULL,
    up            BIGINT NOT NULL,
    down          BIGINT NOT NULL,
    comments      BIGINT NOT NULL,
    down_comments BIGINT NOT NULL,
    first_at      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    PRIMARY KEY (key, value, page_key, source)
);

-- All-time per page and source: aggregates without a time window read only this.
CREATE TABLE rollup_page_total (
    page_key      TEXT   NOT NULL,
    source        TEXT   NOT NULL,
    up            BIGINT NOT NULL,
    down          BIGINT NOT NULL,
    comments      BIGINT NOT NULL,
    down_comments BIGINT NOT NULL,
    first_at      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    PRIMARY KEY (page_key, source)
);

-- Per UTC day, source and reason ('' when none): reason breakdowns.
CREATE TABLE rollup_reason_daily (
    day      BIGINT NOT NULL,
    source   TEXT   NOT NULL,
    reason   TEXT   NOT NULL,
    up       BIGINT NOT NULL,
    down     BIGINT NOT NULL,
    comments BIGINT NOT NULL,
    PRIMARY KEY (day, source, reason)
);

-- Hourly totals across pages, for time series in any bucket and time zone.
CREATE TABLE rollup_hourly (
    hour     BIGINT NOT NULL,                 -- hours since 1970-01-01T00:00Z
    source   TEXT   NOT NULL,
    up       BIGINT NOT NULL,
    down     BIGINT NOT NULL,
    comments BIGINT NOT NULL,
    PRIMARY KEY (hour, source)
);

-- Small named numbers the servers keep: `derived_through` (the last folded feedback id, moved in
-- the same transaction as each fold), the retention watermark.
CREATE TABLE server_state (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);

INSERT INTO server_state(name, value) VALUES ('derived_through', 0);

-- Secrets the servers share, such as the follow-up token secret: every instance must sign and
-- check tokens with the same one.
CREATE TABLE server_secrets (
    name   TEXT  PRIMARY KEY,
    secret BYTEA NOT NULL
);

-- Idempotency-Key of POST /v1/feedback (SHA-256 of the key, never the key): a retry within a day,
-- on any instance, gets the first answer and stores nothing new.
CREATE TABLE idempotency_keys (
    key_hash    BYTEA  PRIMARY KEY,
    feedback_id BIGINT NOT NULL,
    status      INTEGER NOT NULL,             -- the HTTP status of the first answer
    created_at  BIGINT NOT NULL
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys(created_at);

-- Submissions the filters dropped, by UTC day and reason (rate_limit, honeypot, duplicate, crawler, origin).
CREATE TABLE dropped_daily (
    day    BIGINT NOT NULL,
    reason TEXT   NOT NULL,
    count  BIGINT NOT NULL,
    PRIMARY KEY (day, reason)
);

-- Lines brought in by `hearken import` (SHA-256 of the line), so importing a file again adds nothing.
CREATE TABLE imported_lines (
    line_hash   BYTEA  PRIMARY KEY,
    feedback_id BIGINT NOT NULL
);

-- Events on the docs (a deploy, a rewrite, a fixed example) on one page or every page under a prefix.
CREATE TABLE annotations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,              -- Unix milliseconds: when the change went live
    page_key    TEXT,                         -- normalized page, or
    page_prefix TEXT,                         -- every page starting with this
    note        TEXT   NOT NULL,
    url         TEXT,
    created_at  BIGINT NOT NULL,
    created_by  TEXT,                         -- token name, or 'cli'
    CHECK ((page_key IS NULL) <> (page_prefix IS NULL))
);

CREATE INDEX annotations_at ON annotations(at, id);

-- When a feedback record was marked resolved: it counts as an annotation of its page at that time.
-- Kept by triggers so no write path has to know; a record leaving `resolved` or erased leaves here.
CREATE TABLE feedback_resolutions (
    feedback_id BIGINT PRIMARY KEY,
    page_key    TEXT   NOT NULL,
    resolved_at BIGINT NOT NULL
);

CREATE INDEX feedback_resolutions_at ON feedback_resolutions(resolved_at);

CREATE FUNCTION feedback_track_resolution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF old.status = 'resolved' THEN
            DELETE FROM feedback_resolutions WHERE feedback_id = old.id;
        END IF;
        RETURN old;
    END IF;
    IF new.status = 'resolved' AND old.status <> 'resolved' THEN
        INSERT INTO feedback_resolutions(feedback_id, page_key, resolved_at)
        VALUES (new.id, new.page_key, coalesce(new.updated_at, new.received_at))
        ON CONFLICT (feedback_id) DO UPDATE SET page_key = excluded.page_key, resolved_at = excluded.resolved_at;
    ELSIF old.status = 'resolved' AND new.status <> 'resolved' THEN
        DELETE FROM feedback_resolutions WHERE feedback_id = old.id;
    END IF;
    RETURN new;
END
$$;

CREATE TRIGGER feedback_resolution_status AFTER UPDATE OF status ON feedback
    FOR EACH ROW EXECUTE FUNCTION feedback_track_resolution();
CREATE TRIGGER feedback_resolution_erased AFTER DELETE ON feedback
    FOR EACH ROW WHEN (old.status = 'resolved') EXECUTE FUNCTION feedback_track_resolution();

-- Where alerts go. The signing secret is kept as written (whsec_…): signing needs the key itself,
-- so unlike API tokens it cannot be stored as a hash. Protect the database accordingly.
CREATE TABLE webhooks (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             TEXT   NOT NULL,
    format          TEXT   NOT NULL CHECK (format IN ('json', 'slack')),
    events          TEXT   NOT NULL,          -- comma-separated: finding, fix, digest
    secret          TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    disabled_at     BIGINT,                   -- set when the receiver answered 410 Gone
    disabled_reason TEXT
);

-- One message for one webhook, written in the transaction that records its event. The body is
-- rendered once, so every retry sends the same bytes under the same message id.
CREATE TABLE webhook_deliveries (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      BIGINT  NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    message_id      TEXT    NOT NULL UNIQUE,  -- the webhook-id header, the same across retries
    event           TEXT    NOT NULL,         -- finding, fix, digest, test
    body            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    next_attempt_at BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    finished_at     BIGINT
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);

-- Every attempt of a delivery: when, the status code or the error, how long it took.
CREATE TABLE webhook_attempts (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id BIGINT  NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at          BIGINT  NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms BIGINT  NOT NULL
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);

-- A page's finding from the evaluation that first saw it until one that no longer does (or sees
-- another kind): announced once, at its start.
CREATE TABLE alert_episodes (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    page_key     TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    summary      TEXT   NOT NULL,
    onset        TEXT,
    q            DOUBLE PRECISION NOT NULL,
    opened_at    BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    closed_at    BIGINT
);

CREATE UNIQUE INDEX alert_episodes_open ON alert_episodes(page_key) WHERE closed_at IS NULL;
CREATE INDEX alert_episodes_opened ON alert_episodes(opened_at);

-- Fix verdicts already announced, by change key ('a:ID' for annotations, 'r:PAGE:DAY' for resolutions).
CREATE TABLE fix_reports (
    change_key  TEXT   PRIMARY KEY,
    verdict     TEXT   NOT NULL,
    reported_at BIGINT NOT NULL
);

-- Weekly digests already sent, by the scheduled instant they stand for.
CREATE TABLE digest_runs (
    scheduled_at BIGINT PRIMARY KEY,
    sent_at      BIGINT NOT NULL
);

-- Dashboard sign-in sessions, shared by every instance. The browser holds 32 random bytes in the
-- `hearken_session` cookie; only their SHA-256 is stored. Revoking (deleting) the token deletes its sessions.
CREATE TABLE sessions (
    id_hash      TEXT   PRIMARY KEY,          -- hex SHA-256 of the cookie's secret
    token_id     BIGINT NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,             -- Unix ms; sessions end 7 days after this at the latest
    last_seen_at BIGINT NOT NULL              -- Unix ms; sessions idle for 12 hours end
);
CREATE INDEX sessions_token_id ON sessions(token_id);
