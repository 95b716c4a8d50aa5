-- SLA attainment and the monthly service-level report (SPEC §9).
--
-- A clock's outcome (met or breached) is recorded when it stops, so a month's attainment is a
-- count, not a re-evaluation of every clock; a breached clock carries a reason from a short list
-- and a note. An order's resolution names a failure cause from an editable taxonomy.

ALTER TABLE order_clocks ADD COLUMN outcome TEXT;
ALTER TABLE order_clocks ADD COLUMN breach_reason TEXT;
ALTER TABLE order_clocks ADD COLUMN breach_note TEXT;
-- Clocks that stopped before outcomes were recorded: met when stopped by their due.
UPDATE order_clocks SET outcome = CASE WHEN due_at IS NULL OR stopped_at <= due_at THEN 'met' ELSE 'breached' END
    WHERE state = 'done' AND stopped_at IS NOT NULL;
CREATE INDEX order_clocks_stopped ON order_clocks (stopped_at);
CREATE INDEX order_clocks_due ON order_clocks (due_at);

ALTER TABLE orders ADD COLUMN cause TEXT;
CREATE INDEX orders_client_resolved ON orders (client_org_id, resolved_at);
CREATE INDEX orders_client_rated ON orders (client_org_id, rated_at);
CREATE INDEX orders_client_created ON orders (client_org_id, created_at);

CREATE TABLE failure_causes (
    code       TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL,
    name_en    TEXT   NOT NULL,
    position   BIGINT NOT NULL DEFAULT 0,
    active     BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO failure_causes (code, name, name_en, position) VALUES
    ('hardware', '硬件故障', 'Hardware', 10),
    ('software', '软件故障', 'Software', 20),
    ('network', '网络故障', 'Network', 30),
    ('power', '电力/环境', 'Power and environment', 40),
    ('user_operation', '用户操作', 'User operation', 50),
    ('third_party', '第三方原因', 'Third party', 60),
    ('unknown', '原因不明', 'Unknown', 90);

-- One report per client and month: drafted by the month-end job (or on demand), reviewed and
-- published by the service-level manager. `body` is the report as built (JSON); a published
-- report keeps it, so later edits of its month's outages or orders cannot change what was issued.
CREATE TABLE service_level_reports (
    id            INTEGER PRIMARY KEY,
    client_org_id BIGINT NOT NULL REFERENCES organizations (id),
    month         TEXT   NOT NULL,
    state         TEXT   NOT NULL DEFAULT 'draft',
    revision      BIGINT NOT NULL DEFAULT 1,
    body          TEXT   NOT NULL,
    summary       TEXT   NOT NULL DEFAULT '',
    built_at      BIGINT NOT NULL,
    published_at  BIGINT,
    published_by  BIGINT REFERENCES users (id),
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX service_level_reports_month ON service_level_reports (client_org_id, month);
CREATE INDEX service_level_reports_by_month ON service_level_reports (month, state);

-- Once-per-period background work (drafting a month's reports): the first instance to insert the
-- row does it, the others skip.
CREATE TABLE job_runs (
    job        TEXT   NOT NULL,
    period     TEXT   NOT NULL,
    claimed_at BIGINT NOT NULL,
    PRIMARY KEY (job, period)
);
