-- Assets and the service catalog (SPEC §6): the clients' device registries with their tags,
-- warranty and coverage, the registry confirmations the client admin signs, the asset types with
-- their application-scale coefficients, catalog items with their targets and clients, and the
-- provider's settings (the quote price list).

CREATE TABLE asset_types (
    code        TEXT   PRIMARY KEY,
    name        TEXT   NOT NULL,
    name_en     TEXT   NOT NULL,
    coefficient TEXT   NOT NULL,
    category    TEXT   NOT NULL,
    sort        BIGINT NOT NULL DEFAULT 100,
    version     BIGINT NOT NULL DEFAULT 1,
    updated_at  BIGINT NOT NULL DEFAULT 0
);
INSERT INTO asset_types (code, name, name_en, coefficient, category, sort) VALUES
    ('desktop', '台式机', 'Desktop', '1', 'pc', 10),
    ('laptop', '笔记本', 'Laptop', '1', 'pc', 20),
    ('server', '服务器', 'Server', '5', 'server', 30),
    ('storage', '存储', 'Storage', '5', 'server', 40),
    ('printer', '打印机', 'Printer', '0.5', 'peripheral', 50),
    ('scanner', '扫描仪', 'Scanner', '0.5', 'peripheral', 60),
    ('network', '网络设备', 'Network device', '2', 'network', 70),
    ('phone', '电话', 'Phone', '0.5', 'peripheral', 80),
    ('projector', '投影仪', 'Projector', '0.5', 'peripheral', 90),
    ('controller', '控制器', 'Controller', '0.5', 'peripheral', 100),
    ('cctv', '监控', 'CCTV', '0.5', 'network', 110),
    ('other', '其他', 'Other', '0.5', 'peripheral', 120);

CREATE TABLE assets (
    id             INTEGER PRIMARY KEY,
    client_org_id  BIGINT NOT NULL REFERENCES organizations (id),
    asset_type     TEXT   NOT NULL REFERENCES asset_types (code),
    tag            TEXT   NOT NULL,
    serial         TEXT   NOT NULL DEFAULT '',
    model          TEXT   NOT NULL DEFAULT '',
    location       TEXT   NOT NULL DEFAULT '',
    owner          TEXT   NOT NULL DEFAULT '',
    warranty_end   TEXT,
    under_contract BIGINT NOT NULL DEFAULT 1,
    status         TEXT   NOT NULL DEFAULT 'in_use',
    notes          TEXT   NOT NULL DEFAULT '',
    custom_fields  TEXT   NOT NULL DEFAULT '{}',
    created_by     BIGINT,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX assets_tag ON assets (tag);
CREATE INDEX assets_client ON assets (client_org_id, asset_type);
CREATE INDEX assets_warranty ON assets (warranty_end);

CREATE TABLE asset_tag_counters (
    prefix TEXT PRIMARY KEY,
    last   BIGINT NOT NULL
);

-- The registry as the client admin confirmed it on a date, with the drawn signature.
CREATE TABLE asset_confirmations (
    id            INTEGER PRIMARY KEY,
    client_org_id BIGINT NOT NULL REFERENCES organizations (id),
    as_of         TEXT   NOT NULL,
    snapshot      TEXT   NOT NULL,
    signer_name   TEXT   NOT NULL,
    image_png     TEXT   NOT NULL,
    confirmed_by  BIGINT,
    confirmed_at  BIGINT NOT NULL
);
CREATE INDEX asset_confirmations_client ON asset_confirmations (client_org_id, confirmed_at);

CREATE TABLE catalog_items (
    id                  INTEGER PRIMARY KEY,
    code                TEXT   NOT NULL,
    name                TEXT   NOT NULL,
    name_en             TEXT   NOT NULL DEFAULT '',
    content             TEXT   NOT NULL DEFAULT '',
    content_en          TEXT   NOT NULL DEFAULT '',
    calendar_id         BIGINT REFERENCES calendars (id),
    availability_target TEXT,
    max_interruptions   BIGINT,
    max_restore_minutes BIGINT,
    owner_id            BIGINT REFERENCES users (id),
    active              BIGINT NOT NULL DEFAULT 1,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX catalog_items_code ON catalog_items (code);

CREATE TABLE catalog_item_clients (
    item_id       BIGINT NOT NULL REFERENCES catalog_items (id),
    client_org_id BIGINT NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (item_id, client_org_id)
);
CREATE INDEX catalog_item_clients_client ON catalog_item_clients (client_org_id);

CREATE TABLE provider_settings (
    key        TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

ALTER TABLE orders ADD COLUMN asset_id BIGINT REFERENCES assets (id);
ALTER TABLE orders ADD COLUMN catalog_item_id BIGINT REFERENCES catalog_items (id);
CREATE INDEX orders_asset ON orders (asset_id);
