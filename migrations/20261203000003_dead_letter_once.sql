-- A sender retrying the same broken delivery keeps one dead letter, not one per attempt.
-- delivery_key is the SHA-256 (hex) of the webhook id (empty in the body-only scheme), a newline,
-- and the body.
ALTER TABLE dead_letters ADD COLUMN delivery_key TEXT;
CREATE UNIQUE INDEX dead_letters_once ON dead_letters (source, delivery_key);
