-- PostgreSQL stores its search documents as tsvector columns from this version on; SQLite's FTS5
-- index already holds its own (nothing to change; kept so both backends number alike).
SELECT 1;
