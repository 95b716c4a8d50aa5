-- Problems (issue 18): the cause shared by repeated incidents, and the orders linked to it.
-- The affected clients, services and assets are those of the linked orders.
CREATE TABLE problems (
    id          INTEGER PRIMARY KEY,
    title       TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    state       TEXT   NOT NULL DEFAULT 'investigating'
                CHECK (state IN ('investigating', 'known_error', 'resolved', 'closed')),
    root_cause  TEXT   NOT NULL DEFAULT '',
    workaround  TEXT   NOT NULL DEFAULT '',
    fix         TEXT   NOT NULL DEFAULT '',
    owner_id    BIGINT REFERENCES users (id),
    created_by  BIGINT REFERENCES users (id),
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    resolved_at BIGINT,
    closed_at   BIGINT
);
CREATE INDEX problems_state ON problems (state, id);

CREATE TABLE problem_orders (
    problem_id BIGINT NOT NULL REFERENCES problems (id),
    order_id   BIGINT NOT NULL REFERENCES orders (id),
    linked_by  BIGINT REFERENCES users (id),
    linked_at  BIGINT NOT NULL,
    PRIMARY KEY (problem_id, order_id)
);
CREATE INDEX problem_orders_order ON problem_orders (order_id);
