-- Service orders (SPEC §5): the order, its gap-free yearly numbering, its SLA clocks with their
-- pauses, its timeline (which is also its audit trail), and in-app notifications.

CREATE TABLE order_counters (
    year  BIGINT PRIMARY KEY,
    last  BIGINT NOT NULL
);

CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    number           TEXT   NOT NULL,
    client_org_id    BIGINT NOT NULL REFERENCES organizations (id),
    requester_id     BIGINT REFERENCES users (id),
    requester_name   TEXT   NOT NULL,
    requester_phone  TEXT   NOT NULL DEFAULT '',
    site             TEXT   NOT NULL DEFAULT '',
    channel          TEXT   NOT NULL,
    category         TEXT   NOT NULL,
    urgency          TEXT   NOT NULL,
    impact           TEXT   NOT NULL,
    priority         TEXT   NOT NULL,
    subject          TEXT   NOT NULL,
    description      TEXT   NOT NULL DEFAULT '',
    service_mode     TEXT   NOT NULL DEFAULT 'remote',
    state            TEXT   NOT NULL,
    assignee_id      BIGINT REFERENCES users (id),
    team_id          BIGINT REFERENCES teams (id),
    policy_id        BIGINT REFERENCES sla_policies (id),
    policy_version   BIGINT,
    resolution       TEXT   NOT NULL DEFAULT '',
    close_reason     TEXT   NOT NULL DEFAULT '',
    refused_in_scope BIGINT,
    resolved_at      BIGINT,
    closed_at        BIGINT,
    rating           BIGINT,
    rating_comment   TEXT   NOT NULL DEFAULT '',
    rated_at         BIGINT,
    created_by       BIGINT,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX orders_number ON orders (number);
CREATE INDEX orders_client_state ON orders (client_org_id, state, created_at);
CREATE INDEX orders_requester ON orders (requester_id, created_at);
CREATE INDEX orders_assignee_state ON orders (assignee_id, state);
CREATE INDEX orders_state_priority ON orders (state, priority, created_at);
-- The dispatcher's board: open orders by priority, without sorting every open order.
CREATE INDEX orders_open_priority ON orders (priority, id)
    WHERE state IN ('new', 'assigned', 'in_progress', 'waiting_client', 'waiting_parts');

CREATE TABLE order_clocks (
    id              INTEGER PRIMARY KEY,
    order_id        BIGINT NOT NULL REFERENCES orders (id),
    kind            TEXT   NOT NULL,
    calendar        TEXT   NOT NULL,
    target_kind     TEXT   NOT NULL,
    target_minutes  BIGINT NOT NULL,
    at_risk_percent BIGINT NOT NULL,
    started_at      BIGINT NOT NULL,
    stopped_at      BIGINT,
    due_at          BIGINT,
    state           TEXT   NOT NULL,
    at_risk_notified BIGINT NOT NULL DEFAULT 0,
    breach_notified  BIGINT NOT NULL DEFAULT 0,
    next_check_at   BIGINT
);
CREATE UNIQUE INDEX order_clocks_kind ON order_clocks (order_id, kind);
CREATE INDEX order_clocks_check ON order_clocks (next_check_at);

CREATE TABLE order_clock_pauses (
    id         INTEGER PRIMARY KEY,
    clock_id   BIGINT NOT NULL REFERENCES order_clocks (id),
    started_at BIGINT NOT NULL,
    ended_at   BIGINT
);
CREATE INDEX order_clock_pauses_clock ON order_clock_pauses (clock_id);

CREATE TABLE order_events (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    at          BIGINT NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    public      BIGINT NOT NULL,
    body        TEXT   NOT NULL DEFAULT '',
    data        TEXT   NOT NULL DEFAULT '{}'
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    order_id   BIGINT REFERENCES orders (id),
    kind       TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, id);
