-- The relay outbox: one job per (destination, thing to send), written in the same transaction as
-- the event or decision it is about, so nothing is lost between storing and sending.
CREATE TABLE relay_jobs (
    id           INTEGER PRIMARY KEY,
    destination  TEXT    NOT NULL,
    -- What is sent: an upstream event type, review.resolved, or relay.test.
    topic        TEXT    NOT NULL,
    event_id     INTEGER REFERENCES events (id), -- set for upstream events
    reference_id TEXT,
    payload      TEXT,                           -- JSON, for decisions and test messages
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,               -- earliest next attempt
    leased_until INTEGER NOT NULL DEFAULT 0,     -- a worker holds the job until then
    last_status  INTEGER,                        -- HTTP status of the last attempt
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    CHECK ((event_id IS NULL) <> (payload IS NULL))
);

CREATE INDEX relay_jobs_due ON relay_jobs (destination, status, next_at);
-- An event is queued for a destination once, however often it is redelivered.
CREATE UNIQUE INDEX relay_jobs_once ON relay_jobs (destination, event_id) WHERE event_id IS NOT NULL;
