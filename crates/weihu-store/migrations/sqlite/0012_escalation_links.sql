-- Hierarchical escalation: the order is raised to the provider's management (NULL: not
-- escalated). Functional escalation is a reassignment, recorded on the timeline.
ALTER TABLE orders ADD COLUMN escalated_at BIGINT;
ALTER TABLE orders ADD COLUMN escalation_reason TEXT;

-- Links between two orders of one client, stored once and shown from both ends:
-- order_id is a duplicate of / caused by / a follow-up of other_id.
CREATE TABLE order_links (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    other_id    BIGINT NOT NULL REFERENCES orders (id),
    kind        TEXT   NOT NULL CHECK (kind IN ('duplicate_of', 'caused_by', 'follow_up_of')),
    created_by  BIGINT REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    CHECK (order_id <> other_id),
    UNIQUE (order_id, other_id)
);
CREATE INDEX order_links_other ON order_links (other_id);
-- The board's "escalated" view: open orders raised to management.
CREATE INDEX orders_escalated ON orders (escalated_at) WHERE escalated_at IS NOT NULL;
