-- Inspection checklist templates (SPEC §8): the provider's, editable and versioned like SLA
-- policies (an inspection keeps the version it was made with), and a client's own variant of a
-- code. `scope` is the client's id for a variant and 0 for the provider's template, so one code
-- has at most one template per scope.
CREATE TABLE checklist_templates (
    id              INTEGER PRIMARY KEY,
    code            TEXT   NOT NULL,
    scope           BIGINT NOT NULL DEFAULT 0,
    client_org_id   BIGINT REFERENCES organizations (id),
    name            TEXT   NOT NULL,
    current_version BIGINT NOT NULL DEFAULT 1,
    active          BIGINT NOT NULL DEFAULT 1,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX checklist_templates_code ON checklist_templates (code, scope);

CREATE TABLE checklist_template_versions (
    template_id BIGINT NOT NULL REFERENCES checklist_templates (id),
    number      BIGINT NOT NULL,
    definition  TEXT   NOT NULL,
    note        TEXT   NOT NULL DEFAULT '',
    created_by  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (template_id, number)
);
