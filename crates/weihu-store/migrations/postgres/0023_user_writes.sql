-- When each user last changed something, for read-your-writes with a read replica: for a short
-- while after a write, that user's reads go to the primary (on whichever app server they land).
-- Written only when a replica is configured, at most about once a second per user.
CREATE TABLE user_writes (
    user_id  BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    wrote_at BIGINT NOT NULL
);
