-- Deliveries whose signature was valid but whose body could not be read as an event. Kept so
-- nothing a genuine sender sent is lost; admins see them on the Inbox page.
CREATE TABLE dead_letters (
    id          INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    headers     TEXT    NOT NULL, -- JSON object of the signature-related headers
    body        BLOB    NOT NULL
);

CREATE INDEX dead_letters_received ON dead_letters (received_at);
