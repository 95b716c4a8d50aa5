-- Contracts and monthly statements (SPEC §7). A contract's commercial terms (pricing model, fees,
-- trial, penalty rate, payment terms) are one JSON document that the domain crate validates and
-- prices; the columns beside it are what lists filter and sort on. Dates are ISO `YYYY-MM-DD`
-- text (a contract runs on calendar days, not instants); money is an exact decimal string.

CREATE TABLE contracts (
    id             INTEGER PRIMARY KEY,
    client_org_id  BIGINT NOT NULL REFERENCES organizations (id),
    number         TEXT   NOT NULL,
    title          TEXT   NOT NULL DEFAULT '',
    status         TEXT   NOT NULL,
    pricing_model  TEXT   NOT NULL,
    start_date     TEXT   NOT NULL,
    end_date       TEXT   NOT NULL,
    terms          TEXT   NOT NULL,
    policy_id      BIGINT REFERENCES sla_policies (id),
    calendar_id    BIGINT REFERENCES calendars (id),
    scope          TEXT   NOT NULL DEFAULT '',
    resident_slot  TEXT   NOT NULL DEFAULT '',
    notice_days    BIGINT NOT NULL DEFAULT 30,
    auto_renew     BIGINT NOT NULL DEFAULT 0,
    renewed_from   BIGINT REFERENCES contracts (id),
    termination    TEXT,
    internal_note  TEXT   NOT NULL DEFAULT '',
    created_by     BIGINT,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX contracts_number ON contracts (number);
CREATE INDEX contracts_client ON contracts (client_org_id, start_date);

-- Fixed engineers: a change takes effect no earlier than 15 days after it is announced.
CREATE TABLE contract_engineers (
    id           INTEGER PRIMARY KEY,
    contract_id  BIGINT NOT NULL REFERENCES contracts (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    from_date    TEXT   NOT NULL,
    until_date   TEXT,
    announced_at BIGINT NOT NULL,
    note         TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX contract_engineers_contract ON contract_engineers (contract_id);

-- Devices under a per-device contract, with the days they are covered.
CREATE TABLE contract_devices (
    id          INTEGER PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    device_type TEXT   NOT NULL,
    asset_tag   TEXT   NOT NULL,
    from_date   TEXT   NOT NULL,
    until_date  TEXT
);
CREATE INDEX contract_devices_contract ON contract_devices (contract_id);

-- Days a resident engineer worked on site (resident model).
CREATE TABLE resident_days (
    id          INTEGER PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    work_date   TEXT   NOT NULL,
    note        TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX resident_days_unique ON resident_days (contract_id, user_id, work_date);

-- Other billable items (data recovery, cabling...), billed on the month of `item_date`.
CREATE TABLE billable_items (
    id          INTEGER PRIMARY KEY,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    order_id    BIGINT REFERENCES orders (id),
    item_date   TEXT   NOT NULL,
    description TEXT   NOT NULL,
    quantity    BIGINT NOT NULL,
    unit_price  TEXT   NOT NULL,
    created_by  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX billable_items_contract ON billable_items (contract_id, item_date);

-- Take-away repairs: the device leaves the site and comes back within the promised 48 hours
-- (wall clock); the repair cost is billed at cost on the month it is returned.
CREATE TABLE take_away_repairs (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id),
    asset       TEXT   NOT NULL DEFAULT '',
    description TEXT   NOT NULL,
    taken_at    BIGINT NOT NULL,
    promised_at BIGINT NOT NULL,
    returned_at BIGINT,
    cost        TEXT   NOT NULL DEFAULT '0.00',
    note        TEXT   NOT NULL DEFAULT '',
    created_by  BIGINT
);
CREATE INDEX take_away_repairs_order ON take_away_repairs (order_id);
CREATE INDEX take_away_repairs_returned ON take_away_repairs (returned_at);

-- Orders run on the contract in force when they were opened; visits carry the rate category.
ALTER TABLE orders ADD COLUMN contract_id BIGINT REFERENCES contracts (id);
CREATE INDEX orders_contract ON orders (contract_id);
ALTER TABLE order_visits ADD COLUMN category TEXT;
CREATE INDEX order_visits_check_in ON order_visits (check_in_at);
CREATE INDEX order_parts_installed ON order_parts (installed_at);

-- Monthly statements. `body` is the priced statement (lines with their sources) as JSON; once
-- issued it is frozen, and a correction is a new `adjustment` statement for the same month.
CREATE TABLE statement_counters (
    period TEXT PRIMARY KEY,
    last   BIGINT NOT NULL
);

CREATE TABLE statements (
    id            INTEGER PRIMARY KEY,
    client_org_id BIGINT NOT NULL REFERENCES organizations (id),
    contract_id   BIGINT NOT NULL REFERENCES contracts (id),
    month         TEXT   NOT NULL,
    kind          TEXT   NOT NULL,
    adjusts_id    BIGINT REFERENCES statements (id),
    number        TEXT,
    state         TEXT   NOT NULL,
    currency      TEXT   NOT NULL,
    total         TEXT   NOT NULL,
    body          TEXT   NOT NULL,
    computed_at   BIGINT NOT NULL,
    reviewed_by   BIGINT,
    reviewed_at   BIGINT,
    issued_by     BIGINT,
    issued_at     BIGINT,
    due_date      TEXT,
    paid_at       BIGINT,
    note          TEXT   NOT NULL DEFAULT '',
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX statements_one_regular ON statements (contract_id, month) WHERE kind = 'regular';
CREATE UNIQUE INDEX statements_number ON statements (number);
CREATE INDEX statements_client_month ON statements (client_org_id, month);
CREATE INDEX statements_month_state ON statements (month, state);
