-- Sign-in throttling keyed by the SHA-256 digest of the subject (an address or a login name)
-- instead of the raw text: a row has the same small size whatever a client sends. The old rows
-- (raw keys) are only counters of recent failures and are dropped.
DELETE FROM login_throttle;
-- Expired rows are purged and the oldest evicted when the table is full: both by window start.
CREATE INDEX login_throttle_window ON login_throttle (window_start);

-- Addresses that have signed in successfully as a user (key: digest of name and address): a
-- login name's lock does not apply to them.
CREATE TABLE login_known (
    key     TEXT   PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
CREATE INDEX login_known_seen ON login_known (seen_at);
