-- A clock carries its order's client (an order never changes client), so a client's month of
-- clocks is one index range instead of a join through every order the client ever had: the
-- monthly report and the early warning read a client's clocks by (client, stop instant), and
-- its running clocks by (client, due) from a small index of running clocks only.

ALTER TABLE order_clocks ADD COLUMN client_org_id BIGINT;
UPDATE order_clocks SET client_org_id = (SELECT o.client_org_id FROM orders o WHERE o.id = order_clocks.order_id);
CREATE INDEX order_clocks_client_stopped ON order_clocks (client_org_id, stopped_at, outcome);
DROP INDEX order_clocks_due;
CREATE INDEX order_clocks_running ON order_clocks (client_org_id, due_at) WHERE stopped_at IS NULL;
