-- SLA reviews (SPEC §9): a meeting with the client about a period's service levels, who was
-- there, what was found, and the service-improvement plan's items, followed up on later reports.
CREATE TABLE sla_reviews (
    id            INTEGER PRIMARY KEY,
    client_org_id BIGINT NOT NULL REFERENCES organizations (id),
    period        TEXT   NOT NULL,
    held_on       TEXT   NOT NULL,
    attendees     TEXT   NOT NULL DEFAULT '',
    findings      TEXT   NOT NULL DEFAULT '',
    created_by    BIGINT REFERENCES users (id),
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX sla_reviews_client ON sla_reviews (client_org_id, held_on);

CREATE TABLE improvement_items (
    id            INTEGER PRIMARY KEY,
    review_id     BIGINT NOT NULL REFERENCES sla_reviews (id),
    client_org_id BIGINT NOT NULL REFERENCES organizations (id),
    action        TEXT   NOT NULL,
    owner         TEXT   NOT NULL DEFAULT '',
    due_on        TEXT,
    state         TEXT   NOT NULL DEFAULT 'open',
    position      BIGINT NOT NULL DEFAULT 0,
    version       BIGINT NOT NULL DEFAULT 1,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX improvement_items_review ON improvement_items (review_id, position);
CREATE INDEX improvement_items_client ON improvement_items (client_org_id, state);
