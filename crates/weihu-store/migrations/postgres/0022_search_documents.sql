-- The search documents are stored and indexed instead of computed per match: a first page of a
-- common word read `to_tsvector(...)` of every match again (18.9 s at 1M orders). ANALYZE keeps
-- statistics of the stored tsvector columns (most common tokens), so the planner can tell a word
-- that matches 10% of all orders (walk the newest orders, stop after a page) from a rare one
-- (the GIN index).
DROP INDEX order_search_public;
DROP INDEX order_search_all;
ALTER TABLE order_search
    ADD COLUMN public_doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', public_tokens)) STORED,
    ADD COLUMN all_doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', public_tokens || ' ' || internal_tokens)) STORED;
CREATE INDEX order_search_public ON order_search USING GIN (public_doc);
CREATE INDEX order_search_all ON order_search USING GIN (all_doc);
-- Statistics of the new columns now, not at autovacuum's convenience: until then the planner
-- would guess every word rare.
ANALYZE order_search;
-- The planner's estimate of a query's rows (from the tsvector statistics above), so that a word
-- in every tenth order is not counted match by match to say "1,000+" (a GIN count of 100,000
-- matches reads them all: 40–100 ms at 1M orders).
CREATE FUNCTION weihu_row_estimate(query text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
END
$$;
