-- Outages (SPEC §9): a client's catalog service down from a start to an end (NULL while
-- ongoing); excluded from the figures when force majeure or a third party's fault.
CREATE TABLE outages (
    id                    INTEGER PRIMARY KEY,
    client_org_id         BIGINT NOT NULL REFERENCES organizations (id),
    catalog_item_id       BIGINT REFERENCES catalog_items (id),
    started_at            BIGINT NOT NULL,
    ended_at              BIGINT,
    cause                 TEXT   NOT NULL DEFAULT '',
    force_majeure         BIGINT NOT NULL DEFAULT 0,
    third_party           BIGINT NOT NULL DEFAULT 0,
    vendor                TEXT   NOT NULL DEFAULT '',
    underpinning_contract TEXT   NOT NULL DEFAULT '',
    created_by            BIGINT REFERENCES users (id),
    version               BIGINT NOT NULL DEFAULT 1,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX outages_client_start ON outages (client_org_id, started_at);
CREATE INDEX outages_open ON outages (ended_at);

CREATE TABLE outage_orders (
    outage_id BIGINT NOT NULL REFERENCES outages (id),
    order_id  BIGINT NOT NULL REFERENCES orders (id),
    position  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (outage_id, order_id)
);
CREATE INDEX outage_orders_order ON outage_orders (order_id);
