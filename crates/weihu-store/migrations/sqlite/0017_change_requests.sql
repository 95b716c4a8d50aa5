-- Change requests (SPEC §9): to an SLA policy, a contract, or a risky technical change on a
-- client's systems; proposed, assessed, approved (with the client's consent where needed) or
-- rejected, and implemented. An implemented SLA change is a new version of the policy.
CREATE TABLE change_requests (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT   NOT NULL,
    client_org_id       BIGINT REFERENCES organizations (id),
    policy_id           BIGINT REFERENCES sla_policies (id),
    contract_id         BIGINT REFERENCES contracts (id),
    title               TEXT   NOT NULL,
    description         TEXT   NOT NULL DEFAULT '',
    proposal            TEXT,
    risk                TEXT,
    impact              TEXT   NOT NULL DEFAULT '',
    rollback            TEXT   NOT NULL DEFAULT '',
    effective_from      TEXT,
    state               TEXT   NOT NULL DEFAULT 'proposed',
    approved_by         BIGINT REFERENCES users (id),
    approved_at         BIGINT,
    consent_by          BIGINT REFERENCES users (id),
    consent_at          BIGINT,
    decision_note       TEXT   NOT NULL DEFAULT '',
    implemented_at      BIGINT,
    implemented_version BIGINT,
    created_by          BIGINT REFERENCES users (id),
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX change_requests_client ON change_requests (client_org_id, state);
CREATE INDEX change_requests_state ON change_requests (state, effective_from);
