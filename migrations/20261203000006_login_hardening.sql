-- Login hardening: failed logins counted per account and per client address, and a per-user
-- session epoch that ends every session of a user when it moves on.

-- One row per failed (or in-progress) login attempt; rows older than the throttling window are
-- pruned on each attempt. `account` is NULL when the name given was not a valid user name,
-- `address` when the client address is unknown.
CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY,
    account TEXT    COLLATE NOCASE,
    address TEXT,
    at      INTEGER NOT NULL
);

CREATE INDEX login_failures_account ON login_failures (account, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- Stored in the session at login; a session whose epoch differs from the user's is over.
-- Raised when the password changes or the user is disabled.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
