-- Business calendars and versioned SLA policies. Definitions are the documented JSON formats
-- of the domain crate, validated there before they are stored.

CREATE TABLE calendars (
    id          INTEGER PRIMARY KEY,
    name        TEXT   NOT NULL,
    definition  TEXT   NOT NULL,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX calendars_name ON calendars (name);

CREATE TABLE sla_policies (
    id              INTEGER PRIMARY KEY,
    name            TEXT   NOT NULL,
    is_default      BIGINT NOT NULL DEFAULT 0,
    current_version BIGINT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX sla_policies_name ON sla_policies (name);

CREATE TABLE sla_policy_versions (
    id          INTEGER PRIMARY KEY,
    policy_id   BIGINT NOT NULL REFERENCES sla_policies (id),
    number      BIGINT NOT NULL,
    definition  TEXT   NOT NULL,
    note        TEXT   NOT NULL DEFAULT '',
    created_by  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX sla_policy_versions_number ON sla_policy_versions (policy_id, number);
