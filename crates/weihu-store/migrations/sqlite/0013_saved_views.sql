-- A user's saved board views: a name and the board's query string (filters, search, sort).
CREATE TABLE saved_views (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    name        TEXT   NOT NULL,
    query       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (user_id, name)
);
