-- Work on an order (SPEC §5): remote sessions, on-site visits (the arrival clock runs from the
-- decision to the check-in), spare parts that the client approves, the backup question before a
-- major change, and engineers' time entries. Money is an exact decimal string ("450.00").

CREATE TABLE order_visits (
    id           INTEGER PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders (id),
    engineer_id  BIGINT REFERENCES users (id),
    kind         TEXT   NOT NULL,
    decided_at   BIGINT NOT NULL,
    check_in_at  BIGINT,
    check_out_at BIGINT,
    travel_fee   TEXT   NOT NULL DEFAULT '0.00',
    note         TEXT   NOT NULL DEFAULT '',
    created_by   BIGINT
);
CREATE INDEX order_visits_order ON order_visits (order_id);
CREATE INDEX order_visits_decided ON order_visits (decided_at);

CREATE TABLE order_parts (
    id               INTEGER PRIMARY KEY,
    order_id         BIGINT NOT NULL REFERENCES orders (id),
    name             TEXT   NOT NULL,
    model            TEXT   NOT NULL DEFAULT '',
    quantity         BIGINT NOT NULL,
    unit_price       TEXT   NOT NULL,
    authorized_price TEXT,
    client_supplied  BIGINT NOT NULL DEFAULT 0,
    state            TEXT   NOT NULL,
    note             TEXT   NOT NULL DEFAULT '',
    proposed_by      BIGINT,
    proposed_at      BIGINT NOT NULL,
    decided_by       BIGINT,
    decided_at       BIGINT,
    installed_at     BIGINT
);
CREATE INDEX order_parts_order ON order_parts (order_id);

CREATE TABLE order_remote_sessions (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    engineer_id BIGINT REFERENCES users (id),
    tool        TEXT   NOT NULL,
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    note        TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX order_remote_sessions_order ON order_remote_sessions (order_id);

CREATE TABLE order_work_log (
    id        INTEGER PRIMARY KEY,
    order_id  BIGINT NOT NULL REFERENCES orders (id),
    user_id   BIGINT NOT NULL REFERENCES users (id),
    work_date TEXT   NOT NULL,
    minutes   BIGINT NOT NULL,
    note      TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX order_work_log_order ON order_work_log (order_id);

CREATE TABLE order_backup_checks (
    id         INTEGER PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders (id),
    change     TEXT   NOT NULL,
    asked_by   BIGINT,
    asked_at   BIGINT NOT NULL,
    answer     TEXT   NOT NULL
);
CREATE INDEX order_backup_checks_order ON order_backup_checks (order_id);

-- The client's signature on the service order, drawn on the engineer's phone (PNG).
CREATE TABLE order_signatures (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    signer_name TEXT   NOT NULL,
    image_png   TEXT   NOT NULL,
    collected_by BIGINT,
    signed_at   BIGINT NOT NULL
);
CREATE INDEX order_signatures_order ON order_signatures (order_id);

-- Attachments (photos of the fault, logs), kept in the database (base64) so a backup holds them
-- and app servers stay stateless. The type is sniffed from the bytes, never trusted.
CREATE TABLE order_attachments (
    id           INTEGER PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders (id),
    filename     TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    size         BIGINT NOT NULL,
    data         TEXT   NOT NULL,
    public       BIGINT NOT NULL,
    uploaded_by  BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX order_attachments_order ON order_attachments (order_id);
