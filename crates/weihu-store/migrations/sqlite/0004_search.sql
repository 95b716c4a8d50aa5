-- Full-text search over service orders. Tokens are computed in Rust (Chinese characters and
-- bigrams, whole Latin words: see weihu-domain/src/search.rs) and kept in the database itself,
-- updated in the order's own transaction. Client-visible text and internal notes are separate
-- columns, so a client's search never matches provider-internal text. rowid = the order's id.
CREATE VIRTUAL TABLE order_search USING fts5(public_tokens, internal_tokens, tokenize = 'unicode61 remove_diacritics 0');
