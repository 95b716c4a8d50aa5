-- Open orders newest first, desk-wide: a search among open orders (and the board sorted by age)
-- reads its page in index order instead of reading and sorting every open order.
CREATE INDEX orders_open_newest ON orders (created_at DESC, id DESC)
    WHERE state IN ('new', 'assigned', 'in_progress', 'waiting_client', 'waiting_parts');

-- Open orders and their clocks are the rows that change all day. With the default thresholds
-- (20 % of the table) autovacuum waits for 200,000 changed rows at a million orders, and until
-- then the board's index-only scans visit the heap for every recently changed row (BENCHMARKS.md:
-- 161 ms before VACUUM, 1.7 ms after). Vacuum and analyse after 1 % / 2 % instead.
ALTER TABLE orders SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.01);
ALTER TABLE order_clocks SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.01);
