-- Working the queue: claims, due times, escalation, reason codes, conflict detection and undo.

-- Who decided what together, so one undo restores a whole bulk decision, and until when.
CREATE TABLE decision_batches (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    -- 'decide' (approve/remove) or 'escalate'.
    kind       TEXT    NOT NULL CHECK (kind IN ('decide', 'escalate')),
    at         INTEGER NOT NULL,
    items      INTEGER NOT NULL, -- how many items it changed
    undo_until INTEGER NOT NULL,
    undone_at  INTEGER
);

CREATE INDEX decision_batches_user ON decision_batches (user_id, at);

-- The newest event's score, copied here so the queue sorts and pages without a join.
ALTER TABLE review_items ADD COLUMN score REAL NOT NULL DEFAULT 0;
-- Urgency sorts by score descending; this lets one ascending index serve it.
ALTER TABLE review_items ADD COLUMN neg_score REAL GENERATED ALWAYS AS (-score) VIRTUAL;
-- When the item should be decided by, from the due times of its categories.
ALTER TABLE review_items ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0;
-- Urgency compares due times by the minute, as people read them, so that among items due in
-- the same minute the higher score comes first.
ALTER TABLE review_items ADD COLUMN due_minute INTEGER GENERATED ALWAYS AS (due_at / 60000) VIRTUAL;
ALTER TABLE review_items ADD COLUMN claimed_by INTEGER REFERENCES users (id);
ALTER TABLE review_items ADD COLUMN claimed_until INTEGER;
-- Set while an open item waits for a manager.
ALTER TABLE review_items ADD COLUMN escalated_at INTEGER;
ALTER TABLE review_items ADD COLUMN escalated_by INTEGER REFERENCES users (id);
-- The reason code of a decision (required for remove).
ALTER TABLE review_items ADD COLUMN reason TEXT;
-- Raised by every change a decision depends on (newer event, decision, escalation, reopening,
-- undo), so a decision made on an older view is refused instead of overwriting.
ALTER TABLE review_items ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- The batch of the item's latest decision or escalation.
ALTER TABLE review_items ADD COLUMN decision_batch INTEGER REFERENCES decision_batches (id);

UPDATE review_items
SET score = (SELECT score FROM events WHERE events.id = review_items.event_id),
    due_at = opened_at + 86400000;

CREATE INDEX review_items_urgency ON review_items (status, due_minute, neg_score, opened_at, id);
CREATE INDEX review_items_score ON review_items (status, score, id);
CREATE INDEX review_items_batch ON review_items (decision_batch) WHERE decision_batch IS NOT NULL;

-- review.resolved messages wait out the undo window, and an undo withdraws them.
ALTER TABLE relay_jobs ADD COLUMN decision_batch INTEGER REFERENCES decision_batches (id);

-- An item's timeline reads the history by reference id.
CREATE INDEX history_reference ON history (reference_id, id);

-- Each event's category names, so the queue filters by category through an index instead of
-- reading every event's JSON.
CREATE TABLE event_categories (
    event_id INTEGER NOT NULL REFERENCES events (id),
    name     TEXT    NOT NULL COLLATE NOCASE, -- `Self-Harm` is `self-harm`
    PRIMARY KEY (event_id, name)
) WITHOUT ROWID;

CREATE INDEX event_categories_name ON event_categories (name, event_id);

INSERT OR IGNORE INTO event_categories (event_id, name)
SELECT e.id, json_extract(j.value, '$.name') FROM events e, json_each(e.categories) j
WHERE json_valid(e.categories) AND json_extract(j.value, '$.name') IS NOT NULL;

-- Finding a review item by its event (category filter), every item of a reference id (a late
-- event must not reopen decided content), and the items one person holds.
CREATE INDEX review_items_decided_reference ON review_items (reference_id) WHERE status = 'resolved';
CREATE INDEX review_items_event ON review_items (event_id);
CREATE INDEX review_items_claimed ON review_items (claimed_by, claimed_until) WHERE claimed_by IS NOT NULL;
