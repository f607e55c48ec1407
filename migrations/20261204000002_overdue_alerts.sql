-- Overdue alerts, and indexes for the Decisions page filters and the Insights page.

-- When the overdue alert for an open item past its due time was queued; an item alerts once.
ALTER TABLE review_items ADD COLUMN overdue_alerted_at INTEGER;

-- Items that were overdue before this version are not alerted on its first start: a flood of
-- stale alerts would bury the new ones. The queue still shows them in red.
UPDATE review_items SET overdue_alerted_at = due_at
WHERE status = 'open' AND due_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000;

-- The overdue check reads only open items that have not alerted yet, earliest due first.
CREATE INDEX review_items_overdue ON review_items (due_at)
WHERE status = 'open' AND overdue_alerted_at IS NULL;

-- Decisions filtered by reviewer, newest first, without reading everyone else's decisions.
CREATE INDEX review_items_reviewer ON review_items (decided_by, decided_at)
WHERE status = 'resolved';

-- Events per day on the Insights page read one date range, not every event; with the type in
-- the index, the per-type count never reads the events themselves.
CREATE INDEX events_received ON events (received_at, event_type);
