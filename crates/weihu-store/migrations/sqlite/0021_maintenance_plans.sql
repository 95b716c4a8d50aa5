-- Preventive maintenance (SPEC §8): plans on a contract, the inspections they generate (each an
-- order of kind 'inspection' with a scheduled visit) and the answers to their checklists.

-- 'fault' for what a client reports, 'inspection' for what a plan generates: inspections run no
-- SLA clocks and are not faults in the service-level figures.
ALTER TABLE orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'fault';

-- A plan: which assets (a selector: types, site, a list), which template, when (an RRULE on the
-- contract's calendar with a shift for non-working days), who, the time window on the day, and
-- how many days ahead its inspections exist.
CREATE TABLE maintenance_plans (
    id             INTEGER PRIMARY KEY,
    contract_id    BIGINT NOT NULL REFERENCES contracts (id),
    client_org_id  BIGINT NOT NULL REFERENCES organizations (id),
    name           TEXT   NOT NULL,
    template_id    BIGINT NOT NULL REFERENCES checklist_templates (id),
    assets         TEXT   NOT NULL,
    rule           TEXT   NOT NULL,
    shift          TEXT   NOT NULL,
    engineer_id    BIGINT REFERENCES users (id),
    team_id        BIGINT REFERENCES teams (id),
    window_start   TEXT   NOT NULL,
    window_minutes BIGINT NOT NULL,
    ahead_days     BIGINT NOT NULL,
    starts_on      TEXT   NOT NULL,
    ends_on        TEXT,
    active         BIGINT NOT NULL DEFAULT 1,
    -- The day and plan version last generated: the job skips a plan generated today unless
    -- it changed since.
    generated_on   TEXT,
    generated_version BIGINT,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX maintenance_plans_client ON maintenance_plans (client_org_id);
CREATE INDEX maintenance_plans_contract ON maintenance_plans (contract_id);

-- One inspection per plan and day: the unique index is what makes generation idempotent on
-- several instances. A plan change that drops a day cancels that untouched inspection's order
-- and marks it superseded, which frees the day.
CREATE TABLE inspections (
    order_id         BIGINT PRIMARY KEY REFERENCES orders (id),
    plan_id          BIGINT NOT NULL REFERENCES maintenance_plans (id),
    client_org_id    BIGINT NOT NULL REFERENCES organizations (id),
    due_on           TEXT   NOT NULL,
    window_start_at  BIGINT NOT NULL,
    window_end_at    BIGINT NOT NULL,
    -- Midnight after the planned day in the calendar's zone: not done by then, it is overdue.
    due_end_at       BIGINT NOT NULL,
    template_id      BIGINT NOT NULL REFERENCES checklist_templates (id),
    template_version BIGINT NOT NULL,
    -- The plan version it was generated from: an untouched inspection of an older version is
    -- regenerated in place.
    plan_version     BIGINT NOT NULL,
    superseded       BIGINT NOT NULL DEFAULT 0,
    overdue_notified BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX inspections_plan_day ON inspections (plan_id, due_on) WHERE superseded = 0;
-- The dispatcher's "inspections this week" and a client's month: ranges of the window start.
CREATE INDEX inspections_window ON inspections (window_start_at);
CREATE INDEX inspections_client_window ON inspections (client_org_id, window_start_at);
-- The overdue check: inspections not yet flagged, by the end of their day.
CREATE INDEX inspections_overdue ON inspections (due_end_at) WHERE overdue_notified = 0 AND superseded = 0;

-- The assets an inspection covers, fixed when it is generated (or regenerated while untouched).
CREATE TABLE inspection_assets (
    order_id BIGINT NOT NULL REFERENCES orders (id),
    asset_id BIGINT NOT NULL REFERENCES assets (id),
    PRIMARY KEY (order_id, asset_id)
);
CREATE INDEX inspection_assets_asset ON inspection_assets (asset_id);

-- One answer per item and asset; asset_id 0 for an item checked once per visit. Photos are the
-- order's attachments, by id.
CREATE TABLE inspection_answers (
    id                 INTEGER PRIMARY KEY,
    order_id           BIGINT NOT NULL REFERENCES orders (id),
    asset_id           BIGINT NOT NULL,
    item               TEXT   NOT NULL,
    answer             TEXT   NOT NULL,
    note               TEXT   NOT NULL DEFAULT '',
    photos             TEXT   NOT NULL DEFAULT '[]',
    follow_up_order_id BIGINT REFERENCES orders (id),
    answered_by        BIGINT REFERENCES users (id),
    answered_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX inspection_answers_item ON inspection_answers (order_id, asset_id, item);
