-- Full-text search over service orders. Tokens are computed in Rust (Chinese characters and
-- bigrams, whole Latin words: see weihu-domain/src/search.rs) and kept in the database itself,
-- updated in the order's own transaction. Client-visible text and internal notes are separate
-- columns, so a client's search never matches provider-internal text.
CREATE TABLE order_search (
    order_id        BIGINT PRIMARY KEY REFERENCES orders (id),
    public_tokens   TEXT NOT NULL,
    internal_tokens TEXT NOT NULL
);
CREATE INDEX order_search_public ON order_search USING GIN (to_tsvector('simple', public_tokens));
CREATE INDEX order_search_all ON order_search USING GIN (to_tsvector('simple', public_tokens || ' ' || internal_tokens));
