-- The history becomes a hash chain (see docs/history.md): each entry stores the hash of the entry
-- before it and its own hash over its content and that previous hash. SQL cannot compute the
-- hashes, so rows written before this migration are left unsealed (NULL) here and sealed by the
-- server when it opens the database (`app::store::chain::seal_unsealed`).

ALTER TABLE history ADD COLUMN prev_hash TEXT;
ALTER TABLE history ADD COLUMN hash TEXT;

-- The History page filters by kind and by actor, newest first.
CREATE INDEX history_kind ON history (kind, id);
CREATE INDEX history_actor ON history (actor COLLATE NOCASE, id);

-- Append-only as far as SQLite can enforce it. Anyone with the file can drop these triggers;
-- the chain is what shows it was done.
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: entries cannot be deleted');
END;

-- The one update allowed is sealing an unsealed entry: setting its hashes, nothing else.
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
WHEN OLD.hash IS NOT NULL
    OR OLD.prev_hash IS NOT NULL
    OR NEW.hash IS NULL
    OR NEW.prev_hash IS NULL
    OR NEW.id IS NOT OLD.id
    OR NEW.at IS NOT OLD.at
    OR NEW.actor IS NOT OLD.actor
    OR NEW.kind IS NOT OLD.kind
    OR NEW.reference_id IS NOT OLD.reference_id
    OR NEW.detail IS NOT OLD.detail
BEGIN
    SELECT RAISE(ABORT, 'history is append-only: entries cannot be changed');
END;

-- A new entry must take the next id and chain onto the last entry, so two writers can never
-- chain onto the same predecessor, whatever transaction they run in.
CREATE TRIGGER history_chains BEFORE INSERT ON history
WHEN NEW.hash IS NULL
    OR NEW.id IS NOT (SELECT COALESCE(MAX(id), 0) + 1 FROM history)
    OR NEW.prev_hash IS NOT COALESCE(
        (SELECT hash FROM history ORDER BY id DESC LIMIT 1),
        '0000000000000000000000000000000000000000000000000000000000000000'
    )
BEGIN
    SELECT RAISE(ABORT, 'a history entry must chain onto the last entry');
END;

-- The relay destinations as the history last recorded them, so a start with a different
-- `[[destination]]` set records what changed. `target` is a SHA-256 fingerprint of the URL and
-- secret: it shows that they changed without keeping either.
CREATE TABLE recorded_destinations (
    name   TEXT NOT NULL PRIMARY KEY,
    kind   TEXT NOT NULL,
    rules  TEXT NOT NULL,
    target TEXT NOT NULL
);
