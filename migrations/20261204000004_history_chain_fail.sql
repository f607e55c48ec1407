-- The chain check refuses a bad entry with FAIL instead of ABORT. moddesk appends one entry per
-- statement (`store::chain::INSERT_SQL`), and for a one-row insert both end the statement with
-- the same error before anything is written, since the trigger runs before the insert; every
-- caller then rolls its transaction back. (A multi-row insert would keep the rows before the
-- refused one; moddesk never makes one.) But a statement that may ABORT keeps a copy of every
-- page it changes (a statement journal) so that it can undo itself, and appending an entry, once
-- for every stored event, no longer pays for that. `INSERT_SQL` says `INSERT OR FAIL` for the
-- same reason.
DROP TRIGGER IF EXISTS history_chains;
CREATE TRIGGER history_chains BEFORE INSERT ON history
WHEN NEW.hash IS NULL
    OR NEW.id IS NOT (SELECT COALESCE(MAX(id), 0) + 1 FROM history)
    OR NEW.prev_hash IS NOT COALESCE(
        (SELECT hash FROM history ORDER BY id DESC LIMIT 1),
        '0000000000000000000000000000000000000000000000000000000000000000'
    )
BEGIN
    SELECT RAISE(FAIL, 'a history entry must chain onto the last entry');
END;
