-- Open orders newest first, desk-wide: a search among open orders (and the board sorted by age)
-- reads its page in index order instead of reading and sorting every open order.
CREATE INDEX orders_open_newest ON orders (created_at DESC, id DESC)
    WHERE state IN ('new', 'assigned', 'in_progress', 'waiting_client', 'waiting_parts');
