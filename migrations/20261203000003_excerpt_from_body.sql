-- The excerpt is part of the stored body; keeping a copy in its own column doubled the bytes
-- written per event. Readers take it from the body with json_extract.
ALTER TABLE events DROP COLUMN excerpt;
