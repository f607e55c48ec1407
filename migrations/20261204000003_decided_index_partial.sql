-- Only resolved items have a decision time. The index of decisions by time leaves open items
-- out, so opening an item (every review event) writes one index entry fewer. The key keeps
-- `status` so the planner still sees it as the index for `status = 'resolved'` in time order.
DROP INDEX review_items_decided;
CREATE INDEX review_items_decided ON review_items (status, decided_at) WHERE status = 'resolved';
