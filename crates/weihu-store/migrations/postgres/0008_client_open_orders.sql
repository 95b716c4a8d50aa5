-- A client's open orders, newest first (the portal and the desk's client view): read the page in
-- index order instead of fetching every open order of a big client and sorting it.
CREATE INDEX orders_client_open ON orders (client_org_id, created_at DESC, id)
    WHERE state IN ('new', 'assigned', 'in_progress', 'waiting_client', 'waiting_parts');
