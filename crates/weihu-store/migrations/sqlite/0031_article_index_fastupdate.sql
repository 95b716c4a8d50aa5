-- PostgreSQL's article GIN indexes stop queueing changes from this version on; SQLite's FTS5
-- index has nothing alike (kept so both backends number alike).
SELECT 1;
