-- moddesk's first schema: users, received events, review items and the action history.
-- Times are Unix milliseconds (UTC).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('reviewer', 'manager', 'admin')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Every accepted delivery, with the body exactly as received.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    source       TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    webhook_id   TEXT    NOT NULL,
    event_type   TEXT    NOT NULL,
    reference_id TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    score        REAL    NOT NULL,
    categories   TEXT    NOT NULL, -- JSON array of {name, score}
    content_kind TEXT,
    excerpt      TEXT,
    content_url  TEXT,
    subject      TEXT,
    created_at   INTEGER NOT NULL, -- the upstream's time for the event
    received_at  INTEGER NOT NULL,
    body         BLOB    NOT NULL,
    UNIQUE (source, event_id)
);

CREATE INDEX events_reference ON events (reference_id, created_at);

-- Content sent for human review. At most one open item per reference id.
CREATE TABLE review_items (
    id           INTEGER PRIMARY KEY,
    reference_id TEXT    NOT NULL,
    event_id     INTEGER NOT NULL REFERENCES events (id), -- the newest event for the item
    status       TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
    opened_at    INTEGER NOT NULL,
    decision     TEXT    CHECK (decision IN ('approve', 'remove')),
    note         TEXT,
    decided_by   INTEGER REFERENCES users (id),
    decided_at   INTEGER,
    CHECK ((status = 'open') = (decision IS NULL))
);

CREATE UNIQUE INDEX review_items_one_open ON review_items (reference_id) WHERE status = 'open';
CREATE INDEX review_items_queue ON review_items (status, opened_at);
CREATE INDEX review_items_decided ON review_items (status, decided_at);

-- Every action, in order: events received, decisions, logins, users created.
CREATE TABLE history (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    reference_id TEXT,
    detail       TEXT    NOT NULL
);
